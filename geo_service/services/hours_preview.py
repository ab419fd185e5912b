"""The live check of opening hours in the console's facility form: valid or not, and in words.

Valid means exactly what FacilityRecord accepts (analysis.hours.is_valid_hours): the form's check and
the save can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_service.analysis.hours import parse_hours
from geo_service.analysis.hours_text import Lang, describe_hours
from geo_service.records import FacilityRecord

_MAX_LENGTH = FacilityRecord.model_fields["opening_hours"].metadata[0].max_length
_INVALID = {
    "zh": "不符合 OpenStreetMap 开放时间语法，例如 Mo-Fr 08:00-18:00; Sa 09:00-12:00",
    "en": "not valid OpenStreetMap opening_hours syntax, e.g. Mo-Fr 08:00-18:00; Sa 09:00-12:00",
}
_EMPTY = {"zh": "未填写：地图上显示为“营业时间未知”", "en": "empty: maps show “hours unknown”"}
_TOO_LONG = {"zh": f"最多 {_MAX_LENGTH} 个字符", "en": f"at most {_MAX_LENGTH} characters"}


@dataclass(frozen=True)
class HoursPreview:
    valid: bool
    text: str  # the hours in words when valid, else why not


def preview_hours(expression: str | None, lang: Lang = "zh") -> HoursPreview:
    value = (expression or "").strip()
    if not value:
        return HoursPreview(True, _EMPTY[lang])
    if len(value) > _MAX_LENGTH:
        return HoursPreview(False, _TOO_LONG[lang])
    parsed = parse_hours(value)
    if parsed is None:
        return HoursPreview(False, _INVALID[lang])
    return HoursPreview(True, describe_hours(value, parsed, lang))
