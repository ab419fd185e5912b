"""open_now / at on a hand-built fixture whose answers are known by reading the hours."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_service.app import create_app
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord
from geo_service.services import setup
from geo_service.settings import Settings
from tests.databases import DATA_DIR

ORIGIN = (117.97, 37.38)
HOURS = {
    "ALWAYS": "24/7",
    "SPLIT": "Mo-Fr 08:30-12:00,14:30-18:00",
    "NIGHT": "Mo-Su 20:00-08:00",
    "NO_HOLIDAY": "Mo-Su 08:00-20:00; PH off",
    "GARBLED": "when the caretaker is in",
    "MISSING": None,
}
# Expected open codes at each local time (Asia/Shanghai). 2026-11-24 is a Tuesday; 2026-10-01 is National Day.
CASES = {
    "2026-11-24T10:00:00": {"ALWAYS", "SPLIT", "NO_HOLIDAY"},
    "2026-11-24T13:00:00": {"ALWAYS", "NO_HOLIDAY"},  # lunch break of the split hours
    "2026-11-24T23:30:00": {"ALWAYS", "NIGHT"},
    "2026-11-25T02:00:00": {"ALWAYS", "NIGHT"},  # overnight span continues past midnight
    "2026-11-28T10:00:00": {"ALWAYS", "NO_HOLIDAY"},  # Saturday
    "2026-10-01T10:00:00": {"ALWAYS", "SPLIT"},  # public holiday: PH off closes NO_HOLIDAY
    "2026-11-24T02:00:00Z": {"ALWAYS", "SPLIT", "NO_HOLIDAY"},  # 10:00 in Shanghai
}


@pytest.fixture
def hours_client(empty_engine: Engine, empty_db_url: str) -> Iterator[TestClient]:
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, DATA_DIR)
    # GARBLED hours are refused by FacilityRecord today, but rows stored before (or by plain SQL) may hold
    # them: the hours are set past validation so the index's handling of them is still tested.
    records = [
        FacilityRecord(
            code=code,
            kind="station",
            name=f"{code} 驿站",
            district_adcode="371602",
            lon=ORIGIN[0] + 0.001 * (i + 1),
            lat=ORIGIN[1],
        ).model_copy(update={"opening_hours": hours})
        for i, (code, hours) in enumerate(HOURS.items())
    ]
    with empty_engine.begin() as conn:
        insert_facilities(conn, records)
    with TestClient(create_app(Settings(db_url=empty_db_url))) as client:
        yield client


def _states(client: TestClient, **params) -> dict[str, str]:
    response = client.get(
        "/api/v1/facilities/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "limit": 10, **params}
    )
    assert response.status_code == 200, response.text
    return {f["properties"]["code"]: f["properties"]["open_state"] for f in response.json()["features"]}


def test_open_state_and_open_now_filter(hours_client: TestClient) -> None:
    for at, expected_open in CASES.items():
        states = _states(hours_client, at=at)
        assert {code for code, state in states.items() if state == "open"} == expected_open, at
        assert states["GARBLED"] == states["MISSING"] == "unknown", at
        filtered = _states(hours_client, at=at, open_now="true")
        assert set(filtered) == expected_open, at


def test_open_now_field_is_null_when_unknown(hours_client: TestClient) -> None:
    response = hours_client.get(
        "/api/v1/facilities/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "limit": 10, "at": "2026-11-24T10:00"}
    )
    by_code = {f["properties"]["code"]: f["properties"] for f in response.json()["features"]}
    assert by_code["GARBLED"]["open_now"] is None and by_code["SPLIT"]["open_now"] is True
    assert by_code["NIGHT"]["open_now"] is False


def _words(client: TestClient, **params) -> dict[str, tuple[str, str, str | None, str]]:
    response = client.get(
        "/api/v1/facilities/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "limit": 10, **params}
    )
    assert response.status_code == 200, response.text
    return {
        f["properties"]["code"]: (
            f["properties"]["hours_text"],
            f["properties"]["state_text"],
            f["properties"]["changes_at"],
            f["properties"]["opening_hours"],
        )
        for f in response.json()["features"]
    }


# Tuesday 13:00 in Shanghai: the split hours are at lunch, the night hours open at 20:00, the rest known.
SPLIT_ZH, SPLIT_EN = (
    "周一至周五 08:30–12:00、14:30–18:00；周六、周日 休息",
    "Mon–Fri 08:30–12:00, 14:30–18:00; Sat, Sun closed",
)
WORDS_AT_LUNCH = {
    "zh": {
        "ALWAYS": ("全天 24 小时开放", "营业中", None),
        "SPLIT": (SPLIT_ZH, "休息中（14:30 开门）", "2026-11-24T14:30:00+08:00"),
        "NIGHT": ("每天 20:00–次日 08:00", "休息中（20:00 开门）", "2026-11-24T20:00:00+08:00"),
        "NO_HOLIDAY": ("每天 08:00–20:00；法定节假日 休息", "营业中", "2026-11-24T20:00:00+08:00"),
        "GARBLED": ("营业时间未知", "营业时间未知", None),
        "MISSING": ("营业时间未知", "营业时间未知", None),
    },
    "en": {
        "ALWAYS": ("Open 24/7", "Open now", None),
        "SPLIT": (SPLIT_EN, "Closed · opens 14:30", "2026-11-24T14:30:00+08:00"),
        "NIGHT": ("Every day 20:00–next day 08:00", "Closed · opens 20:00", "2026-11-24T20:00:00+08:00"),
        "NO_HOLIDAY": ("Every day 08:00–20:00; Public holidays closed", "Open now", "2026-11-24T20:00:00+08:00"),
        "GARBLED": ("Hours unknown", "Hours unknown", None),
        "MISSING": ("Hours unknown", "Hours unknown", None),
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hours_and_state_in_words(hours_client: TestClient, lang: str) -> None:
    params = {"at": "2026-11-24T13:00:00"} | ({"lang": lang} if lang == "en" else {})
    words = _words(hours_client, **params)
    assert {code: value[:3] for code, value in words.items()} == WORDS_AT_LUNCH[lang]
    assert {code: value[3] for code, value in words.items()} == HOURS  # the raw hours stay, for machines


def test_closed_after_hours_says_the_day_it_opens(hours_client: TestClient) -> None:
    friday_evening = _words(hours_client, at="2026-11-27T19:00:00")  # SPLIT opens again on Monday
    assert friday_evening["SPLIT"][1:3] == ("休息中（周一 08:30 开门）", "2026-11-30T08:30:00+08:00")
    tuesday_evening = _words(hours_client, at="2026-11-24T19:00:00", lang="en")
    assert tuesday_evening["SPLIT"][1:3] == ("Closed · opens tomorrow 08:30", "2026-11-25T08:30:00+08:00")
    holiday = _words(hours_client, at="2026-10-01T10:00:00")  # PH off: open again the next day
    assert holiday["NO_HOLIDAY"][1] == "休息中（明天 08:00 开门）"


def test_an_unknown_language_is_a_named_422(hours_client: TestClient) -> None:
    response = hours_client.get("/api/v1/facilities/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "lang": "fr"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "lang"]


def test_map_cards_say_the_same_words_as_the_nearest_answer(hours_client: TestClient, empty_engine: Engine) -> None:
    """The viewport feed and the embedded markers of the map pages word the hours from the same parse, and say
    a suspended facility is suspended (not "closed", which now means closed for the night)."""
    paused = FacilityRecord(
        code="PAUSED",
        kind="station",
        name="PAUSED 驿站",
        district_adcode="371602",
        lon=ORIGIN[0],
        lat=ORIGIN[1] + 0.001,
        opening_hours=HOURS["SPLIT"],
        status="temporarily_closed",
    )
    with empty_engine.begin() as conn:
        insert_facilities(conn, [paused])
    for lang, suspended in (("zh", "暂停服务"), ("en", "Suspended")):
        nearest = _words(hours_client, lang=lang)
        feed = hours_client.get("/maps/data/facilities", params={"bbox": "117.5,37.0,118.5,37.8", "lang": lang})
        cards = {f["properties"]["code"]: f["properties"] for f in feed.json()["features"]}
        assert {code: cards[code]["hours_text"] for code in HOURS} == {code: nearest[code][0] for code in HOURS}
        assert (cards["PAUSED"]["state"], cards["PAUSED"]["state_text"]) == ("suspended", suspended)
        assert cards["PAUSED"]["hours_text"] == nearest["SPLIT"][0]
        page = hours_client.get("/maps/public", params={"lang": lang}).text
        assert f'"state_text":"{suspended}"' in page and f'"hours_text":"{nearest["SPLIT"][0]}"' in page
        assert "已关闭" not in page


def test_errors_name_a_code_that_pages_word_in_their_language(hours_client: TestClient) -> None:
    from geo_service.maps.i18n import STRINGS

    far = hours_client.get("/api/v1/facilities/nearest", params={"lon": 100.0, "lat": 30.0})
    assert far.status_code == 422
    assert far.json()["detail"][0]["code"] == "outside_service_area"
    one_point = hours_client.post("/api/v1/facilities/along-route", json={"route": "117.9,37.38"})
    assert one_point.status_code == 422
    assert one_point.json()["detail"][0]["code"] == "route_too_few_points"
    for lang in ("zh", "en"):  # every code the API names has the page's words
        assert STRINGS[lang]["error_outside_service_area"] and STRINGS[lang]["error_route_too_few_points"]
