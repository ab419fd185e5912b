"""The cross-cutting rules on every route family, the nearest fast path included, on both backends:
security headers, the request id (returned and logged), an access-log line, a metrics increment on
the route's template, and the body-size limit (declared and streamed).

Expected values are independent of the code under test: header values from the specification, counts
from the requests made here, CSP hashes recomputed with the standard library's HTML parser, the index
gauges from the database and the list API.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from prometheus_client.parser import text_string_to_metric_families

from geo_service.api.access_log import ACCESS
from geo_service.api.log_format import JsonFormatter

LIMIT = 2 * 1024 * 1024  # Settings' default GEO_MAX_BODY_BYTES
NEAREST = "/api/v1/facilities/nearest"


@dataclass(frozen=True)
class Family:
    """One request of a route family and what it must be labelled and answered with."""

    name: str
    method: str
    path: str
    route: str
    status: int
    params: dict = field(default_factory=dict)
    body: bytes | None = None
    streamed: bool = False


FAMILIES = [
    Family("nearest fast path", "GET", NEAREST, NEAREST, 200, {"lon": 118.02, "lat": 37.37, "limit": 3}),
    Family("nearest fast path 422", "GET", NEAREST, NEAREST, 422, {"lon": "east", "lat": 37.37}),
    Family("facilities list", "GET", "/api/v1/facilities", "/api/v1/facilities", 200, {"limit": 2}),
    Family("facilities 422", "GET", "/api/v1/facilities", "/api/v1/facilities", 422, {"limit": 0}),
    Family("a facility", "GET", "/api/v1/facilities/1", "/api/v1/facilities/{facility_id}", 200),
    Family("plan 422", "POST", "/api/v1/plan/sites", "/api/v1/plan/sites", 422, body=b'{"count": 0}'),
    Family("plan NaN", "POST", "/api/v1/plan/sites", "/api/v1/plan/sites", 422, body=b'{"count": 1, "radius_m": NaN}'),
    Family("OGC collections", "GET", "/ogc/collections", "/ogc/collections", 200),
    Family("OGC page", "GET", "/ogc/collections", "/ogc/collections", 200, {"f": "html"}),
    Family("vector tile", "GET", "/tiles/facilities/0/0/0.mvt", "/tiles/{collection_id}/{z}/{x}/{y}.mvt", 200),
    Family("console login page", "GET", "/console/login", "/console/login", 200),
    Family("console asset", "GET", "/static/console/console.css", "/static/console/{path}", 200),
    Family(
        "coverage summary",
        "GET",
        "/api/v1/coverage/summary",
        "/api/v1/coverage/summary",
        200,
        {"district": "371602", "radius_m": 1000},
    ),
    Family("map page", "GET", "/maps/nearby", "/maps/{name}", 200, {"lang": "en"}),
    Family("embedded map", "GET", "/embed/nearby", "/embed/{name}", 200),
    Family("static asset", "GET", "/static/maps/maps.css", "/static/maps/{path}", 200),
    Family("vendor asset", "GET", "/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/{path}", 200),
    Family("healthz", "GET", "/healthz", "/healthz", 200),
    Family("docs", "GET", "/docs", "/docs", 200),
    Family("openapi", "GET", "/openapi.json", "/openapi.json", 200),
    Family("metrics", "GET", "/metrics", "/metrics", 200),
    Family("404", "GET", "/no/such/page", "other", 404),
    Family("405", "DELETE", "/healthz", "/healthz", 405),
    Family("413 declared", "POST", "/api/v1/plan/sites", "/api/v1/plan/sites", 413, body=b"1" * (LIMIT + 1)),
    Family(
        "413 streamed",
        "POST",
        "/api/v1/plan/sites",
        "/api/v1/plan/sites",
        413,
        body=b"1" * (LIMIT + 1),
        streamed=True,
    ),
]


def _samples(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _chunks(body: bytes, size: int = 256 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _send(client, family: Family, request_id: str):
    headers = {"X-Request-ID": request_id}
    if family.body is None:
        return client.request(family.method, family.path, params=family.params, headers=headers)
    headers["Content-Type"] = "application/json"
    content = _chunks(family.body) if family.streamed else family.body
    return client.request(family.method, family.path, content=content, headers=headers)


#: HTML that is not ours to make strict: FastAPI's Swagger UI (scripts from a CDN) keeps the baseline
#: policy (no framing, no plugins, no <base>).
BASELINE_PAGES = {"/docs"}


def _assert_strict_policy(policy: str, frame_ancestors: str) -> None:
    """script-src and style-src from 'self' plus hashes or nonces only; nothing inline by a blanket rule."""
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    for name in ("script-src", "style-src"):
        sources = directives[name].split()
        assert sources[0] == "'self'", policy
        assert all(s.startswith(("'sha256-", "'nonce-")) for s in sources[1:]), policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == frame_ancestors


def _status_class(status: int) -> str:
    return f"{status // 100}xx"


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_every_route_family_passes_the_same_rules(client, caplog, family: Family) -> None:
    request_id = f"edge-{family.name.replace(' ', '-')}"
    count = (
        "geo_http_requests_total",
        (("method", family.method), ("route", family.route), ("status", _status_class(family.status))),
    )
    timed = ("geo_http_request_duration_seconds_count", (("method", family.method), ("route", family.route)))
    before = _samples(client)
    with caplog.at_level(logging.INFO, logger=ACCESS.name):
        response = _send(client, family, request_id)
    after = _samples(client)

    assert response.status_code == family.status, response.text[:300]
    assert response.headers["x-request-id"] == request_id
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    if response.headers.get("content-type", "").startswith("text/html"):
        assert "frame-ancestors" in response.headers["content-security-policy"]
        assert "object-src 'none'" in response.headers["content-security-policy"]
        if family.path not in BASELINE_PAGES:
            embedded = family.path.startswith("/embed/")
            _assert_strict_policy(response.headers["content-security-policy"], "'self'" if embedded else "'none'")
            assert embedded or response.headers["x-frame-options"] == "DENY"
    if family.status == 413:
        assert response.json()["detail"].startswith("请求体过大") and "too large" in response.json()["detail"]
        assert response.headers["connection"] == "close"
    # /metrics itself is scraped once between the two samples: count only the request under test
    scrape = 1 if family.route == "/metrics" else 0
    assert after.get(count, 0) - before.get(count, 0) == 1 + scrape
    assert after.get(timed, 0) - before.get(timed, 0) == 1 + scrape

    lines = [r for r in caplog.records if r.name == ACCESS.name and r.fields["request_id"] == request_id]
    assert len(lines) == 1
    fields = lines[0].fields
    assert (fields["method"], fields["path"], fields["status"]) == (family.method, family.path, family.status)
    assert fields["duration_ms"] > 0 and fields["client"] == "testclient"
    if "content-length" in response.headers:
        assert fields["bytes"] == int(response.headers["content-length"])


class _InlineBlocks(HTMLParser):
    """The text of inline <script> and <style> elements, as an HTML parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: str | None = None
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.blocks and not any(name == "src" for name, _ in attrs):
            self.open = tag
            self.blocks[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self.open:
            self.open = None

    def handle_data(self, data: str) -> None:
        if self.open:
            self.blocks[self.open][-1] += data


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("path", ["/maps/public", "/maps/nearby", "/maps/coverage", "/embed/public"])
def test_map_pages_allow_exactly_their_inline_blocks(client, path: str) -> None:
    response = client.get(path)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    parser = _InlineBlocks()
    parser.feed(response.text)
    scripts, styles = parser.blocks["script"], parser.blocks["style"]
    assert scripts and styles
    assert sorted(policy["script-src"].split()) == sorted({"'self'", *map(_sha256, scripts)})
    assert sorted(policy["style-src"].split()) == sorted({"'self'", *map(_sha256, styles)})
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    assert policy["default-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert policy["img-src"] == "'self' data: https://tile.openstreetmap.org"  # the default osm basemap
    assert (policy["object-src"], policy["base-uri"]) == ("'none'", "'none'")


def test_metrics_parse_and_report_the_index_and_the_pool(client, loaded_engine) -> None:
    from geo_service.queries.facilities import data_revision

    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert families["geo_http_requests"].type == "counter"
    assert families["geo_http_request_duration_seconds"].type == "histogram"
    with loaded_engine.connect() as conn:
        revision = data_revision(conn)
    open_count = client.get("/api/v1/facilities", params={"status": "open", "limit": 1}).json()["numberMatched"]
    assert families["geo_nearest_index_revision"].samples[0].value == revision
    assert families["geo_nearest_index_facilities"].samples[0].value == open_count
    pool = {name: families[name].samples[0].value for name in ("geo_db_pool_size", "geo_db_pool_checked_out")}
    assert pool["geo_db_pool_size"] == 5 and pool["geo_db_pool_checked_out"] >= 0
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")  # what Prometheus asks for


def test_access_lines_format_as_json(client, caplog) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS.name):
        response = client.get("/healthz", headers={"X-Request-ID": "json-line"})
    record = next(r for r in caplog.records if r.name == ACCESS.name and r.fields["request_id"] == "json-line")
    import json

    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response.headers["x-request-id"] == "json-line"
    assert (line["method"], line["path"], line["status"], line["level"]) == ("GET", "/healthz", 200, "INFO")
    assert line["message"].startswith("GET /healthz 200 ")
    assert set(line) >= {"time", "logger", "duration_ms", "client", "bytes"}


@pytest.mark.parametrize("sent", ["has spaces", "x" * 65, "semi;colon", "ünïcode"])
@pytest.mark.parametrize("path", [NEAREST + "?lon=118.02&lat=37.37", "/api/v1/facilities?limit=1", "/no/such/page"])
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(client, path: str, sent: str) -> None:
    response = client.get(path, headers={"X-Request-ID": sent.encode("utf-8")})
    returned = response.headers["x-request-id"]
    assert returned != sent and len(returned) == 32 and int(returned, 16) >= 0  # 128 random bits in hex
    assert client.get(path).headers["x-request-id"] not in (returned, "")  # a new one per request
