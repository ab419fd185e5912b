"""Pure parts of the console: opening hours in words (hand-written answers), the facility form's create
body and merge patch, the three-way merge of a stale save, and the two languages' words."""

from __future__ import annotations

import json

import pytest
from starlette.datastructures import FormData

from geo_service.analysis.hours import parse_hours
from geo_service.analysis.hours_text import describe_hours
from geo_service.console.forms import FacilityForm
from geo_service.console.i18n import CODE_LABELS
from geo_service.console.words import WORDS
from geo_service.errors import InvalidInput
from geo_service.services.hours_preview import preview_hours

HOURS = [
    ("Mo-Su 08:00-20:00", "每天 08:00–20:00", "Every day 08:00–20:00"),
    ("24/7", "全天 24 小时开放", "Open 24/7"),
    ("Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off",
     "周一至周五 08:00–18:00；周六 09:00–12:00；周日 休息；法定节假日 休息",
     "Mon–Fri 08:00–18:00; Sat 09:00–12:00; Sun closed; Public holidays closed"),
    ("Mo-Fr 08:00-12:00,14:00-18:00", "周一至周五 08:00–12:00、14:00–18:00；周六、周日 休息",
     "Mon–Fri 08:00–12:00, 14:00–18:00; Sat, Sun closed"),
    ("Mo-Su 22:00-06:00", "每天 22:00–次日 06:00", "Every day 22:00–next day 06:00"),
    ("Fr 22:00-02:00", "周一至周四 休息；周五 22:00–次日 02:00；周六、周日 休息",
     "Mon–Thu closed; Fri 22:00–next day 02:00; Sat, Sun closed"),
    ("Mo-Fr 00:00-24:00", "周一至周五 全天；周六、周日 休息", "Mon–Fri all day; Sat, Sun closed"),
    ("Tu,Th 09:00-11:00", "周一 休息；周二 09:00–11:00；周三 休息；周四 09:00–11:00；周五至周日 休息",
     "Mon closed; Tue 09:00–11:00; Wed closed; Thu 09:00–11:00; Fri–Sun closed"),
    ("Mo-Sa 08:00-17:00 unknown", "周一至周六 08:00–17:00（待确认）；周日 休息",
     "Mon–Sat 08:00–17:00 (unconfirmed); Sun closed"),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "zh", "en"), HOURS)
def test_hours_in_words(expression: str, zh: str, en: str) -> None:
    parsed = parse_hours(expression)
    assert describe_hours(expression, parsed, "zh") == zh
    assert describe_hours(expression, parsed, "en") == en


def test_the_live_check_accepts_exactly_what_a_save_accepts() -> None:
    from geo_service.records import FacilityRecord

    for text in ["Mo-Fr 08:00-18:00", "周一至周五 9点-17点", "Mo-Fr 25:00-26:00", "sunrise-sunset", "", "x" * 301]:
        try:
            FacilityRecord(
                code="c", kind="station", name="n", district_adcode="371602", lon=118, lat=37, opening_hours=text
            )
            saved = True
        except ValueError:
            saved = False
        assert preview_hours(text).valid == saved, text


ROW = {
    "code": "BZ-1", "name": "驿站", "kind": "station", "status": "open", "district_adcode": "371602", "township": None,
    "address": "渤海路", "lon": 117.9721, "lat": 37.3822, "amenities": ["toilet", "hot_water"], "opening_hours": "24/7",
    "access_method": "open", "truck_parking_spaces": 0, "area_m2": 30.0, "host_org": None, "host_type": None,
    "phone": "0543-1", "source": None, "details": {"floor": 1, "note": "a"},
}  # fmt: skip


def form(**changes: str | list[str]) -> FacilityForm:
    base = FacilityForm.from_row(ROW)
    values = {**base.values, **{k: v for k, v in changes.items() if k != "amenities"}}
    items = list(values.items()) + [("amenities", a) for a in changes.get("amenities", base.amenities)]
    return FacilityForm.from_form(FormData(items))


def test_an_untouched_form_patches_nothing() -> None:
    assert form().patch_against(ROW).model_dump(exclude_unset=True) == {}


def test_a_patch_holds_only_what_changed_and_removes_detail_members_with_null() -> None:
    patch = form(phone="", details=json.dumps({"floor": 2}), amenities=["toilet"]).patch_against(ROW)
    assert patch.model_dump(exclude_unset=True) == {
        "phone": None,
        "amenities": ["toilet"],
        "details": {"floor": 2, "note": None},
    }


def test_a_moved_pin_sends_the_point_in_its_coordinate_system() -> None:
    patch = form(lon="117.98", lat="37.39", crs="gcj02").patch_against(ROW)
    assert patch.model_dump(exclude_unset=True) == {"lon": 117.98, "lat": 37.39, "crs": "gcj02"}


def test_text_that_is_not_a_number_or_json_is_a_422_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        form(lat="北纬37度", details="{bad", area_m2="大").patch_against(ROW)
    assert sorted(field for field, _ in caught.value.problems) == ["area_m2", "details", "lat"]


def test_a_stale_save_applies_the_editors_own_changes_over_the_current_version() -> None:
    base = FacilityForm.from_row(ROW)
    theirs_row = {**ROW, "phone": "0543-2", "name": "他人改的名"}
    mine = form(name="我改的名", address="新地址")
    merged = mine.merged_onto(FacilityForm.from_row(theirs_row), base)
    patch = merged.patch_against(theirs_row).model_dump(exclude_unset=True)
    assert patch == {"name": "我改的名", "address": "新地址"}  # their phone stays; both changed the name: mine wins
    assert mine.changed_from(base) == {"name", "address"}


def test_both_languages_have_every_word_and_every_code() -> None:
    assert set(WORDS["zh"]) == set(WORDS["en"])
    for lists in (
        "kinds",
        "amenities",
        "access",
        "statuses",
        "host_types",
        "report_kinds",
        "resolutions",
        "roles",
        "actions",
    ):
        assert set(CODE_LABELS["zh"][lists]) == set(CODE_LABELS["en"][lists]), lists
