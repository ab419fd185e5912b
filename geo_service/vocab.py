"""Controlled vocabularies of the data model (docs/architecture.md, "Data model").

One place for every code list, so the database constraints, the API validation, the sample
generator and the map legends can never disagree about what a valid value is.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

#: Facility kinds with their Chinese labels. Extensible: add a code here and a migration.
KINDS: Final = MappingProxyType(
    {
        "station": "工会驿站",
        "rest_base": "职工疗休养基地",
        "mediation_centre": "矛盾纠纷调解中心",
    }
)

#: Amenities a facility may offer, with the labels shown to riders.
AMENITIES: Final = MappingProxyType(
    {
        "hot_water": "热水",
        "cold_water": "饮用凉水",
        "microwave": "微波炉",
        "phone_charging": "手机充电",
        "ebike_charging": "电动车充电",
        "battery_swap": "换电",
        "toilet": "卫生间",
        "air_conditioning": "空调",
        "seating": "座椅休息",
        "first_aid": "急救药箱",
        "aed": "AED",
        "wifi": "无线网络",
        "books": "图书",
        "rain_gear": "雨具",
        "repair_tools": "维修工具",
        "fridge": "冰箱",
        "nursing_room": "母婴室",
        "legal_aid": "法律援助",
        "counselling": "心理咨询",
        "truck_parking": "货车停车",
        "ebike_parking": "电动车停放",
        "wheelchair": "无障碍",
    }
)

#: How a worker gets in.
ACCESS_METHODS: Final = MappingProxyType(
    {
        "open": "直接进入",
        "staffed": "有人值守",
        "face": "刷脸进入",
        "id_card": "刷工会卡/身份证",
        "app_qr": "扫码进入",
    }
)

#: Who hosts the facility.
HOST_TYPES: Final = MappingProxyType(
    {
        "union_built": "工会自建",
        "bank": "银行网点",
        "post": "邮政网点",
        "telecom": "通信营业厅",
        "petrol": "加油站",
        "government": "政府机关",
        "enterprise": "企业",
        "other": "其他",
    }
)

#: Operating status; only `open` facilities are offered to riders by default.
STATUSES: Final = MappingProxyType(
    {
        "open": "开放",
        "temporarily_closed": "暂停开放",
        "closed": "已关闭",
        "planned": "规划中",
    }
)

#: Label attached to every synthetic row wherever it is shown or exported.
SAMPLE_LABEL: Final = "示例数据 (synthetic)"

#: Account roles, weakest first: a viewer reads non-public fields, an editor writes the facilities of its
#: districts, an admin writes everything and manages accounts. The order is the order of privilege.
ROLES: Final = MappingProxyType(
    {
        "viewer": "查看者",
        "editor": "编辑者",
        "admin": "管理员",
    }
)

#: What a rider can report about a facility.
REPORT_KINDS: Final = MappingProxyType(
    {
        "closed": "已关闭",
        "locked": "锁门进不去",
        "moved": "已搬迁",
        "no_water": "没有水",
        "no_power": "没有电",
        "dirty": "不卫生",
        "other": "其他问题",
    }
)

#: Where a problem report stands; only `open` reports wait in the editors' queue.
REPORT_STATUSES: Final = MappingProxyType(
    {
        "open": "待处理",
        "resolved": "已处理",
        "dismissed": "已驳回",
    }
)

#: How an editor closed a report (`confirmed_fine` also records a verification of the facility).
RESOLUTIONS: Final = MappingProxyType(
    {
        "confirmed_fine": "核实正常",
        "fixed": "已修复",
        "closed": "确认关闭",
        "moved": "确认搬迁",
        "dismissed": "不予处理",
    }
)

#: File formats an import batch can come from.
IMPORT_FORMATS: Final = MappingProxyType(
    {
        "csv": "CSV",
        "xlsx": "Excel (XLSX)",
        "geojson": "GeoJSON",
        "gpkg": "GeoPackage",
        "shapefile": "Shapefile (zip)",
        "kml": "KML",
    }
)

#: What an audit row is about.
AUDIT_ENTITIES: Final = MappingProxyType(
    {
        "facility": "设施",
        "app_user": "用户",
        "api_key": "API 密钥",
        "import_batch": "导入批次",
        "problem_report": "问题反馈",
    }
)

#: What was done. Checked when the row is written (not by a database constraint, so a new use case adds a
#: code here without a migration).
AUDIT_ACTIONS: Final = MappingProxyType(
    {
        "create": "新建",
        "update": "修改",
        "delete": "删除",
        "restore": "恢复",
        "verify": "核实",
        "import": "导入",
        "report": "提交反馈",
        "resolve": "处理反馈",
        "user.create": "新建用户",
        "user.disable": "停用用户",
        "user.enable": "启用用户",
        "user.password": "修改密码",
        "key.create": "新建密钥",
        "key.revoke": "吊销密钥",
    }
)
