"""Who may use which OpenStreetMap way, in which direction, and how fast: one table per travel profile.

The rules follow OSM's tagging conventions (highway class, the access tag hierarchy from the most
specific mode to `access`, oneway including `-1` and roundabouts, maxspeed in km/h or mph) and are kept
deliberately small: they decide reachability and a plausible travel time, not a turn-by-turn route.
Speeds are what a rider or driver averages on that class of road in a Chinese city, capped by the
posted maxspeed and, for e-bikes and trucks, by their legal limit (25 km/h; 80 km/h for heavy goods
vehicles on most roads).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

#: access values that close a way to a mode (anything else — yes, permissive, destination … — opens it)
CLOSED: Final = frozenset({"no", "private", "agricultural", "forestry", "discouraged", "use_sidepath"})
#: values of the mode's own tag that open a way whatever its class (e.g. a footway with bicycle=designated)
OPENED: Final = frozenset({"yes", "designated", "permissive"})
_ONEWAY_FORWARD: Final = frozenset({"yes", "true", "1"})
_ONEWAY_BACKWARD: Final = frozenset({"-1", "reverse"})
_IMPLIED_ONEWAY: Final = frozenset({"motorway"})  # OSM: motorways are one-way unless tagged otherwise
_MPH: Final = 1.609344

_CAR_SPEEDS: Final = {
    "motorway": 100.0,
    "motorway_link": 50.0,
    "trunk": 80.0,
    "trunk_link": 40.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 30.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
}
_TRUCK_AVOIDS: Final = ("residential", "living_street")
_EBIKE_ROADS: Final = tuple(cls for cls in _CAR_SPEEDS if not cls.startswith("motorway") and cls != "living_street")


@dataclass(frozen=True)
class Profile:
    """How one kind of traveller uses the ways."""

    name: str
    speeds_kmh: Mapping[str, float]  # highway class → average speed; classes not listed are closed
    access_tags: tuple[str, ...]  # most specific first; the first one present decides
    max_kmh: float  # legal or physical top speed of the traveller
    follows_oneway: bool = True
    oneway_exempt_tag: str | None = None  # e.g. oneway:bicycle=no opens the other direction
    opened_speed_kmh: float = 10.0  # speed on a way of an unlisted class opened by the mode's own tag


PROFILES: Final[dict[str, Profile]] = {
    "walk": Profile(
        "walk",
        dict.fromkeys((*_CAR_SPEEDS, "footway", "pedestrian", "path", "steps", "track", "cycleway"), 5.0)
        | {"motorway": 0.0, "motorway_link": 0.0},
        ("foot", "access"),
        max_kmh=5.0,
        follows_oneway=False,
        opened_speed_kmh=5.0,
    ),
    "ebike": Profile(
        "ebike",
        dict.fromkeys(_EBIKE_ROADS, 20.0) | {"living_street": 10.0, "cycleway": 18.0, "path": 12.0, "track": 12.0},
        ("bicycle", "vehicle", "access"),
        max_kmh=25.0,
        oneway_exempt_tag="oneway:bicycle",
    ),
    "drive": Profile("drive", _CAR_SPEEDS, ("motorcar", "motor_vehicle", "vehicle", "access"), max_kmh=120.0),
    "truck": Profile(
        "truck",
        {cls: speed for cls, speed in _CAR_SPEEDS.items() if cls not in _TRUCK_AVOIDS},
        ("hgv", "motor_vehicle", "vehicle", "access"),
        max_kmh=80.0,
    ),
}


@dataclass(frozen=True)
class Usage:
    """Per way segment: may the profile travel it from u to v, from v to u, and at what speed (m/s)."""

    forward: BoolArray
    backward: BoolArray
    speed_ms: FloatArray


def _column(ways: pd.DataFrame, name: str) -> pd.Series:
    """A tag as lower-case strings ('' where untagged); extracts lack columns for tags nobody used."""
    if name not in ways.columns:
        return pd.Series("", index=ways.index, dtype=object)
    return ways[name].fillna("").astype(str).str.strip().str.lower()


def _access(ways: pd.DataFrame, tags: tuple[str, ...]) -> pd.Series:
    """The value of the most specific access tag present on each way ('' when none is)."""
    decided = pd.Series("", index=ways.index, dtype=object)
    for tag in reversed(tags):
        value = _column(ways, tag)
        decided = decided.where(value == "", value)
    return decided


def maxspeed_kmh(raw: pd.Series) -> FloatArray:
    """Posted limits as km/h (NaN where absent or symbolic, e.g. `CN:urban`); `30 mph` → 48.3."""
    text = raw.fillna("").astype(str).str.lower()
    number = pd.to_numeric(text.str.extract(r"^\s*(\d+(?:\.\d+)?)", expand=False), errors="coerce")
    number = number.where(~text.str.contains("mph"), number * _MPH)
    return number.where(number > 0).to_numpy(dtype=np.float64, na_value=np.nan)


def usage(ways: pd.DataFrame, profile: Profile) -> Usage:
    """Apply `profile` to way segments with OSM tag columns (`highway`, `oneway`, `maxspeed`, …)."""
    highway = _column(ways, "highway")
    class_speed = highway.map(profile.speeds_kmh).astype(np.float64)
    access = _access(ways, profile.access_tags)
    own = _column(ways, profile.access_tags[0])
    by_class = class_speed.notna() & (class_speed > 0) & ~access.isin(CLOSED)
    opened = own.isin(OPENED) & ~by_class
    speed = class_speed.where(by_class, profile.opened_speed_kmh).to_numpy(dtype=np.float64)
    speed = np.fmin(speed, maxspeed_kmh(_column(ways, "maxspeed")))
    speed = np.minimum(np.nan_to_num(speed, nan=profile.opened_speed_kmh), profile.max_kmh)
    allowed = (by_class | opened).to_numpy(dtype=bool)
    forward_only, backward_only = _oneway(ways, highway, profile)
    return Usage(allowed & ~backward_only, allowed & ~forward_only, (speed / 3.6).astype(np.float64))


def _oneway(ways: pd.DataFrame, highway: pd.Series, profile: Profile) -> tuple[BoolArray, BoolArray]:
    """(ways travelled only u→v, ways travelled only v→u) for this profile."""
    none = np.zeros(len(ways), dtype=bool)
    if not profile.follows_oneway:
        return none, none
    oneway = _column(ways, "oneway")
    implied = (oneway == "") & (highway.isin(_IMPLIED_ONEWAY) | (_column(ways, "junction") == "roundabout"))
    forward = oneway.isin(_ONEWAY_FORWARD) | implied
    backward = oneway.isin(_ONEWAY_BACKWARD)
    if profile.oneway_exempt_tag is not None:
        exempt = (_column(ways, profile.oneway_exempt_tag) == "no") | _column(ways, "cycleway").str.startswith(
            "opposite"
        )
        forward, backward = forward & ~exempt, backward & ~exempt
    return forward.to_numpy(dtype=bool), backward.to_numpy(dtype=bool)
