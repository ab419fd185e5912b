"""Cell → typed value, one parser per kind of field; a bad cell raises CellError with its bilingual reason.

The parsers accept what people type into spreadsheets — Chinese labels as well as codes for the
controlled vocabularies, `、` `，` `,` `;` separated amenities, full-width digits, `是`/`否` — and nothing
looser: `1_000`, `nan` or `117°58'` are not numbers here, whatever Python's float() thinks.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

import orjson

from geo_service import vocab
from geo_service.interchange import messages
from geo_service.interchange.messages import Reason
from geo_service.interchange.tables import CellValue

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_AMENITY_SEPARATORS = re.compile(r"[、,，;；|\n]+")
_TRUE: Final = frozenset({"true", "1", "是", "yes", "y", "t"})
_FALSE: Final = frozenset({"false", "0", "否", "no", "n", "f"})
#: Counts are stored as 32-bit integers.
MAX_INTEGER: Final = 2**31 - 1
TOO_LARGE = Reason(f"数值过大（上限 {MAX_INTEGER}）", f"too large (at most {MAX_INTEGER})")


class CellError(ValueError):
    """A cell that cannot become its field's value; `reason` says why in both languages."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.en)
        self.reason = reason


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def text(value: CellValue) -> str | None:
    """Text as written; numbers (a code or phone typed as a number) without a spurious `.0`."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def number(value: CellValue) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        cleaned = _plain(value).removesuffix("°")
        if not _NUMBER.match(cleaned):
            raise CellError(messages.NOT_A_NUMBER)
        value = float(cleaned)
    result = float(value)
    if not math.isfinite(result):
        raise CellError(messages.NOT_FINITE)
    return result


def integer(value: CellValue) -> int | None:
    result = number(value)
    if result is None:
        return None
    if not result.is_integer():
        raise CellError(messages.NOT_INTEGER)
    if abs(result) > MAX_INTEGER:
        raise CellError(TOO_LARGE)
    return int(result)


def day(value: CellValue) -> date | None:
    if value is None:
        return None
    match = _DATE.match(_plain(value)) if isinstance(value, str) else None
    if match is None:
        raise CellError(messages.BAD_DATE)
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellError(messages.BAD_DATE) from None


def boolean(value: CellValue) -> bool | None:
    if value is None:
        return None
    key = _plain(str(text(value))).casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(messages.BAD_BOOLEAN)


def _vocabulary_keys(allowed: Mapping[str, str]) -> dict[str, str]:
    keys = {code.casefold(): code for code in allowed}
    keys.update({_plain(label).casefold(): code for code, label in allowed.items()})
    return keys


_VOCABULARIES: Final = {
    "kind": (vocab.KINDS, "类型", "kind"),
    "status": (vocab.STATUSES, "状态", "status"),
    "access_method": (vocab.ACCESS_METHODS, "进入方式", "access method"),
    "host_type": (vocab.HOST_TYPES, "主办类型", "host type"),
}
_KEYS: Final = {field: _vocabulary_keys(allowed) for field, (allowed, _, _) in _VOCABULARIES.items()}
_AMENITY_KEYS: Final = _vocabulary_keys(vocab.AMENITIES)


def code_of(field: str, value: CellValue) -> str | None:
    """The code of a controlled value given as its code (any case) or its Chinese label."""
    if value is None:
        return None
    found = _KEYS[field].get(_plain(str(text(value))).casefold())
    if found is None:
        allowed, label_zh, label_en = _VOCABULARIES[field]
        raise CellError(messages.unknown_code(label_zh, label_en, allowed))
    return found


def _amenity_tokens(value: str) -> list[str]:
    stripped = value.strip()
    if stripped.startswith("["):
        try:
            items = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            raise CellError(messages.BAD_JSON) from None
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise CellError(messages.unknown_amenities([stripped]))
        return items
    return [token for token in (t.strip() for t in _AMENITY_SEPARATORS.split(value)) if token]


def amenities(value: CellValue) -> list[str]:
    """Amenity codes in the order given; unknown or repeated ones are refused by name."""
    if value is None:
        return []
    tokens = _amenity_tokens(str(text(value)))
    codes = [_AMENITY_KEYS.get(_plain(token).casefold()) for token in tokens]
    unknown = [token for token, code in zip(tokens, codes, strict=True) if code is None]
    if unknown:
        raise CellError(messages.unknown_amenities(unknown))
    known = [code for code in codes if code is not None]
    repeated = sorted({code for code in known if known.count(code) > 1}, key=known.index)
    if repeated:
        raise CellError(messages.repeated_amenities([vocab.AMENITIES[code] for code in repeated]))
    return known


def details(value: CellValue) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        parsed = orjson.loads(str(text(value)))
    except orjson.JSONDecodeError:
        raise CellError(messages.BAD_JSON) from None
    if not isinstance(parsed, dict):
        raise CellError(messages.JSON_NOT_OBJECT)
    return parsed
