"""Words on the map pages in Chinese (default) and English (`?lang=en`).

Chinese labels of codes come from geo_service.vocab; the English ones are here, keyed by the same codes
(tests check that every code has one). Facility names and addresses are data and stay as entered.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

from geo_service import vocab

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")

_EN_KINDS = {"station": "Union rest station", "rest_base": "Workers' rest base", "mediation_centre": "Mediation centre"}
_EN_AMENITIES = {
    "hot_water": "Hot water",
    "cold_water": "Drinking water",
    "microwave": "Microwave",
    "phone_charging": "Phone charging",
    "ebike_charging": "E-bike charging",
    "battery_swap": "Battery swap",
    "toilet": "Toilet",
    "air_conditioning": "Air conditioning",
    "seating": "Seats",
    "first_aid": "First-aid kit",
    "aed": "AED",
    "wifi": "Wi-Fi",
    "books": "Books",
    "rain_gear": "Rain gear",
    "repair_tools": "Repair tools",
    "fridge": "Fridge",
    "nursing_room": "Nursing room",
    "legal_aid": "Legal aid",
    "counselling": "Counselling",
    "truck_parking": "Truck parking",
    "ebike_parking": "E-bike parking",
    "wheelchair": "Step-free access",
}
_EN_ACCESS = {
    "open": "Walk in",
    "staffed": "Staffed: ask at the desk",
    "face": "Face scan at the door",
    "id_card": "Union card or ID card",
    "app_qr": "Scan the QR code",
}
_EN_STATUSES = {"open": "Open", "temporarily_closed": "Temporarily closed", "closed": "Closed", "planned": "Planned"}

LABELS: Final = MappingProxyType(
    {
        "zh": {
            "kinds": dict(vocab.KINDS),
            "amenities": dict(vocab.AMENITIES),
            "access": dict(vocab.ACCESS_METHODS),
            "statuses": dict(vocab.STATUSES),
        },
        "en": {"kinds": _EN_KINDS, "amenities": _EN_AMENITIES, "access": _EN_ACCESS, "statuses": _EN_STATUSES},
    }
)

_ZH = {
    "site": "滨州市职工服务设施地图",
    "public_title": "工会驿站·疗休养基地·调解中心地图",
    "public_short": "工会驿站地图",
    "nearby_title": "附近的工会驿站",
    "coverage_title": "驿站覆盖规划图",
    "sample_notice": "示例数据：均为合成的演示点位，非真实站点",
    "sample_badge": "示例数据",
    "layers": "图层",
    "search": "搜索名称或编号",
    "no_results": "没有找到",
    "locate": "我的位置",
    "locating": "正在定位…",
    "locate_failed": "无法获取位置：请允许定位，或在地图上点选位置。",
    "tiles_failed": "底图加载失败，设施和功能仍可使用。",
    "open": "营业中",
    "closed": "已关闭",
    "unknown": "营业时间未知",
    "hours": "开放时间",
    "access": "进入方式",
    "phone": "电话",
    "address": "地址",
    "verified": "最近核实",
    "never_verified": "尚未核实",
    "open_reports": "{n} 条问题反馈待核实",
    "navigate": "导航",
    "amap": "高德",
    "baidu": "百度",
    "tencent": "腾讯",
    "nearby_link": "查找附近驿站",
    "full_map": "查看完整地图",
    "language": "English",
    "loading": "加载中…",
    "zoom_in": "个设施，放大查看",
    "in_view": "个设施在视野内",
    "clusters_hint": "数字为该处设施数量，点击放大",
    "use_location": "使用我的位置",
    "pick_on_map": "或在地图上点选位置",
    "open_now": "现在营业",
    "all_kinds": "全部类型",
    "amenities": "设施服务",
    "results": "离你最近",
    "none_found": "附近没有符合条件的设施，试试放宽筛选。",
    "you_are_here": "你的位置",
    "metres": "米",
    "kilometres": "公里",
    "no_data": "无人口数据",
    "density_stations": "{n} 个驿站",
    "density_population": "常住人口 {p:.1f} 万（{year} 年）",
    "density_rate": "每万人 {r:.2f} 个驿站",
    "gap_area": "空白面积 {a:,.1f} 平方公里",
    "gap_demand": "未覆盖需求约 {d:,.0f} 人",
    "site_rank": "建议新址 #{rank}",
    "site_demand": "新增覆盖需求约 {d:,.0f} 人",
    "site_area": "新增覆盖面积 {a:,.2f} 平方公里",
    "radius": "服务半径",
    "districts": "区县地图",
    "whole_city": "全市",
}
_EN = {
    "site": "Binzhou workers' service facilities",
    "public_title": "Union rest stations, rest bases and mediation centres",
    "public_short": "Union stations map",
    "nearby_title": "Rest stations near you",
    "coverage_title": "Station coverage (planning)",
    "sample_notice": "Sample data: synthetic, not real stations",
    "sample_badge": "Sample data",
    "layers": "Layers",
    "search": "Search name or code",
    "no_results": "Nothing found",
    "locate": "My location",
    "locating": "Locating…",
    "locate_failed": "No location: allow location access, or tap the map to choose a point.",
    "tiles_failed": "The base map did not load; facilities and tools still work.",
    "open": "Open now",
    "closed": "Closed now",
    "unknown": "Hours unknown",
    "hours": "Hours",
    "access": "How to get in",
    "phone": "Phone",
    "address": "Address",
    "verified": "Last checked",
    "never_verified": "not yet checked",
    "open_reports": "{n} problem report(s) waiting to be checked",
    "navigate": "Navigate",
    "amap": "Amap",
    "baidu": "Baidu",
    "tencent": "Tencent",
    "nearby_link": "Near me",
    "full_map": "Open the full map",
    "language": "中文",
    "loading": "Loading…",
    "zoom_in": "facilities: zoom in to see them",
    "in_view": "facilities in view",
    "clusters_hint": "Numbers are facilities in that area; tap to zoom in",
    "use_location": "Use my location",
    "pick_on_map": "or tap the map to choose a point",
    "open_now": "Open now",
    "all_kinds": "All kinds",
    "amenities": "Amenities",
    "results": "Nearest to you",
    "none_found": "Nothing nearby matches; try fewer filters.",
    "you_are_here": "You are here",
    "metres": "m",
    "kilometres": "km",
    "no_data": "no population figure",
    "density_stations": "{n} stations",
    "density_population": "population {p:.1f} × 10k ({year})",
    "density_rate": "{r:.2f} stations per 10,000 people",
    "gap_area": "gap {a:,.1f} km²",
    "gap_demand": "about {d:,.0f} people out of reach",
    "site_rank": "Suggested site #{rank}",
    "site_demand": "reaches about {d:,.0f} more people",
    "site_area": "covers {a:,.2f} km² more",
    "radius": "Service radius",
    "districts": "District maps",
    "whole_city": "Whole city",
}
STRINGS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType({"zh": _ZH, "en": _EN})


def strings(lang: Lang) -> Mapping[str, str]:
    return STRINGS[lang]
