"""Header mapping: aliases in Chinese and English, explicit mappings, and the file-level errors."""

from __future__ import annotations

import pytest

from geo_service.errors import InvalidFile, InvalidParameter
from geo_service.interchange import map_columns
from geo_service.interchange.columns import ALIASES, COLUMNS, FIELDS, normalise_header
from geo_service.records import FacilityRecord

BASIC = ["编码", "名称", "类型", "区县", "经度", "纬度"]


def test_every_canonical_field_is_a_record_field_or_a_column_of_its_own() -> None:
    record_fields = set(FacilityRecord.model_fields) - {"district_adcode"}
    assert FIELDS - record_fields == {"district", "district_code"}
    assert record_fields - FIELDS == set()


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("名称", "name"), (" Name ", "name"), ("NAME", "name"), ("站点编码", "code"), ("编号", "code"),
        ("经度（GCJ-02）", "lon"), ("lng", "lon"), ("Longitude", "lon"), ("纬度(WGS84)", "lat"), ("LAT", "lat"),
        ("面积(平方米)", "area_m2"), ("乡镇/街道", "township"), ("乡镇街道", "township"), ("*名称", "name"),
        ("opening hours", "opening_hours"), ("Opening-Hours", "opening_hours"), ("区县代码", "district_code"),
        ("adcode", "district_code"), ("所属区县", "district"), ("联系电话", "phone"), ("ＴＥＬ", "phone"),
        ("货车车位", "truck_parking_spaces"), ("最后核实", "last_verified_at"), ("服务设施", "amenities"),
        ("主办类型", "host_type"), ("进入方式", "access_method"), ("来源", "source"), ("状态", "status"),
    ],
)  # fmt: skip
def test_aliases(header: str, field: str) -> None:
    assert ALIASES[normalise_header(header)] == field


def test_written_headers_map_back_to_their_field() -> None:
    for column in COLUMNS:
        assert ALIASES[normalise_header(column.zh)] == column.field
        assert ALIASES[normalise_header(column.en)] == column.field


def test_unknown_and_ignored_headers_are_reported() -> None:
    columns = map_columns([*BASIC, "序号", "系统编号", "备注", "geom'); DROP TABLE facility;--"])
    assert columns.unknown == ("备注", "geom'); DROP TABLE facility;--")
    assert columns.ignored == ("序号", "系统编号")
    assert columns.header("lon") == "经度" and columns.header("address") is None


def test_explicit_mapping_overrides_aliases() -> None:
    columns = map_columns(
        ["站名", "名称", "编码", "类型", "区县", "X坐标", "Y坐标"], {"站名": "name", "x坐标": "lon", "Y坐标": "lat"}
    )
    assert columns.fields["name"] == "站名" and columns.fields["lon"] == "X坐标" and columns.fields["lat"] == "Y坐标"
    assert "名称" in columns.ignored
    ignored = map_columns([*BASIC, "地址"], {"地址": ""})
    assert "address" not in ignored.fields and ignored.ignored == ("地址",)


@pytest.mark.parametrize(
    ("mapping", "message"), [({"站名": "name"}, "no column"), ({"名称": "nickname"}, "unknown field")]
)
def test_bad_mapping_names_the_mapping_parameter(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as caught:
        map_columns(BASIC, mapping)
    assert caught.value.parameter == "mapping"


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(InvalidFile) as caught:
        map_columns(["名称", "地址"])
    assert caught.value.message_en == "required columns are missing: code, kind, lon, lat, district"
    assert (
        caught.value.message_zh == "缺少必填列：编码（code）、类型（kind）、经度（lon）、纬度（lat）、区县（district）"
    )
    assert map_columns(["code", "name", "kind"], has_geometry=True, district_inferable=True).fields


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(InvalidFile, match="several columns for one field"):
        map_columns([*BASIC, "name"])
    with pytest.raises(InvalidFile, match="名称、名称 \\(2\\)"):
        map_columns([*BASIC, "名称 (2)"])
