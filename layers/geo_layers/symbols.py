"""How facilities look on maps and cards: colour and icon per kind, icon per amenity and access method.

Icons are Font Awesome 6 solid names, served by the app itself (no CDN). Every code of geo_service.vocab
has an entry (tests check it), so a new code cannot show up on a map without a symbol.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, NamedTuple


class KindStyle(NamedTuple):
    color: str
    icon: str


KIND_STYLES: Final = MappingProxyType(
    {
        "station": KindStyle("#c62828", "mug-hot"),  # union red
        "rest_base": KindStyle("#00796b", "bed"),
        "mediation_centre": KindStyle("#3949ab", "scale-balanced"),
    }
)

AMENITY_ICONS: Final = MappingProxyType(
    {
        "hot_water": "mug-hot",
        "cold_water": "glass-water",
        "microwave": "bowl-food",
        "phone_charging": "mobile-screen-button",
        "ebike_charging": "charging-station",
        "battery_swap": "car-battery",
        "toilet": "restroom",
        "air_conditioning": "fan",
        "seating": "chair",
        "first_aid": "kit-medical",
        "aed": "heart-pulse",
        "wifi": "wifi",
        "books": "book-open",
        "rain_gear": "umbrella",
        "repair_tools": "screwdriver-wrench",
        "fridge": "temperature-low",
        "nursing_room": "baby",
        "legal_aid": "scale-unbalanced",
        "counselling": "comments",
        "truck_parking": "truck",
        "ebike_parking": "square-parking",
        "wheelchair": "wheelchair",
    }
)

ACCESS_ICONS: Final = MappingProxyType(
    {
        "open": "door-open",
        "staffed": "user-tie",
        "face": "face-smile",
        "id_card": "id-card",
        "app_qr": "qrcode",
    }
)
