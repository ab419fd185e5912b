"""The planner map's side panel: the settings that re-run the analysis (radius or preset, district, number
of sites), the exports of what is on screen, and the district figures as a table.

The settings are a plain GET form posting back to the page (planner.js only drops the fields left empty,
so a custom radius and a preset never arrive together); the export links carry the same parameters to
/api/v1/plan/export.<format>. Every value printed here goes through html_text. A static export keeps the
table and leaves out the form and the exports (there is no server to ask).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from geo_layers.escape import html_text
from geo_layers.units import distance_text
from geo_service.maps.document import PageContext
from geo_service.maps.i18n import strings
from geo_service.services.planner import PlannerAnalysis, PlannerQuery
from geo_service.services.study_area import PRESETS

#: (format of /api/v1/plan/export.<format>, label key), in the order of the buttons
EXPORTS = (
    ("xlsx", "export_xlsx"),
    ("geojson", "export_sites"),
    ("gaps.geojson", "export_gaps"),
    ("gpkg", "export_gpkg"),
    ("zip", "export_html"),
)


@dataclass(frozen=True)
class PanelData:
    query: PlannerQuery
    analysis: PlannerAnalysis
    districts: Sequence[tuple[str, str]]  # (adcode, name) of every district, for the district choice
    max_count: int


def query_pairs(data: PanelData, lang: str) -> list[tuple[str, str]]:
    """The page's question as URL parameters (the form's fields, the exports' query)."""
    radius = data.analysis.radius
    pairs = [("preset", radius.preset)] if radius.preset else [("radius_m", f"{radius.radius_m:g}")]
    pairs += [("district", adcode) for adcode in data.query.districts]
    return [*pairs, ("count", str(data.query.count)), ("lang", lang)]


def panel_html(ctx: PageContext, data: PanelData) -> str:
    words = strings(ctx.lang)
    parts = [f'<h2 class="gm-pl-heading">{html_text(words["planner_figures"])}</h2>', _table(data, words)]
    years = "、".join(str(year) for year in _years(data)) or "—"
    parts.append(f'<p class="gm-pl-method">{html_text(words["planner_method"].format(year=years))}</p>')
    if ctx.chrome == "full" and "plan_export" in ctx.api:
        parts = [_form(ctx, data, words), _exports(ctx, data, words), *parts]
    label = html_text(words["planner_form"])
    return f'<aside id="gm-planner" class="gm-planner" aria-label="{label}">{"".join(parts)}</aside>'


def _years(data: PanelData) -> list[int]:
    return sorted({d.population_year for d in data.analysis.area.districts if d.population_year is not None})


def _form(ctx: PageContext, data: PanelData, words: Mapping[str, str]) -> str:
    radius = data.analysis.radius
    options = [(name, words[f"preset_{name}"], name == radius.preset) for name in PRESETS]
    if radius.preset is None:
        options.append(("", words["preset_custom"].format(r=distance_text(radius.radius_m, words)), True))
    chosen = set(data.query.districts)
    districts = [("", words["whole_city"], not chosen)]
    districts += [(adcode, name, adcode in chosen or name in chosen) for adcode, name in data.districts]
    custom = "" if radius.preset else f"{radius.radius_m:g}"
    fields = [
        _select("gm-pl-preset", "preset", words["planner_radius"], options),
        _field(
            "gm-pl-radius",
            words["planner_custom"],
            f'type="number" name="radius_m" min="1" step="any" value="{custom}"',
        ),
        _select("gm-pl-district", "district", words["planner_district"], districts),
        _field(
            "gm-pl-count",
            words["planner_count"],
            f'type="number" name="count" min="0" max="{data.max_count}" step="1" value="{data.query.count}" required',
        ),
    ]
    lang = f'<input type="hidden" name="lang" value="{html_text(ctx.lang)}">'
    button = f'<button type="submit" class="gm-btn gm-btn-primary">{html_text(words["planner_rerun"])}</button>'
    action = html_text(ctx.api["planner_page"])
    title = html_text(words["planner_form"])
    return (
        f'<form class="gm-pl-form" method="get" action="{action}"><h2 class="gm-pl-heading">{title}</h2>'
        f"{''.join(fields)}{lang}{button}</form>"
    )


def _select(element_id: str, name: str, label: str, options: Sequence[tuple[str, str, bool]]) -> str:
    items = "".join(
        f'<option value="{html_text(value)}"{" selected" if chosen else ""}>{html_text(text)}</option>'
        for value, text, chosen in options
    )
    return (
        f'<label class="gm-pl-field" for="{element_id}">{html_text(label)}'
        f'<select id="{element_id}" name="{name}">{items}</select></label>'
    )


def _field(element_id: str, label: str, attributes: str) -> str:
    text = html_text(label)
    return f'<label class="gm-pl-field" for="{element_id}">{text}<input id="{element_id}" {attributes}></label>'


def _exports(ctx: PageContext, data: PanelData, words: Mapping[str, str]) -> str:
    query = html_text(urlencode(query_pairs(data, ctx.lang)))
    base = html_text(ctx.api["plan_export"])
    links = "".join(
        f'<a class="gm-btn gm-pl-export" data-format="{fmt}" href="{base}.{fmt}?{query}" download>'
        f"{html_text(words[key])}</a>"
        for fmt, key in EXPORTS
    )
    heading = html_text(words["planner_exports"])
    return f'<section class="gm-pl-exports"><h2 class="gm-pl-heading">{heading}</h2>{links}</section>'


def _table(data: PanelData, words: Mapping[str, str]) -> str:
    sites: dict[str, int] = {}
    for site in data.analysis.sites:
        key = site.place.district_adcode or ""
        sites[key] = sites.get(key, 0) + 1
    heads = ["col_district", "col_stations", "col_per_10k", "col_area", "col_demand", "col_sites"]
    head = "".join(f'<th scope="col">{html_text(words[key])}</th>' for key in heads)
    body = "".join(_row(row, sites, words) for row in data.analysis.summary)
    return f'<table class="gm-pl-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _row(row: Mapping[str, Any], sites: Mapping[str, int], words: Mapping[str, str]) -> str:
    total = row["adcode"] == "total"
    name = words["total"] if total else row["name"]
    new = sum(sites.values()) if total else sites.get(row["adcode"], 0)
    cells = [
        str(row["facilities"]),
        _number(row["facilities_per_10k"], "{:.2f}"),
        _number(row["covered_area_pct"], "{:.1f}%"),
        _number(row["demand_covered_pct"], "{:.1f}%"),
        str(new),
    ]
    tds = "".join(f"<td>{html_text(cell)}</td>" for cell in cells)
    css = ' class="gm-pl-total"' if total else ""
    return f'<tr{css} data-adcode="{html_text(row["adcode"])}"><th scope="row">{html_text(name)}</th>{tds}</tr>'


def _number(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)
