"""The `geo-service` command line.

Every command works on the database named by GEO_DB_URL (default: the embedded SpatiaLite file under
var/). Typical first run:

    geo-service init      # create/upgrade the schema, load Binzhou boundaries and the sample data
    geo-service init --region 371100   # …or another city or county (日照市), starting empty
    geo-service serve     # http://127.0.0.1:8000/docs
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.logging import RichHandler

from geo_service import cli_accounts, cli_imports, cli_network, cli_planning, cli_regions
from geo_service.cli_support import console, open_database, run_steps, steps
from geo_service.db import migrate
from geo_service.errors import InvalidParameter
from geo_service.services import regions, setup
from geo_service.settings import Settings

app = typer.Typer(help=__doc__, no_args_is_help=True, rich_markup_mode="rich")
db_app = typer.Typer(help="Schema migrations (Alembic) on GEO_DB_URL.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cli_accounts.users_app, name="users")
app.add_typer(cli_accounts.keys_app, name="keys")
app.add_typer(cli_network.network_app, name="network")
app.add_typer(cli_regions.region_app, name="region")
app.command("coverage")(cli_planning.coverage)
app.command("plan")(cli_planning.plan)
app.command("import", help=cli_imports.IMPORT_HELP)(cli_imports.import_file)
app.command("export", help=cli_imports.EXPORT_HELP)(cli_imports.export)


@app.callback()
def _configure(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    level = logging.DEBUG if verbose else Settings().log_level
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(console=console, show_path=False)])
    logging.getLogger("alembic").setLevel(logging.WARNING)


@app.command()
def init(
    region: Annotated[
        str | None,
        typer.Option(
            help="Adcode or name of the city or county to set up (371100, 日照市, 莒县); default: 滨州市, the "
            "bundled region, unless the database already holds other regions. More: `geo-service region`."
        ),
    ] = None,
    sample: Annotated[
        bool | None,
        typer.Option(help="Load the synthetic sample facilities (示例数据); only 滨州市 has one (its default)."),
    ] = None,
) -> None:
    """Prepare the database: migrations, the region's real boundaries (+ population), sample facilities.

    Safe to run again: boundaries are refreshed, sample rows already present (same code) are kept. A region
    other than 滨州市 starts empty: import its facilities with `geo-service import`.
    """
    with open_database() as db, steps(4) as runner:
        data_dir = db.settings.data_dir
        runner.run("schema", lambda: setup.upgrade_schema(db.engine), str)
        if region is None and not setup.needs_bundled_region(db.engine, data_dir):
            console.print("regions kept as stored (see `geo-service region list`)")
            return
        load = runner.run("read and check the boundaries", lambda: regions.from_key(data_dir, region or "滨州市"))
        has_sample = load.code == regions.bundled(data_dir).code
        if sample and not has_sample:  # refused before anything is written
            runner.run("sample facilities", lambda: _no_sample(load.name))
        runner.run("boundaries", lambda: setup.load_region(db.engine, load), str)
        if sample or (sample is None and has_sample):
            runner.run("sample facilities", lambda: setup.load_sample(db.engine, data_dir), str)
        elif not has_sample:
            console.print(f"{load.name} starts empty: import its facilities with `geo-service import FILE --crs …`")


def _no_sample(name: str) -> None:
    raise InvalidParameter("--sample", f"{name} 没有示例数据 / has no sample data (only 滨州市 has one)")


@app.command("load-sample")
def load_sample() -> None:
    """Load (or top up) the synthetic sample facilities; every row is marked is_sample / 示例数据."""
    with open_database() as db:
        run_steps([("sample facilities", lambda: setup.load_sample(db.engine, db.settings.data_dir))])


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind; 0.0.0.0 exposes it to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostGIS recommended for > 1).")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (costs throughput).")] = False,
    worker_start_s: Annotated[
        int,
        typer.Option(
            help="With --workers > 1: seconds a worker may take to start (load the nearest index) before it is "
            "restarted; uvicorn's 5 s default kills workers of a large or busy database in a loop."
        ),
    ] = 120,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    console.print(f"serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    proxies = Settings().forwarded_allow_ips  # X-Forwarded-For/-Proto believed from these only
    uvicorn.run(
        "geo_service.asgi:build_app",
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        factory=True,
        timeout_worker_healthcheck=worker_start_s,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    with open_database() as db:
        run_steps([(f"upgrade to {revision}", lambda: migrate.upgrade(db.engine, revision))])
        console.print(f"at revision {migrate.current_revision(db.engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops everything.")]) -> None:
    """Revert migrations down to REVISION (data in dropped tables is lost)."""
    with open_database() as db:
        run_steps([(f"downgrade to {revision}", lambda: migrate.downgrade(db.engine, revision))])
        console.print(f"at revision {migrate.current_revision(db.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one this code ships."""
    with open_database() as db:
        console.print(f"database: {migrate.current_revision(db.engine)}  code: {migrate.head_revision()}")


@app.command()
def render(
    out: Annotated[Path, typer.Option("--out", help="Directory to write (created if missing).")],
    lang: Annotated[str, typer.Option(help="Page language: zh or en.")] = "zh",
) -> None:
    """Write the public map and one map per district as static HTML with their assets (no API needed).

    Basemap tiles follow GEO_MAP_BASEMAP; with `none` the pages need no network at all."""
    from geo_service.maps.i18n import Lang
    from geo_service.maps.render import render_site

    if lang not in ("zh", "en"):
        raise typer.BadParameter("zh or en", param_hint="--lang")
    language: Lang = "en" if lang == "en" else "zh"
    with open_database() as db:
        run_steps(
            [("render maps", lambda: f"{len(render_site(db.engine, db.settings, out, language))} pages in {out}")]
        )


if __name__ == "__main__":
    app()
