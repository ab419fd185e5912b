"""Opening hours and facility states in words, against answers written by hand from reading the hours.

The words are what riders read on the nearby page and the map cards (and the nearest API's hours_text and
state_text); each expression is real-world `opening_hours` syntax of the kinds county spreadsheets hold.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from geo_service.analysis.hours import FacilityState, facility_state, parse_hours
from geo_service.analysis.hours_text import hours_words, state_words

WEEKDAYS_OFF_ZH, WEEKDAYS_OFF_EN = "周六、周日 休息", "Sat, Sun closed"
HOURS = [
    ("24/7", "全天 24 小时开放", "Open 24/7"),
    ("Mo-Su 00:00-24:00", "全天 24 小时开放", "Open 24/7"),
    ("Mo-Fr 08:30-12:00,14:30-18:00", f"周一至周五 08:30–12:00、14:30–18:00；{WEEKDAYS_OFF_ZH}",
     f"Mon–Fri 08:30–12:00, 14:30–18:00; {WEEKDAYS_OFF_EN}"),
    ("Mo-Su 08:00-20:00", "每天 08:00–20:00", "Every day 08:00–20:00"),
    ("08:00-20:00", "每天 08:00–20:00", "Every day 08:00–20:00"),
    ("Mo-Fr 09:00-17:00", f"周一至周五 09:00–17:00；{WEEKDAYS_OFF_ZH}", f"Mon–Fri 09:00–17:00; {WEEKDAYS_OFF_EN}"),
    ("Mo-Fr 09:00-17:00; Sa,Su off", f"周一至周五 09:00–17:00；{WEEKDAYS_OFF_ZH}",
     f"Mon–Fri 09:00–17:00; {WEEKDAYS_OFF_EN}"),
    ("Mo-Su 08:00-20:00; PH off", "每天 08:00–20:00；法定节假日 休息", "Every day 08:00–20:00; Public holidays closed"),
    ("Mo-Fr 08:30-11:30,13:30-17:00; PH off",
     f"周一至周五 08:30–11:30、13:30–17:00；{WEEKDAYS_OFF_ZH}；法定节假日 休息",
     f"Mon–Fri 08:30–11:30, 13:30–17:00; {WEEKDAYS_OFF_EN}; Public holidays closed"),
    ("Mo-Su 06:00-22:00; PH 08:00-18:00", "每天 06:00–22:00；法定节假日 08:00–18:00",
     "Every day 06:00–22:00; Public holidays 08:00–18:00"),
    ("22:00-06:00", "每天 22:00–次日 06:00", "Every day 22:00–next day 06:00"),
    ("Mo-Fr 17:00-01:00", f"周一至周五 17:00–次日 01:00；{WEEKDAYS_OFF_ZH}",
     f"Mon–Fri 17:00–next day 01:00; {WEEKDAYS_OFF_EN}"),
    ("Mo-Fr 08:00-18:00; Sa 09:00-12:00", "周一至周五 08:00–18:00；周六 09:00–12:00；周日 休息",
     "Mon–Fri 08:00–18:00; Sat 09:00–12:00; Sun closed"),
    ("Mo-Fr 08:00-18:00, Sa 09:00-12:00", "周一至周五 08:00–18:00；周六 09:00–12:00；周日 休息",
     "Mon–Fri 08:00–18:00; Sat 09:00–12:00; Sun closed"),
    ("Mo-Sa 07:00-21:00; Su 09:00-17:00", "周一至周六 07:00–21:00；周日 09:00–17:00",
     "Mon–Sat 07:00–21:00; Sun 09:00–17:00"),
    ("Sa-Su 10:00-16:00", "周一至周五 休息；周六、周日 10:00–16:00", "Mon–Fri closed; Sat, Sun 10:00–16:00"),
    ("Mo-Fr 08:00-18:00; We off", f"周一、周二 08:00–18:00；周三 休息；周四、周五 08:00–18:00；{WEEKDAYS_OFF_ZH}",
     f"Mon, Tue 08:00–18:00; Wed closed; Thu, Fri 08:00–18:00; {WEEKDAYS_OFF_EN}"),
    ("Mo-Su 07:30-19:30; 12:00-13:00 off", "每天 07:30–12:00、13:00–19:30", "Every day 07:30–12:00, 13:00–19:30"),
    ("sunrise-sunset", "每天 日出–日落", "Every day sunrise–sunset"),
    ("sunset-sunrise", "每天 日落–次日 日出", "Every day sunset–next day sunrise"),
    ("off", "每天休息", "Closed every day"),
    ("closed", "每天休息", "Closed every day"),
    ("unknown", "营业时间待确认", "Hours not confirmed"),
    ("Mo-Sa 08:00-17:00 unknown", "周一至周六 08:00–17:00（待确认）；周日 休息",
     "Mon–Sat 08:00–17:00 (unconfirmed); Sun closed"),
    ('Mo-Fr 08:00-18:00 "电话预约"', f"周一至周五 08:00–18:00；{WEEKDAYS_OFF_ZH}（电话预约）",
     f"Mon–Fri 08:00–18:00; {WEEKDAYS_OFF_EN} (电话预约)"),
    ('off "装修中"', "每天休息（装修中）", "Closed every day (装修中)"),
    ("Apr-Oct Mo-Su 07:00-19:00; Nov-Mar Mo-Su 08:00-18:00",
     "每天 08:00–18:00（部分规则随日期变化，以上为一般周）",
     "Every day 08:00–18:00 (some rules depend on the date; this is a usual week)"),
    ("when the caretaker is in", "营业时间未知", "Hours unknown"),  # not opening_hours syntax
    ("", "营业时间未知", "Hours unknown"),
    (None, "营业时间未知", "Hours unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "zh", "en"), HOURS)
def test_hours_in_words_in_both_languages(expression: str | None, zh: str, en: str) -> None:
    assert hours_words(expression, "CN", "zh") == zh
    assert hours_words(expression, "CN", "en") == en


def test_the_table_is_real_world_sized() -> None:
    assert len({expression for expression, *_ in HOURS}) >= 24


SPLIT = "Mo-Fr 08:30-12:00,14:30-18:00"
# 2026-11-24 is a Tuesday, 2026-11-27 a Friday (Asia/Shanghai wall-clock times)
STATES = [
    ("open", SPLIT, "open", datetime(2026, 11, 24, 10, 0), "营业中", "Open now", datetime(2026, 11, 24, 12, 0)),
    ("lunch", SPLIT, "open", datetime(2026, 11, 24, 13, 0), "休息中（14:30 开门）", "Closed · opens 14:30",
     datetime(2026, 11, 24, 14, 30)),
    ("evening", SPLIT, "open", datetime(2026, 11, 24, 19, 0), "休息中（明天 08:30 开门）",
     "Closed · opens tomorrow 08:30", datetime(2026, 11, 25, 8, 30)),
    ("weekend", SPLIT, "open", datetime(2026, 11, 27, 18, 30), "休息中（周一 08:30 开门）",
     "Closed · opens Mon 08:30", datetime(2026, 11, 30, 8, 30)),
    ("before dawn", "Mo-Su 08:00-20:00", "open", datetime(2026, 11, 24, 6, 0), "休息中（08:00 开门）",
     "Closed · opens 08:00", datetime(2026, 11, 24, 8, 0)),
    ("always", "24/7", "open", datetime(2026, 11, 24, 3, 0), "营业中", "Open now", None),
    ("never", "off", "open", datetime(2026, 11, 24, 10, 0), "休息中", "Closed", None),
    ("next week", "Mo 08:00-09:00", "open", datetime(2026, 11, 23, 10, 0), "休息中（11月30日 08:00 开门）",
     "Closed · opens 30 Nov 08:00", datetime(2026, 11, 30, 8, 0)),
    ("unknown", None, "open", datetime(2026, 11, 24, 10, 0), "营业时间未知", "Hours unknown", None),
    ("suspended", SPLIT, "temporarily_closed", datetime(2026, 11, 24, 10, 0), "暂停服务", "Suspended", None),
    ("withdrawn", SPLIT, "closed", datetime(2026, 11, 24, 10, 0), "已撤销", "Withdrawn", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "hours", "status", "at", "zh", "en", "changes_at"), STATES, ids=[s[0] for s in STATES]
)
def test_state_in_words(
    case: str, hours: str | None, status: str, at: datetime, zh: str, en: str, changes_at: datetime | None
) -> None:
    state = facility_state(status, parse_hours(hours), at)
    assert state_words(state, at, "zh") == zh
    assert state_words(state, at, "en") == en
    assert state.changes_at == changes_at


def test_suspended_and_withdrawn_never_read_as_closed_for_the_night() -> None:
    at = datetime(2026, 11, 24, 13, 0)
    words = {status: state_words(facility_state(status, parse_hours(SPLIT), at), at) for status in ("open", "closed")}
    assert words == {"open": "休息中（14:30 开门）", "closed": "已撤销"}
    assert facility_state("temporarily_closed", parse_hours(SPLIT), at).state is FacilityState.SUSPENDED
