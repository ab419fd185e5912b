"""The committed population table: complete, sourced, and internally consistent."""

from __future__ import annotations

import csv

from geo_service.data_files import POPULATION
from tests.databases import DATA_DIR

CITY_2010_CENSUS = 3_748_474


def test_every_unit_has_a_sourced_figure_and_counties_sum_to_the_2010_city_total() -> None:
    with (DATA_DIR / POPULATION).open(encoding="utf-8", newline="") as handle:
        rows = {row["adcode"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"371600", "371602", "371603", "371621", "371622", "371623", "371625", "371681"}
    for row in rows.values():
        assert int(row["population"]) > 100_000 and row["source"] and row["year"]
    counties = [row for code, row in rows.items() if code != "371600"]
    assert {row["year"] for row in counties} == {"2010"}
    assert sum(int(row["population"]) for row in counties) == CITY_2010_CENSUS
