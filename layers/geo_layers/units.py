"""The one unit style of distances on pages: "850 米", "2.3 公里", "12 公里" in Chinese and "850 m", "2.3 km" in
English: whole metres below 1 km, kilometres with one decimal (".0" dropped) below 100 km, whole kilometres
beyond. The page script's GeoMaps.formatDistance (static/maps/geomaps.js) writes the same for the client.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def distance_text(metres: float, words: Mapping[str, str]) -> str:
    """Metres in the page's unit style; `words` are the page's strings (their `metres` and `kilometres`)."""
    whole = math.floor(metres + 0.5)  # half up, as the script's Math.round
    if whole < 1000:
        return f"{whole} {words['metres']}"
    km = metres / 1000
    if km >= 99.95:
        return f"{math.floor(km + 0.5)} {words['kilometres']}"
    text = f"{math.floor(km * 10 + 0.5) / 10:.1f}".removesuffix(".0")
    return f"{text} {words['kilometres']}"
