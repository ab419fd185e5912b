"""Configuration, read from `GEO_*` environment variables (or a `.env` file) by pydantic-settings.

Settings are built by the CLI or the test suite and passed into `create_app(settings)`; nothing in the
package reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "geo_service.sqlite"


class Settings(BaseSettings):
    """Everything an operator may change without touching code."""

    model_config = SettingsConfigDict(env_prefix="GEO_", env_file=".env", extra="ignore")

    db_url: str = Field(
        default=f"sqlite:///{DEFAULT_DB_PATH}",
        description="SQLAlchemy URL: sqlite:///path (SpatiaLite, the default) or postgresql+psycopg://…",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Boundaries, population, sample data.")
    spatialite_path: str = Field(
        default="mod_spatialite", description="SpatiaLite extension to load (name on the loader path, or a file)."
    )
    sqlite_busy_timeout_s: float = Field(
        default=1.0, gt=0, description="Wait this long for a SQLite write lock, then answer 503 with Retry-After."
    )
    pg_statement_timeout_ms: int = Field(default=5000, gt=0, description="PostgreSQL statement_timeout.")
    db_pool_size: int = Field(
        default=5, ge=1, description="Database connections each worker keeps open (PostGIS and SpatiaLite)."
    )
    db_max_overflow: int = Field(
        default=5, ge=0, description="Extra connections a worker may open at a peak (closed again when returned)."
    )
    db_pool_timeout_s: float = Field(
        default=1.0, gt=0, description="A request waits this long for a free connection, then gets 503 + Retry-After."
    )
    queue_wait_s: float = Field(
        default=1.0,
        gt=0,
        description="A request waits this long for a heavy-analysis slot or a request thread, then gets 503 + "
        "Retry-After.",
    )
    heavy_concurrency: int = Field(
        default=1,
        ge=1,
        description="Heavy analyses (coverage gaps, summary and grid; the public and planner map pages) each worker "
        "computes at once, each in an analysis process of its own; more wait (queue_wait_s) or get 503.",
    )
    heavy_in_processes: bool = Field(
        default=True,
        description="Compute heavy analyses in processes beside the worker (false: in its threads, where their CPU "
        "holds the interpreter lock that the event loop, the nearest route and /healthz need).",
    )
    switch_interval_ms: float = Field(
        default=0.5,
        gt=0,
        le=100,
        description="Longest a request thread computing in Python keeps the interpreter lock from the event loop "
        "(Python's own default is 5 ms): the nearest route and /healthz answer on the loop.",
    )
    heavy_nice: int = Field(
        default=19,
        ge=0,
        le=19,
        description="How much lower the analysis and job processes' CPU priority is (nice): when cores are short, "
        "the workers' cheap requests run first and the analyses and plans take what is left.",
    )
    heavy_idle_class: bool = Field(
        default=True,
        description="Run the analysis and job processes in the OS's idle scheduling class where there is one "
        "(Linux SCHED_IDLE): a worker woken by a request takes the core from them at once, rather than after "
        "the scheduler's time slice, which nice alone still grants them (nearest p99 under mixed load 5.6 ms "
        "instead of 7-12 ms).",
    )
    heavy_prewarm: bool = Field(
        default=True,
        description="Start the analysis processes with the worker instead of at its first heavy request (their "
        "start costs seconds of imports).",
    )
    ready_timeout_s: float = Field(
        default=1.0, gt=0, description="/readyz answers 503 when the database has not answered within this time."
    )
    rate_limit_requests: int = Field(
        default=1200,
        ge=0,
        description="Requests one client address may make per rate-limit window, on all workers together (0: off); "
        "/healthz, /readyz, /metrics and /static are not counted.",
    )
    rate_limit_window_s: int = Field(default=60, ge=1, description="Length of the request rate-limit window (fixed).")
    rate_limit_flush_every: int = Field(
        default=20,
        ge=1,
        description="Smallest batch in which a worker adds an address's requests to the shared count (a batch is "
        "a tenth of what the address has left, at least this); a client may exceed the limit by at most "
        "(workers - 1) x max(this, limit / 10) requests.",
    )
    max_page_size: int = Field(default=500, ge=1, description="Largest `limit` a list endpoint accepts.")
    default_page_size: int = Field(default=100, ge=1)
    log_level: str = Field(default="INFO")
    access_log: bool = Field(default=True, description="One access-log line per request (off saves ~10 µs a request).")
    log_format: Literal["json", "text"] = Field(default="json", description="Log lines as JSON objects or as text.")
    compress_min_bytes: int = Field(
        default=1400,
        ge=0,
        description="JSON and GeoJSON answers of at least this many bytes travel gzipped to clients that accept "
        "it (smaller ones fit in one packet anyway).",
    )
    compress_level: int = Field(
        default=3,
        ge=1,
        le=9,
        description="gzip level of JSON answers (1-3: zlib's fast levels, within ~8% of level 9's size).",
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1, description="Largest request body; larger ones get 413 before they are read."
    )
    max_json_depth: int = Field(
        default=32, ge=4, le=512, description="Deepest nesting of a JSON request body (a GeoJSON MultiPolygon needs 6)."
    )
    public_base_url: str = Field(
        default="",
        pattern=r"^(https?://[A-Za-z0-9.\-\[\]:]+)?$",
        description="scheme://host[:port] the public reaches the service at (behind a proxy); absolute links "
        "(paging, OGC, TileJSON) use it. Unset: the address the connection arrived at, or the Host header "
        "when GEO_TRUSTED_HOSTS lists it; never an unchecked Host header.",
    )
    trusted_hosts: list[str] = Field(
        default=[],
        description="Host names the service answers to (JSON list, `*.example.cn` allowed); other Host "
        "headers get 400. Empty: any Host is answered but never used in links.",
    )
    forwarded_allow_ips: list[str] = Field(
        default=[],
        description="Addresses of the proxies whose X-Forwarded-For/-Proto are believed (`geo-service serve`); "
        "empty: none, every X-Forwarded-* header is ignored.",
    )
    timezone: str = Field(default="Asia/Shanghai", description="Local time for opening hours (IANA name).")
    holiday_country: str = Field(default="CN", description="Public-holiday calendar for `PH` in opening hours.")
    nearest_default_limit: int = Field(default=5, ge=1)
    nearest_max_limit: int = Field(default=50, ge=1, description="Largest `limit` of the nearest endpoint.")
    nearest_max_distance_m: float = Field(default=50_000, gt=0, description="Cap on `max_distance_m`.")
    nearby_radius_ride_m: float = Field(
        default=5_000,
        gt=0,
        description="First search radius of the nearby page for riders (and walkers); 扩大范围 doubles it up to "
        "nearest_max_distance_m.",
    )
    nearby_radius_drive_m: float = Field(
        default=30_000, gt=0, description="First search radius of the nearby page in drive mode (`mode=drive`)."
    )
    service_area_margin_km: float = Field(
        default=50, ge=0, description="Points farther than this outside the data's extent are rejected (422)."
    )
    index_refresh_s: float = Field(
        default=0.5,
        gt=0,
        description="How often each worker checks the database for edits (one primary-key read) to patch its index.",
    )
    index_read_chunk_rows: int = Field(
        default=1_000,
        ge=1,
        description="A full read of the nearest index takes the open facilities this many rows at a time, so a "
        "worker never holds many row objects at once: the memory of those read beside a value that outlives them "
        "stays with the process (a national read at 20,000 rows a time kept ~60 MB, at 1,000 ~20 MB).",
    )
    index_patch_max_rows: int = Field(
        default=5_000,
        ge=0,
        description="Edits of up to this many facilities since a worker's last look are patched into its "
        "nearest index; more (or 0) rebuild it from every row.",
    )
    nav_app_name: str = Field(
        default="geo_service",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="`src`/`referer` sent to the map vendors (letters, digits, _ . -).",
    )
    coverage_max_radius_m: float = Field(default=20_000, gt=0, description="Cap on coverage/plan radius_m.")
    coverage_max_cells: int = Field(
        default=30_000,
        ge=1,
        description="Cap on cells of /coverage/grid, checked before any work (300,000 took 21 s and 105 MB).",
    )
    plan_max_count: int = Field(default=500, ge=1, description="Cap on `count` of /plan/sites.")
    plan_time_limit_s: float = Field(
        default=60, gt=0, description="Solver time budget of a plan job and of `geo-service plan` (seconds)."
    )
    plan_sync_budget_s: float = Field(
        default=3.0,
        gt=0,
        description="Solver time budget of a plan answered within its request (/plan/sites below the job "
        "thresholds, the planner map); the answer says when the budget was reached.",
    )
    plan_sync_max_count: int = Field(
        default=100, ge=1, description="`count` of /plan/sites above which the plan runs as a job (202 Accepted)."
    )
    plan_sync_max_points: int = Field(
        default=20_000,
        ge=0,
        description="Supplied demand plus candidate points above which /plan/sites runs as a job (202 Accepted).",
    )
    plan_max_points: int = Field(
        default=100_000, ge=1, description="Most demand points, and most candidates, in one plan request (422 above)."
    )
    job_workers: int = Field(
        default=1, ge=1, description="Processes per app worker that run jobs (plans), apart from the requests."
    )
    job_max_active: int = Field(
        default=8, ge=1, description="Queued and running jobs (all workers) above which a new one gets 503."
    )
    job_keep_s: float = Field(default=86_400, gt=0, description="How long a finished job and its result are kept.")
    map_basemap: Literal["osm", "tianditu", "amap", "none"] = Field(
        default="osm", description="Map tiles: osm, tianditu (needs map_tianditu_key), amap (GCJ-02) or none (offline)."
    )
    map_osm_tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        pattern=r"^https?://[^\s\"'<>]+$",
        description="XYZ template of the osm basemap (point it at your own tile server in production).",
    )
    map_tianditu_key: str = Field(
        default="", pattern=r"^[A-Za-z0-9]*$", description="Tianditu browser key (tk); required by the basemap."
    )
    map_tianditu_review_number: str = Field(
        default="GS(2024)0568号",
        max_length=40,
        description="审图号 shown in the Tianditu attribution; copy the current one from tianditu.gov.cn.",
    )
    map_frame_ancestors: str = Field(
        default="'self'",
        pattern=r"^[A-Za-z0-9 '*:/.\-]+$",
        description="CSP frame-ancestors of /embed pages: who may put our maps in an iframe.",
    )
    map_embed_max_features: int = Field(
        default=3000, ge=1, description="Up to this many facilities are embedded in a page; above, loaded by viewport."
    )
    map_viewport_max_features: int = Field(
        default=2000, ge=1, description="A viewport with more facilities than this is answered as grid clusters."
    )
    map_service_radius_m: float = Field(default=1000, gt=0, description="Default service radius on the planner map.")
    map_tiles_min_features: int = Field(
        default=3000,
        ge=1,
        description="The public map draws facilities from vector tiles when more than this many are shown "
        "(on WGS-84 basemaps; on Amap's GCJ-02 tiles it keeps loading them per viewport).",
    )
    ogc_default_limit: int = Field(default=10, ge=1, description="Page size of OGC API items without `limit`.")
    ogc_max_limit: int = Field(
        default=10_000, ge=1, description="Largest page of OGC API items; a larger `limit` is clamped to it."
    )
    ogc_id_cache_mb: float = Field(
        default=32,
        ge=0,
        description="Per worker: the ids matching filtered OGC API queries (bbox, filter, …), kept per data "
        "revision so numberMatched and every page after the first cost no scan (8 bytes an id).",
    )
    tiles_cluster_below_zoom: int = Field(
        default=10,
        ge=0,
        le=24,
        description="Vector tiles below this zoom aggregate facilities into clusters (counts add up); "
        "from it on every facility is its own point.",
    )
    tiles_cluster_grid: int = Field(
        default=4, ge=1, le=256, description="Cluster cells per tile side below tiles_cluster_below_zoom (4: 64 px)."
    )
    tiles_max_age_s: int = Field(default=60, ge=0, description="Cache-Control max-age of vector tiles.")
    tiles_cache_mb: float = Field(default=64, ge=0, description="In-process cache of encoded tiles, per worker.")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins allowed per account and per address in one window."
    )
    login_window_s: float = Field(default=900, gt=0, description="Length of the sign-in throttling window.")
    password_min_length: int = Field(default=12, ge=8, description="Shortest password accepted for an account.")
    console_idle_s: float = Field(
        default=1800, gt=0, description="An editor console session ends after this long without a request."
    )
    console_absolute_s: float = Field(
        default=12 * 3600, gt=0, description="An editor console session ends this long after sign-in, active or not."
    )
    report_max_per_window: int = Field(
        default=5, ge=1, description="Problem reports accepted from one client address per report window."
    )
    report_window_s: float = Field(default=3600, gt=0, description="Length of the problem-report window (sliding).")
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Server secret (≥ 32 characters) for keyed hashes of client addresses; set it in production.",
    )

    @field_validator("map_osm_tile_url", "map_tianditu_review_number")
    @classmethod
    def _not_template_code(cls, value: str) -> str:
        """folium renders the tile layer (its URL and attribution) through Jinja templates."""
        if any(mark in value for mark in ("{{", "{%", "{#")):
            raise ValueError("must not contain {{, {% or {# (the map pages would read it as template code)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 32:
            raise ValueError("GEO_SECRET_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    import_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1,
        description="Largest import file, and body of /api/v1/imports (bytes); larger is a 413.",
    )
    import_max_rows: int = Field(default=50_000, ge=1, description="Most data rows (or features) in one import file.")
    import_max_unzipped_bytes: int = Field(
        default=200 * 1024 * 1024,
        ge=1,
        description="Most bytes an XLSX or zipped Shapefile may unpack to (checked before parsing: zip bombs).",
    )
    import_max_zip_ratio: float = Field(
        default=100,
        gt=1,
        description="Largest uncompressed/compressed ratio of any zip member over 1 MiB (zip bombs reach 1000+).",
    )

    import_border_tolerance_m: float = Field(
        default=200,
        ge=0,
        description="An imported point this close outside its stated district is a warning, farther a rejection.",
    )
    import_duplicate_radius_m: float = Field(
        default=50, ge=0, description="A similar name this close to an existing facility is a likely-duplicate warning."
    )
    export_max_rows: int = Field(
        default=50_000,
        ge=1,
        description="Most facilities in one export (422 above); keep it ≤ import_max_rows so an export imports again.",
    )

    network_path: Path = Field(
        default=PROJECT_ROOT / "var" / "network.npz",
        description="Road network file written by `geo-service network build`; loaded at start and when it changes.",
    )
    network_max_distance_m: float = Field(
        default=50_000, gt=0, description="Cap on the road distance searched by metric=network (and max_distance_m)."
    )
    network_max_snap_m: float = Field(
        default=2_000, gt=0, description="A point farther than this from every road of the profile is refused (422)."
    )
    network_search_slots: int = Field(
        default=4,
        ge=1,
        description="Road searches run at once per worker and profile (each keeps three node-sized arrays); more wait.",
    )
    network_label_k: int = Field(
        default=8,
        ge=0,
        le=64,
        description="Facilities kept per road node for network nearest without a search (0: off); built per "
        "profile and data revision off the request path, about nodes x this x 16 bytes per profile.",
    )
    route_max_detours: int = Field(
        default=100,
        ge=1,
        description="Most stations of an along-route search with detour=network (two road searches each).",
    )
    network_max_time_s: float = Field(
        default=3_600, gt=0, description="Cap on max_time_s of coverage and planning by road (metric=network)."
    )
    network_area_buffer_m: float = Field(
        default=100, gt=0, description="Half-width of the reached roads that make a service area by road."
    )
    network_plan_max_candidates: int = Field(
        default=5_000, ge=1, description="Most candidate sites of a plan by road (one bounded Dijkstra each)."
    )
    route_max_points: int = Field(default=20_000, ge=2, description="Most vertices of a route to search along.")
    route_max_length_m: float = Field(default=1_000_000, gt=0, description="Longest route to search along (metres).")
    route_max_buffer_m: float = Field(default=5_000, gt=0, description="Cap on buffer_m of along-route searches.")

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")
