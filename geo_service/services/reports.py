"""Problem reports: riders tell the district's editors that a facility is not as the map shows it.

Anyone may report (no key); a report waits in the queue of the editors of the facility's district, is
read by viewers and admins too, and is resolved by an editor of that district or an admin. Resolving a
report as `confirmed_fine` also verifies the facility (last_verified_at/by), in the same transaction.
Floods are refused per client address — more than `max_per_window` reports in the sliding window → 429
with Retry-After —, counted in the database (queries.reports) so the limit holds across workers; the
address is kept only as a keyed hash. Call the writes inside `with engine.begin() as conn:`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from geo_service import security, vocab
from geo_service.authorization import Principal, can_write, require_principal, require_write
from geo_service.errors import Conflict, Forbidden, InvalidInput, InvalidParameter, NotFound, TooManyRequests
from geo_service.queries import facility_edits
from geo_service.queries import reports as report_queries
from geo_service.queries.reports import NewReport, ReportFilter, StoredReport
from geo_service.services import audit, editing
from geo_service.services.accounts import utc_now
from geo_service.services.caller import Caller
from geo_service.services.facility_input import wgs84_point
from geo_service.settings import Settings

MAX_NOTE_LENGTH = 500


@dataclass(frozen=True)
class ReportPolicy:
    max_per_window: int
    window: timedelta
    secret: str  # GEO_SECRET_KEY, for the address hash
    edit: editing.EditPolicy  # a confirmed_fine resolution verifies the facility

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportPolicy:
        return cls(
            max_per_window=settings.report_max_per_window,
            window=timedelta(seconds=settings.report_window_s),
            secret=settings.secret_key.get_secret_value(),
            edit=editing.EditPolicy.from_settings(settings),
        )


class ReportSubmission(BaseModel):
    """What a rider reports: a kind (closed, locked, moved, no_water, no_power, dirty, other), an optional
    note (≤ 500 characters) and optionally where they are (lon/lat in `crs`)."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    note: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"


class ReportResolution(BaseModel):
    """How an editor closed a report: confirmed_fine, fixed, closed, moved or dismissed, and a note."""

    model_config = ConfigDict(extra="forbid")

    resolution: str
    note: str | None = None


@dataclass(frozen=True)
class ReportPage:
    rows: list[StoredReport]
    matched: int
    limit: int
    offset: int


def _note(note: str | None, problems: list[tuple[str, str]]) -> str | None:
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE_LENGTH:
        problems.append(("note", f"备注最多 {MAX_NOTE_LENGTH} 个字符 (note: at most {MAX_NOTE_LENGTH} characters)"))
    return text


def _position(body: ReportSubmission, problems: list[tuple[str, str]]) -> tuple[float | None, float | None]:
    if body.lon is None and body.lat is None:
        return None, None
    if body.lon is None or body.lat is None:
        problems.append(("lon" if body.lon is None else "lat", "经纬度须一起给出 (give lon and lat together)"))
        return None, None
    lon, lat = wgs84_point(body.lon, body.lat, body.crs)
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(("lon", f"坐标超出范围 (not a lon/lat position: {body.lon}, {body.lat})"))
        return None, None
    return lon, lat


def _new_report(facility_id: int, body: ReportSubmission, address_hash: str) -> NewReport:
    problems: list[tuple[str, str]] = []
    if body.kind not in vocab.REPORT_KINDS:
        problems.append(("kind", f"未知的问题类型 (unknown kind {body.kind!r}); 可选 {list(vocab.REPORT_KINDS)}"))
    note = _note(body.note, problems)
    lon, lat = _position(body, problems)
    if problems:
        raise InvalidInput(problems)
    return NewReport(facility_id, body.kind, note, lon, lat, address_hash)


def _enforce_limit(conn: Connection, address_hash: str, now: datetime, policy: ReportPolicy) -> None:
    """TooManyRequests (the transaction, and the report just inserted, roll back) above the limit."""
    count, oldest = report_queries.count_since(conn, address_hash, now - policy.window)
    if count <= policy.max_per_window:
        return
    wait = math.ceil(((oldest or now) + policy.window - now).total_seconds())
    raise TooManyRequests(
        f"提交的问题反馈过多，请 {wait} 秒后再试 (too many problem reports from this address; retry in {wait} s)",
        retry_after_s=wait,
    )


def submit_report(
    conn: Connection,
    caller: Caller,
    facility_id: int,
    body: ReportSubmission,
    policy: ReportPolicy,
    now: datetime | None = None,
) -> StoredReport:
    """Queue a report about a facility that exists (and is not deleted); 429 when the address floods."""
    facility = facility_edits.facility_detail(conn, facility_id)
    if facility is None or facility["deleted_at"] is not None:
        raise NotFound(f"没有该设施 (no facility {facility_id})")
    address_hash = security.hash_address(policy.secret, caller.address or "unknown")
    moment = utc_now(now)
    report_id = report_queries.insert_report(conn, _new_report(facility_id, body, address_hash), moment)
    _enforce_limit(conn, address_hash, moment, policy)
    stored = report_queries.report_by_id(conn, report_id)
    assert stored is not None  # inserted above, in this transaction
    context = caller.audit_context(public_address=address_hash)
    audit.record(
        conn, context, action="report", entity="problem_report", entity_id=report_id, before=None, after=asdict(stored)
    )
    return stored


def _editor_facility(conn: Connection, principal: Principal, facility_id: int) -> None:
    """403 unless the editor's districts hold the facility (404 when there is none)."""
    facility = facility_edits.facility_detail(conn, facility_id)
    if facility is None:
        raise NotFound(f"没有该设施 (no facility {facility_id})")
    if not can_write(principal, facility["district_adcode"]):
        raise Forbidden(f"只能查看本区县的问题反馈 (reports of district {facility['district_adcode']} are not yours)")


def list_reports(
    conn: Connection,
    principal: Principal | None,
    *,
    status: str | None,
    facility_id: int | None,
    limit: int,
    offset: int,
    newest_first: bool = False,
) -> ReportPage:
    """The queue, oldest first (or newest first): an editor sees the reports of its districts, viewers
    (read-only) and admins every one. `status` None lists every status."""
    known = require_principal(principal)
    if status is not None and status not in vocab.REPORT_STATUSES:
        raise InvalidParameter(
            "status", f"未知状态 (unknown status {status!r}); 可选 {[*vocab.REPORT_STATUSES, 'all']}"
        )
    districts = None
    if known.role == "editor":
        districts = tuple(sorted(known.districts))
        if facility_id is not None:
            _editor_facility(conn, known, facility_id)
    filters = ReportFilter(status=status, facility_id=facility_id, district_adcodes=districts)
    rows = report_queries.list_reports(conn, filters, limit, offset, newest_first=newest_first)
    return ReportPage(rows, report_queries.count_reports(conn, filters), limit, offset)


def _checked_resolution(body: ReportResolution) -> tuple[str, str | None]:
    problems: list[tuple[str, str]] = []
    if body.resolution not in vocab.RESOLUTIONS:
        problems.append(
            ("resolution", f"未知的处理结果 (unknown resolution {body.resolution!r}); 可选 {list(vocab.RESOLUTIONS)}")
        )
    note = _note(body.note, problems)
    if problems:
        raise InvalidInput(problems)
    return body.resolution, note


def resolve_report(
    conn: Connection,
    caller: Caller,
    report_id: int,
    body: ReportResolution,
    policy: ReportPolicy,
    now: datetime | None = None,
) -> StoredReport:
    """Close an open report (editor of the facility's district, or admin); 409 when already closed.
    `confirmed_fine` also verifies the facility; `dismissed` leaves the report `dismissed`, the others
    `resolved`. The facility itself is changed by an edit, not here (a `closed` resolution records what
    the editor found; the editor then closes or deletes the facility with its ETag)."""
    principal = require_principal(caller.principal)
    report = report_queries.report_by_id(conn, report_id)
    if report is None:
        raise NotFound(f"没有该问题反馈 (no report {report_id})")
    require_write(principal, report.district_adcode)
    resolution, note = _checked_resolution(body)
    moment = utc_now(now)
    status = "dismissed" if resolution == "dismissed" else "resolved"
    closed = report_queries.resolve_if_open(
        conn, report_id, status=status, resolution=resolution, note=note, by=principal.actor, at=moment
    )
    if not closed:
        raise Conflict(f"该问题反馈已处理 (report {report_id} is already {report.status})")
    after = report_queries.report_by_id(conn, report_id)
    assert after is not None
    audit.record(
        conn,
        caller.audit_context(),
        action="resolve",
        entity="problem_report",
        entity_id=report_id,
        before=asdict(report),
        after=asdict(after),
    )
    if resolution == "confirmed_fine":
        editing.verify_facility(conn, caller, report.facility_id, None, policy.edit, moment)
    return after
