"""Every route and method of the OpenAPI document, fuzzed by Schemathesis over real HTTP (seeded): no
server error, and every response matches the schema the document promises for it.

A real server on loopback (`geo-service serve`), so the whole stack is exercised as clients meet it: the
edge middleware, the nearest fast path, the error mapping. Write routes are called both without
credentials and with an admin key, so their validation and handlers run too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import response_schema_conformance

from geo_service.db.engine import make_engine
from geo_service.services import accounts
from geo_service.settings import Settings
from tests import browser
from tests.databases import BACKENDS, loaded_database
from tests.editing_support import BY

EXAMPLES_PER_OPERATION = 12


@dataclass(frozen=True)
class Target:
    schema: Any
    admin: dict[str, str]  # the Authorization header of an admin key


@pytest.fixture(scope="module", params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    with loaded_database(str(request.param), tmp) as url:
        engine = make_engine(Settings(db_url=url))
        with engine.begin() as conn:
            secret = accounts.create_key(conn, BY, label="fuzz", role="admin", districts=()).secret
        engine.dispose()
        # plans the fuzzer sends as jobs keep running beside it: keep each one short and few at once
        with browser.serve(url, map_basemap="none", plan_time_limit_s="2", job_max_active="2") as base:
            yield Target(schemathesis.openapi.from_url(f"{base}/openapi.json"), {"Authorization": f"Bearer {secret}"})


def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """Schemathesis's `not_a_server_error`, except a 503 with Retry-After: an explicit limit (too many
    jobs, the pool busy while the fuzzer's jobs run), which clients are told to retry, is the right
    answer there."""
    status = response.status_code
    headers = {name.lower() for name in response.headers}
    if status >= 500 and not (status == 503 and "retry-after" in headers):
        raise AssertionError(f"server error {status}: {response.text[:300]}")


def _check(operation, headers: dict[str, str]) -> None:
    """Seeded examples of one operation (its parameters and bodies, valid and not)."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers=headers, checks=[no_server_error, response_schema_conformance])

    run()


def test_no_server_error_and_every_response_matches_the_schema(target: Target) -> None:
    failures, operations = [], 0
    for loaded in target.schema.get_all_operations():
        operation = loaded.ok()
        operations += 1
        for who, headers in (("anonymous", {}), ("admin", target.admin)):
            try:
                _check(operation, headers)
            except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; failures reported together
                failures.append(f"{operation.label} ({who}): {str(exc)[:2000]}")
    assert operations >= 40  # every route of the API document (OGC serves its own, at /ogc/openapi)
    assert not failures, "\n\n".join(failures)
