"""Opening-hours evaluation and its per-facility memo (pure, no database)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from geo_service.analysis.hours import OpenState, facility_state, local_time, parse_hours, state_at
from geo_service.maps.data import open_states
from geo_service.records import FacilityColumns
from geo_service.services.facility_index import FacilitySnapshot, build_snapshot
from geo_service.settings import Settings

# parse_hours without its memo: a fresh parse, the oracle for everything that shares parsed hours
fresh_hours = parse_hours.__wrapped__

EXPRESSIONS = [
    "24/7",
    "Mo-Fr 08:30-12:00,14:30-18:00",
    "Mo-Su 20:00-08:00",
    "Mo-Su 08:00-20:00; PH off",
    "Mo-Fr 09:00-17:00; Sa 09:00-12:00",
    "not hours at all",
    None,
]


def _row(i: int, hours: str | None) -> dict:
    return {
        "id": i,
        "code": f"C{i}",
        "kind": "station",
        "name": f"n{i}",
        "address": None,
        "district_adcode": "371602",
        "district": "滨城区",
        "township": None,
        "amenities": [],
        "opening_hours": hours,
        "access_method": None,
        "host_org": None,
        "host_type": None,
        "phone": None,
        "status": "open",
        "last_verified_at": None,
        "area_m2": None,
        "truck_parking_spaces": 0,
        "details": {},
        "is_sample": False,
        "lon": 117.9 + i * 0.01,
        "lat": 37.4,
    }


def test_unparseable_or_missing_hours_are_unknown() -> None:
    assert parse_hours("not hours at all") is None and parse_hours("") is None and parse_hours(None) is None
    assert state_at(None, datetime(2026, 11, 24, 10)) is OpenState.UNKNOWN


def test_aware_times_are_converted_to_local_wall_clock() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    utc = datetime(2026, 11, 24, 2, 0, tzinfo=ZoneInfo("UTC"))
    assert local_time(utc, shanghai) == datetime(2026, 11, 24, 10, 0)
    assert local_time(datetime(2026, 11, 24, 10, 0), shanghai) == datetime(2026, 11, 24, 10, 0)


def _snapshot(expressions: list[str | None]) -> FacilitySnapshot:
    rows = [_row(i, h) for i, h in enumerate(expressions)]
    batch = FacilityColumns({name: [row[name] for row in rows] for name in rows[0]}, len(rows))
    return build_snapshot([batch], 1, None, "CN", len)


def _random_asks(seed: int, count: int = 3000) -> Iterator[tuple[int, datetime, bool]]:
    """(position, moment, a coin) in a seeded random order: times jump back and forth over 80 days."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 9, 25)
    for _ in range(count):
        moment = start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 80)))
        yield int(rng.integers(0, len(EXPRESSIONS))), moment, bool(rng.random() < 0.5)


def test_memoised_state_equals_direct_evaluation_for_random_time_sequences() -> None:
    """The snapshot reuses a state until the hours' next change; jumping back and forth must not fool it."""
    snapshot = _snapshot(EXPRESSIONS)
    for position, moment, _coin in _random_asks(11):
        expected = state_at(fresh_hours(EXPRESSIONS[position]), moment)
        assert snapshot.open_state(position, moment) is expected, (EXPRESSIONS[position], moment)


def test_memoised_words_state_equals_the_derivation_for_random_time_sequences() -> None:
    """state() (the rider's words: when it changes, when it next opens) rebuilt from the memo's arrays is
    what facility_state derives afresh, however the times jump and whichever is asked first."""
    snapshot = _snapshot(EXPRESSIONS)
    for position, moment, open_state_first in _random_asks(12):
        if open_state_first:
            snapshot.open_state(position, moment)
        expected = facility_state(None, fresh_hours(EXPRESSIONS[position]), moment)
        assert snapshot.state(position, moment) == expected, (EXPRESSIONS[position], moment)


def test_the_memo_keeps_no_object_per_facility() -> None:
    """Asking about every facility of a large index leaves nothing per facility for the cyclic collector
    to walk (a dict of tuples did: ~50 ms a full pass after 60,000 national queries)."""
    snapshot = _snapshot([EXPRESSIONS[i % 3] for i in range(30_000)])
    gc.collect()
    before = len(gc.get_objects())
    for day in range(3):
        moment = datetime(2026, 12, 1 + day, 10, 15)
        for position in range(len(snapshot)):
            snapshot.state(position, moment)
    gc.collect()
    assert len(gc.get_objects()) - before < 500


def test_each_distinct_hours_string_is_parsed_once_per_country() -> None:
    assert parse_hours("Mo-Fr 08:30-12:00,14:30-18:00") is parse_hours("Mo-Fr 08:30-12:00,14:30-18:00")
    assert parse_hours("Mo-Su 08:00-20:00; PH off", "CN") is not parse_hours("Mo-Su 08:00-20:00; PH off", "DE")
    # 1 October is a public holiday in China, not in Germany: the memo must keep the calendars apart
    national_day = datetime(2026, 10, 1, 12)
    assert state_at(parse_hours("Mo-Su 08:00-20:00; PH off", "CN"), national_day) is OpenState.CLOSED
    assert state_at(parse_hours("Mo-Su 08:00-20:00; PH off", "DE"), national_day) is OpenState.OPEN


def test_map_open_states_equal_evaluating_each_row_alone() -> None:
    """The maps evaluate each distinct hours string once per call; every row must get its own answer."""
    rng = np.random.default_rng(5)
    statuses = ["open", "open", "temporarily_closed"]
    rows = [
        {**_row(i, EXPRESSIONS[int(rng.integers(0, len(EXPRESSIONS)))]), "status": statuses[i % 3]} for i in range(60)
    ]
    settings = Settings()
    for _ in range(40):
        moment = datetime(2026, 9, 25) + timedelta(minutes=int(rng.integers(0, 60 * 24 * 30)))
        expected = [
            state_at(fresh_hours(row["opening_hours"], "CN"), moment).value if row["status"] == "open" else "closed"
            for row in rows
        ]
        assert open_states(rows, settings, moment) == expected, moment
