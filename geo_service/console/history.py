"""A facility's audit rows as the console shows them: who, when, what, and which fields changed how."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

#: Snapshot members that are bookkeeping, not something an editor changed.
_QUIET = frozenset({"version", "updated_at", "created_at", "import_batch_id"})


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    at: str  # local time, to the minute
    actor: str
    action: str
    changes: list[Change]


def shown(value: Any) -> str:
    """A snapshot value as text: lists and objects as compact JSON, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, list | dict | bool):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    old, new = before or {}, after or {}
    keys = [key for key in (*new, *(k for k in old if k not in new)) if key not in _QUIET]
    return [Change(key, shown(old.get(key)), shown(new.get(key))) for key in keys if old.get(key) != new.get(key)]


def local_minute(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def entries(rows: Sequence[Any], zone: ZoneInfo) -> list[HistoryEntry]:
    """History entries of audit rows (geo_service.queries.audit.AuditRow), in their order."""
    return [
        HistoryEntry(local_minute(row.at, zone), row.actor, row.action, changes(row.before, row.after)) for row in rows
    ]
