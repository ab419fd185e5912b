"""Facility editing use cases: read one, create, patch, soft-delete, restore, verify, and its history.

Call the writes inside `with engine.begin() as conn:`: each change and its audit row (before and after)
commit together or not at all. Every write is a conditional UPDATE on the version the caller read
(queries.facility_edits.update_if_version), so of two editors holding the same ETag exactly one wins and
the other gets a 412; PATCH and DELETE must say which version they mean (If-Match, else 428), restore and
verify may. Editors write the facilities of their districts only — on a PATCH that moves a facility,
both the district it leaves and the one it enters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, RowMapping

from geo_service import vocab
from geo_service.authorization import Principal, can_write, require_principal, require_role, require_write
from geo_service.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from geo_service.queries import audit as audit_queries
from geo_service.queries import facility_edits
from geo_service.queries.facility_edits import WriteOutcome
from geo_service.services import audit
from geo_service.services.accounts import utc_now
from geo_service.services.audit import AuditPage
from geo_service.services.caller import Caller
from geo_service.services.facility_input import (
    FacilityCreate,
    FacilityPatch,
    apply_patch,
    checked_record,
    record_values,
    wgs84_point,
)
from geo_service.settings import Settings

#: Versions an If-Match header names for one facility (empty: it names none); None: no If-Match sent.
ExpectedVersions = frozenset[int] | None
_SNAPSHOT_EXTRA = ("version", "deleted_at", "last_verified_by", "import_batch_id")


@dataclass(frozen=True)
class EditPolicy:
    """Settings the editing use cases obey."""

    zone: ZoneInfo  # "today" of a verification is the local date here

    @classmethod
    def from_settings(cls, settings: Settings) -> EditPolicy:
        return cls(ZoneInfo(settings.timezone))


@dataclass(frozen=True)
class FacilityView:
    """A facility as the caller may see it: `detailed` (signed-in callers) adds the stewardship columns."""

    row: RowMapping  # queries.facility_edits.DETAIL_COLUMNS
    detailed: bool

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def version(self) -> int:
        return int(self.row["version"])


def snapshot(row: Mapping[Any, Any]) -> dict[str, object]:
    """What the audit log keeps of a facility: its record values and stewardship columns."""
    return {**record_values(row), **{key: row[key] for key in _SNAPSHOT_EXTRA}}


def _found(conn: Connection, facility_id: int) -> RowMapping:
    row = facility_edits.facility_detail(conn, facility_id)
    if row is None:
        raise NotFound(f"没有该设施 (no facility {facility_id})")
    return row


def _not_deleted(row: RowMapping) -> None:
    if row["deleted_at"] is not None:
        raise Conflict(f"该设施已删除，可由管理员恢复 (facility {row['id']} is deleted; an admin can restore it)")


def _expected(row: RowMapping, versions: ExpectedVersions, *, required: bool) -> int:
    """The version to write over: the current one, if the caller's If-Match names it."""
    current = int(row["version"])
    if versions is None:
        if required:
            raise PreconditionRequired(
                "缺少 If-Match 请求头：请先 GET 该设施并带上其 ETag "
                f"(If-Match is required: send the ETag of GET /api/v1/facilities/{row['id']})"
            )
        return current
    if current not in versions:
        raise PreconditionFailed(
            f"设施已被他人修改，请重新获取 (facility {row['id']} has changed since that ETag; the current one is "
            f'"{row["id"]}-{current}": GET it again and re-apply your change)'
        )
    return current


@dataclass(frozen=True)
class _Target:
    """A live facility an editor may write, with the version the write must replace."""

    principal: Principal
    row: RowMapping
    expected: int


def _editable(
    conn: Connection, caller: Caller, facility_id: int, versions: ExpectedVersions, *, version_required: bool
) -> _Target:
    """The checks every editor write starts with: role, existence, district, not deleted, If-Match."""
    principal = require_role(caller.principal, "editor")
    row = _found(conn, facility_id)
    require_write(principal, row["district_adcode"])
    _not_deleted(row)
    return _Target(principal, row, _expected(row, versions, required=version_required))


def _check_code_free(conn: Connection, code: str) -> None:
    holder = facility_edits.facility_id_by_code(conn, code)
    if holder is not None:
        raise Conflict(f"编码已被设施 {holder} 使用 (code {code!r} is taken by facility {holder}, perhaps deleted)")


def _write(
    conn: Connection,
    caller: Caller,
    row: RowMapping,
    expected: int,
    values: Mapping[str, object],
    action: str,
    now: datetime,
) -> FacilityView:
    """Apply `values` if the row is still at `expected`, audit before/after, return the new state."""
    outcome = facility_edits.update_if_version(conn, int(row["id"]), expected, values, now)
    if outcome is WriteOutcome.STALE:
        raise PreconditionFailed(f"设施刚被他人修改 (facility {row['id']} was changed meanwhile; GET it again)")
    if outcome is WriteOutcome.CODE_TAKEN:
        raise Conflict(f"编码已被使用 (code {values.get('code')!r} is taken)")
    after = _found(conn, int(row["id"]))
    audit.record(
        conn,
        caller.audit_context(),
        action=action,
        entity="facility",
        entity_id=int(row["id"]),
        before=snapshot(row),
        after=snapshot(after),
    )
    return FacilityView(after, detailed=True)


def get_facility(conn: Connection, principal: Principal | None, facility_id: int) -> FacilityView:
    """The public sees a facility that is not deleted; signed-in callers any, with stewardship columns."""
    row = facility_edits.facility_detail(conn, facility_id)
    if row is None or (principal is None and row["deleted_at"] is not None):
        raise NotFound(f"没有该设施 (no facility {facility_id})")
    return FacilityView(row, detailed=principal is not None)


def create_facility(
    conn: Connection, caller: Caller, body: FacilityCreate, now: datetime | None = None
) -> FacilityView:
    """A new facility (version 1) in a district the caller may write; 409 when the code is taken."""
    principal = require_role(caller.principal, "editor")
    lon, lat = wgs84_point(body.lon, body.lat, body.crs)
    values = body.model_dump(exclude={"crs"}) | {"lon": lon, "lat": lat}
    record = checked_record(conn, values, derive_district=body.district_adcode is None, locate=True)
    require_write(principal, record.district_adcode)
    _check_code_free(conn, record.code)
    facility_id = facility_edits.insert_facility(conn, record, utc_now(now))
    if facility_id is None:
        raise Conflict(f"编码已被使用 (code {record.code!r} is taken)")
    after = _found(conn, facility_id)
    context = caller.audit_context()
    audit.record(
        conn, context, action="create", entity="facility", entity_id=facility_id, before=None, after=snapshot(after)
    )
    return FacilityView(after, detailed=True)


def _patched_values(row: RowMapping, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The record values after the patch; a moved point (lon and lat together) converted to WGS-84."""
    moved = "lon" in changes or "lat" in changes
    if moved and (changes.get("lon") is None or changes.get("lat") is None):
        missing = "lat" if changes.get("lon") is not None else "lon"
        raise InvalidInput([(missing, "经度和纬度须一起给出 (give lon and lat together to move a facility)")])
    if "crs" in changes and not moved:
        raise InvalidInput([("crs", "坐标系只用于经纬度 (crs applies to lon/lat: give them too)")])
    values = apply_patch(record_values(row), changes)
    if moved:
        values["lon"], values["lat"] = wgs84_point(changes["lon"], changes["lat"], changes.get("crs"))
    return values


def patch_facility(
    conn: Connection,
    caller: Caller,
    facility_id: int,
    versions: ExpectedVersions,
    patch: FacilityPatch,
    now: datetime | None = None,
) -> FacilityView:
    """Merge-patch a facility and re-validate it whole; a patch that changes nothing writes nothing."""
    target = _editable(conn, caller, facility_id, versions, version_required=True)
    row = target.row
    changes = patch.model_dump(exclude_unset=True)
    moved = "lon" in changes or "lat" in changes
    derive = "district_adcode" in changes and changes["district_adcode"] is None
    derive = derive or (moved and "district_adcode" not in changes)
    record = checked_record(
        conn, _patched_values(row, changes), derive_district=derive, locate=moved or "district_adcode" in changes
    )
    require_write(target.principal, record.district_adcode)  # the district it moves to, too
    if record.model_dump() == record_values(row):
        return FacilityView(row, detailed=True)
    if record.code != row["code"]:
        _check_code_free(conn, record.code)
    return _write(conn, caller, row, target.expected, facility_edits.record_values(record), "update", utc_now(now))


def delete_facility(
    conn: Connection, caller: Caller, facility_id: int, versions: ExpectedVersions, now: datetime | None = None
) -> FacilityView:
    """Soft delete: status `closed` and `deleted_at`; the row stays, restorable by an admin."""
    target = _editable(conn, caller, facility_id, versions, version_required=True)
    moment = utc_now(now)
    values = {"status": "closed", "deleted_at": moment}
    return _write(conn, caller, target.row, target.expected, values, "delete", moment)


def _status_before_deletion(conn: Connection, row: RowMapping) -> str:
    """The status the audit log recorded just before the last deletion; the current one if none is found
    (a row deleted by plain SQL): the facility then comes back `closed`, for an editor to reopen."""
    event = audit_queries.latest_event(conn, entity="facility", entity_id=str(row["id"]), action="delete")
    status = (event.before or {}).get("status") if event is not None else None
    return status if isinstance(status, str) and status in vocab.STATUSES else str(row["status"])


def restore_facility(
    conn: Connection, caller: Caller, facility_id: int, versions: ExpectedVersions, now: datetime | None = None
) -> FacilityView:
    """Undo a soft delete (admins): the facility returns with the status it had before."""
    require_role(caller.principal, "admin")
    row = _found(conn, facility_id)
    if row["deleted_at"] is None:
        raise Conflict(f"该设施未被删除 (facility {facility_id} is not deleted)")
    expected = _expected(row, versions, required=False)
    values = {"status": _status_before_deletion(conn, row), "deleted_at": None}
    return _write(conn, caller, row, expected, values, "restore", utc_now(now))


def verify_facility(
    conn: Connection,
    caller: Caller,
    facility_id: int,
    versions: ExpectedVersions,
    policy: EditPolicy,
    now: datetime | None = None,
) -> FacilityView:
    """Record that the caller checked the facility today (local date): last_verified_at and _by."""
    target = _editable(conn, caller, facility_id, versions, version_required=False)
    moment = utc_now(now)
    values = {"last_verified_at": moment.astimezone(policy.zone).date(), "last_verified_by": target.principal.actor}
    return _write(conn, caller, target.row, target.expected, values, "verify", moment)


def facility_history(
    conn: Connection, principal: Principal | None, facility_id: int, *, limit: int, offset: int
) -> AuditPage:
    """The facility's audit rows, newest first: viewers, editors of its district, admins. Client
    addresses are for admins only (the audit route); others see None."""
    known = require_principal(principal)
    row = _found(conn, facility_id)
    if known.role == "editor" and not can_write(known, row["district_adcode"]):
        raise Forbidden(f"只能查看本区县设施的历史 (history is for editors of district {row['district_adcode']})")
    key = str(facility_id)
    rows = audit_queries.list_audit(conn, entity="facility", entity_id=key, limit=limit, offset=offset)
    if not known.is_admin:
        rows = [replace(event, address=None) for event in rows]
    return AuditPage(rows, audit_queries.count_audit(conn, entity="facility", entity_id=key), limit, offset)
