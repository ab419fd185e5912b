"""Entity tags of facilities: `"<id>-<version>"` (strong), and the versions an If-Match header names.

If-Match uses the strong comparison (RFC 9110 §13.1.1), so a weak tag (`W/"…"`) never matches, and
`If-Match: *` is refused: it would let a client overwrite changes it has never seen, which is exactly
what the ETag is there to prevent.
"""

from __future__ import annotations

import re

from geo_service.errors import PreconditionRequired

_STRONG = re.compile(r'^"(\d+)-(\d+)"$')


def etag(facility_id: int, version: int) -> str:
    return f'"{facility_id}-{version}"'


def if_match_versions(header: str | None, facility_id: int) -> frozenset[int] | None:
    """Versions of `facility_id` the header names (empty when it names none: a 412 follows); None when
    there is no header (a 428 where one is required)."""
    if header is None:
        return None
    if header.strip() == "*":
        raise PreconditionRequired(
            "If-Match: * 会覆盖未看到的修改，请发送该设施的 ETag "
            "(If-Match: * would overwrite changes you have not seen; send the facility's ETag)"
        )
    versions = set()
    for tag in header.split(","):
        match = _STRONG.match(tag.strip())
        if match is not None and int(match[1]) == facility_id:
            versions.add(int(match[2]))
    return frozenset(versions)
