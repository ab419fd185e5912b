"""Opening hours in words: "每天 08:00–20:00", "周一至周五 08:00–18:00；周六、周日 休息", "全天 24 小时开放".

The words are read off the parsed expression (the `opening_hours` library, as everywhere else), never
from a second parser: the open intervals of one reference week are split per day, a span that runs past
midnight is shown on the day it starts ("22:00–次日 06:00"), and days that read the same are grouped.
Public holidays (`PH`) are described from a holiday of the library's calendar. Rules that depend on
the date (months, weeks) are described for the reference week and flagged as such. Comments ("电话预约")
are kept, in brackets; sun times (the library puts sunrise at 07:00, sunset at 19:00, dawn 06:00, dusk
20:00 when it knows no position) are named, not shown as clock times that look exact.

`state_words` says a facility's state (geo_service.analysis.hours.facility_state) to a rider: 营业中,
休息中（明天 08:00 开门）, 暂停服务, 已撤销 …; `hours_words` is describe_hours memoised per distinct string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from opening_hours import OpeningHours, State

from geo_service.analysis.hours import HOURS_CACHE_SIZE, FacilityState, StateAt, parse_hours

Lang = Literal["zh", "en"]
#: (start, end, unknown): minutes from the day's midnight (an end past 1440 is the next day), and whether
#: the expression marks the span `unknown` (e.g. "Mo-Fr 08:00-18:00 unknown") rather than open.
Segment = tuple[int, int, bool]

#: A week of the CN calendar without public holidays, and a public holiday (National Day, a Wednesday).
REFERENCE_MONDAY = datetime(2025, 3, 10)
REFERENCE_HOLIDAY = datetime(2025, 10, 1)
_DAY = timedelta(days=1)
_FULL_DAY = 1440
_DATED = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|week|easter|SH)\b|\d{4}")
_HOLIDAY = re.compile(r"\bPH\b")
#: where the library puts the sun events when it knows no position (minutes from midnight)
_SUN_MINUTES = {"sunrise": 420, "sunset": 1140, "dawn": 360, "dusk": 1200}


@dataclass(frozen=True)
class _Words:
    days: tuple[str, ...]
    pair: str  # joins two days
    through: str  # joins the first and last of a run
    closed: str
    all_day: str
    every_day: str
    always: str
    never: str
    next_day: str
    holidays: str
    dated: str
    unsure: str
    items: str
    parts: str
    unconfirmed: str  # every day unknown
    note: str  # a comment of the expression
    sun: Mapping[str, str]
    unknown: str  # no hours, or hours that do not parse


WORDS: dict[Lang, _Words] = {
    "zh": _Words(
        ("周一", "周二", "周三", "周四", "周五", "周六", "周日"), "、", "至", "休息", "全天",
        "每天", "全天 24 小时开放", "每天休息", "次日 ", "法定节假日", "（部分规则随日期变化，以上为一般周）",
        "（待确认）", "、", "；", "营业时间待确认", "（{}）",
        {"sunrise": "日出", "sunset": "日落", "dawn": "黎明", "dusk": "黄昏"}, "营业时间未知",
    ),
    "en": _Words(
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), ", ", "–", "closed", "all day",
        "Every day", "Open 24/7", "Closed every day", "next day ", "Public holidays",
        " (some rules depend on the date; this is a usual week)", " (unconfirmed)", ", ", "; ",
        "Hours not confirmed", " ({})", {"sunrise": "sunrise", "sunset": "sunset", "dawn": "dawn", "dusk": "dusk"},
        "Hours unknown",
    ),
}  # fmt: skip


def _minutes(moment: datetime, midnight: datetime) -> int:
    return int((moment - midnight).total_seconds() // 60)


def _open_segments(hours: OpeningHours, start: datetime, days: int) -> list[list[Segment]]:
    """Open (or unknown) segments per day of `days` days from `start`."""
    per_day: list[list[Segment]] = [[] for _ in range(days)]
    stop = start + days * _DAY
    for begin, end, state, _comment in hours.intervals(start, stop):
        if state not in (State.OPEN, State.UNKNOWN):
            continue
        for day in range(days):
            midnight = start + day * _DAY
            low, high = max(begin, midnight), min(end or stop, midnight + _DAY)
            if low < high:
                per_day[day].append((_minutes(low, midnight), _minutes(high, midnight), state == State.UNKNOWN))
    return per_day


def _join_overnight(week: list[list[Segment]]) -> list[list[Segment]]:
    """A span that ends at midnight and goes on the next morning is shown once, on the day it starts."""

    def partial(segment: Segment) -> bool:
        return segment[:2] != (0, _FULL_DAY)

    merges = [
        bool(week[d] and week[(d + 1) % 7])
        and week[d][-1][1] == _FULL_DAY and week[(d + 1) % 7][0][0] == 0
        and week[d][-1][2] == week[(d + 1) % 7][0][2]
        and partial(week[d][-1]) and partial(week[(d + 1) % 7][0])
        for d in range(7)
    ]  # fmt: skip
    joined = []
    for d in range(7):
        segments = list(week[d][1:] if merges[(d - 1) % 7] else week[d])
        if merges[d] and segments:
            start, _end, unsure = segments[-1]
            segments[-1] = (start, _FULL_DAY + week[(d + 1) % 7][0][1], unsure)
        joined.append(segments)
    return joined


def _clock(minutes: int, words: _Words, sun: Mapping[int, str]) -> str:
    prefix = words.next_day if minutes > _FULL_DAY else ""
    minutes = minutes - _FULL_DAY if minutes > _FULL_DAY else minutes
    return prefix + sun.get(minutes, f"{minutes // 60:02d}:{minutes % 60:02d}")


def _day_text(segments: Sequence[Segment], words: _Words, sun: Mapping[int, str]) -> str:
    if not segments:
        return words.closed
    if [segment[:2] for segment in segments] == [(0, _FULL_DAY)]:
        return words.all_day + (words.unsure if segments[0][2] else "")
    return words.items.join(
        f"{_clock(a, words, sun)}–{_clock(b, words, sun)}{words.unsure if unsure else ''}" for a, b, unsure in segments
    )


def _days_label(first: int, last: int, words: _Words) -> str:
    if first == last:
        return words.days[first]
    if last == first + 1:
        return words.days[first] + words.pair + words.days[last]
    return words.days[first] + words.through + words.days[last]


def _week_text(texts: list[str], words: _Words) -> str:
    if len(set(texts)) == 1:
        only = texts[0]
        if only == words.all_day + words.unsure:
            return words.unconfirmed
        if only in (words.all_day, words.closed):
            return words.always if only == words.all_day else words.never
        return f"{words.every_day} {only}"
    parts, first = [], 0
    for day in range(1, 8):
        if day == 7 or texts[day] != texts[first]:
            parts.append(f"{_days_label(first, day - 1, words)} {texts[first]}")
            first = day
    return words.parts.join(parts)


def _sun_labels(expression: str, words: _Words) -> dict[int, str]:
    """The clock minutes that stand for a sun event of the expression (unless written as a time, too)."""
    return {
        minutes: words.sun[event]
        for event, minutes in _SUN_MINUTES.items()
        if event in expression and f"{minutes // 60:02d}:{minutes % 60:02d}" not in expression
    }


def _comments(hours: OpeningHours) -> list[str]:
    """The distinct comments of the reference week, in order of appearance."""
    found = (comment.strip() for *_span, comment in hours.intervals(REFERENCE_MONDAY, REFERENCE_MONDAY + 7 * _DAY))
    return list(dict.fromkeys(comment for comment in found if comment))


def describe_hours(expression: str, hours: OpeningHours, lang: Lang = "zh") -> str:
    """The hours of a parsed expression in words (Chinese, or English)."""
    words = WORDS[lang]
    sun = _sun_labels(expression, words)
    week = _open_segments(hours, REFERENCE_MONDAY - _DAY, 9)
    texts = [_day_text(day, words, sun) for day in _join_overnight(week[1:8])]
    text = _week_text(texts, words)
    if _HOLIDAY.search(expression):
        holiday = _open_segments(hours, REFERENCE_HOLIDAY, 1)
        text += f"{words.parts}{words.holidays} {_day_text(holiday[0], words, sun)}"
    text += "".join(words.note.format(comment) for comment in _comments(hours))
    if _DATED.search(expression):
        text += words.dated
    return text


@lru_cache(maxsize=HOURS_CACHE_SIZE)
def hours_words(expression: str | None, country: str = "CN", lang: Lang = "zh") -> str:
    """describe_hours of the expression as parse_hours reads it ("营业时间未知" when it does not parse),
    memoised: pages and the nearest answer render each distinct hours string once per language."""
    parsed = parse_hours(expression, country)
    if parsed is None or expression is None:
        return WORDS[lang].unknown
    return describe_hours(expression, parsed, lang)


@dataclass(frozen=True)
class _StateWords:
    states: Mapping[FacilityState, str]
    opens: str  # {when}: the opening time, and its day when not today
    tomorrow: str
    days: tuple[str, ...]
    date: str  # {month} {day}: a day more than six days ahead


STATE_WORDS: dict[Lang, _StateWords] = {
    "zh": _StateWords(
        {
            FacilityState.OPEN: "营业中", FacilityState.CLOSED: "休息中", FacilityState.UNKNOWN: "营业时间未知",
            FacilityState.SUSPENDED: "暂停服务", FacilityState.WITHDRAWN: "已撤销", FacilityState.PLANNED: "规划中",
        },
        "休息中（{when} 开门）", "明天", WORDS["zh"].days, "{month}月{day}日",
    ),
    "en": _StateWords(
        {
            FacilityState.OPEN: "Open now", FacilityState.CLOSED: "Closed",
            FacilityState.UNKNOWN: "Hours unknown", FacilityState.SUSPENDED: "Suspended",
            FacilityState.WITHDRAWN: "Withdrawn", FacilityState.PLANNED: "Planned",
        },
        "Closed · opens {when}", "tomorrow", WORDS["en"].days, "{day} {abbr}",
    ),
}  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(opens: datetime, today: date, words: _StateWords) -> str:
    clock = f"{opens:%H:%M}"
    days = (opens.date() - today).days
    if days <= 0:
        return clock
    if days == 1:
        return f"{words.tomorrow} {clock}"
    if days < 7:
        return f"{words.days[opens.weekday()]} {clock}"
    day = words.date.format(month=opens.month, day=opens.day, abbr=_MONTHS[opens.month - 1])
    return f"{day} {clock}"


def state_words(state: StateAt, wall_clock: datetime, lang: Lang = "zh") -> str:
    """The state in words at `wall_clock` (naive local time, as the state was derived at)."""
    if state.state is FacilityState.CLOSED and state.opens_at is not None:
        return _opens_words(state.opens_at, wall_clock.date(), lang)
    return STATE_WORDS[lang].states[state.state]


@lru_cache(maxsize=HOURS_CACHE_SIZE)
def _opens_words(opens: datetime, today: date, lang: Lang) -> str:
    """休息中（明天 08:00 开门）: memoised, the facilities of a query share few opening times."""
    words = STATE_WORDS[lang]
    return words.opens.format(when=_when(opens, today, words))
