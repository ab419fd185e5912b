"""Words of the console pages in Chinese (default) and English (`?lang=en`).

Chinese labels of codes come from geo_service.vocab, English ones from the maps' table where it has them
and from here otherwise; tests check that both languages have every key and every code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from geo_service import vocab
from geo_service.maps.i18n import EN_STATUSES, Lang
from geo_service.maps.i18n import LABELS as MAP_LABELS

_EN_CODES: dict[str, dict[str, str]] = {
    "statuses": EN_STATUSES,
    "host_types": {
        "union_built": "Built by the union",
        "bank": "Bank branch",
        "post": "Post office",
        "telecom": "Telecom shop",
        "petrol": "Petrol station",
        "government": "Government office",
        "enterprise": "Company",
        "other": "Other",
    },
    "report_kinds": {
        "closed": "Closed",
        "locked": "Locked, cannot get in",
        "moved": "Moved",
        "no_water": "No water",
        "no_power": "No power",
        "dirty": "Dirty",
        "other": "Other problem",
    },
    "report_statuses": {"open": "Open", "resolved": "Resolved", "dismissed": "Dismissed"},
    "resolutions": {
        "confirmed_fine": "Checked: as shown",
        "fixed": "Fixed",
        "closed": "Confirmed closed",
        "moved": "Confirmed moved",
        "dismissed": "Dismissed",
    },
    "roles": {"viewer": "Viewer", "editor": "Editor", "admin": "Admin"},
    "entities": {
        "facility": "Facility",
        "app_user": "User",
        "api_key": "API key",
        "import_batch": "Import batch",
        "problem_report": "Problem report",
    },
    "actions": {
        "create": "Created",
        "update": "Changed",
        "delete": "Deleted",
        "restore": "Restored",
        "verify": "Verified",
        "import": "Imported",
        "report": "Reported",
        "resolve": "Resolved report",
        "user.create": "User created",
        "user.disable": "User disabled",
        "user.enable": "User enabled",
        "user.password": "Password changed",
        "key.create": "Key created",
        "key.revoke": "Key revoked",
    },
}
_ZH_CODES: dict[str, dict[str, str]] = {
    "statuses": dict(vocab.STATUSES),
    "host_types": dict(vocab.HOST_TYPES),
    "report_kinds": dict(vocab.REPORT_KINDS),
    "report_statuses": dict(vocab.REPORT_STATUSES),
    "resolutions": dict(vocab.RESOLUTIONS),
    "roles": dict(vocab.ROLES),
    "entities": dict(vocab.AUDIT_ENTITIES),
    "actions": dict(vocab.AUDIT_ACTIONS),
}
#: code list → code → label, per language (kinds, amenities, access as on the maps; statuses as the spreadsheets)
CODE_LABELS: Final[Mapping[Lang, Mapping[str, Mapping[str, str]]]] = MappingProxyType(
    {"zh": {**MAP_LABELS["zh"], **_ZH_CODES}, "en": {**MAP_LABELS["en"], **_EN_CODES}}
)
