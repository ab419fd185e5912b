"""HTML pages of the OGC API (conformance class html), rendered from the same JSON documents as the JSON
answers, so the two never disagree. Chinese first, English with `lang=en`; every string from the data or
the request goes through html_text, so a facility named `<script>` is shown as text."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from geo_layers.escape import html_text

_WORDS: Final = {
    "zh": {
        "landing": "OGC API 首页",
        "conformance": "符合的标准类",
        "collections": "数据集合",
        "collection": "集合",
        "queryables": "可查询属性",
        "items": "要素",
        "item": "要素",
        "openapi": "API 定义",
        "links": "链接",
        "matched": "匹配",
        "returned": "本页",
        "next": "下一页",
        "prev": "上一页",
        "name": "名称",
        "type": "类型",
        "value": "值",
        "property": "属性",
        "extent": "范围",
        "language": "English",
        "json": "JSON",
        "geometry": "几何",
        "description": "说明",
    },
    "en": {
        "landing": "OGC API landing page",
        "conformance": "Conformance classes",
        "collections": "Collections",
        "collection": "Collection",
        "queryables": "Queryables",
        "items": "Features",
        "item": "Feature",
        "openapi": "API definition",
        "links": "Links",
        "matched": "matched",
        "returned": "on this page",
        "next": "Next page",
        "prev": "Previous page",
        "name": "Name",
        "type": "Type",
        "value": "Value",
        "property": "Property",
        "extent": "Extent",
        "language": "中文",
        "json": "JSON",
        "geometry": "Geometry",
        "description": "Description",
    },
}
_STYLE: Final = (
    "body{font:15px/1.5 system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:1.5rem auto;max-width:68rem;"
    "padding:0 1rem;color:#222}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}"
    "td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}"
    "nav a{margin-right:1rem}code{font-size:13px}"
)


def with_params(href: str, **params: str) -> str:
    """`href` with query parameters set (replacing those of the same name)."""
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


def _a(href: str, text: str, lang: str) -> str:
    return f'<a href="{html_text(with_params(href, f="html", lang=lang))}">{html_text(text)}</a>'


def _self(doc: Mapping[str, Any]) -> str:
    for link in doc.get("links", ()):
        if link.get("rel") == "self":
            return str(link["href"])
    return "?"


def _links(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    rows = []
    for link in doc.get("links", ()):
        href, rel = str(link.get("href", "")), str(link.get("rel", ""))
        shown = _a(href, link.get("title") or rel, lang) if "html" in str(link.get("type")) else _raw(href, rel)
        rows.append(f"<tr><td>{html_text(rel)}</td><td>{shown}</td><td>{html_text(link.get('type', ''))}</td></tr>")
    return f"<h2>{words['links']}</h2><table>{''.join(rows)}</table>" if rows else ""


def _raw(href: str, text: str) -> str:
    return f'<a href="{html_text(href)}">{html_text(text)}</a>'


def _table(rows: Sequence[tuple[str, object]], words: Mapping[str, str]) -> str:
    body = "".join(f"<tr><th>{html_text(k)}</th><td>{html_text(_cell(v))}</td></tr>" for k, v in rows)
    return f"<table><tr><th>{words['property']}</th><th>{words['value']}</th></tr>{body}</table>"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _landing(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    return f"<p>{html_text(doc.get('description', ''))}</p>"


def _conformance(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    return "<ul>" + "".join(f"<li><code>{html_text(c)}</code></li>" for c in doc["conformsTo"]) + "</ul>"


def _collection_row(c: Mapping[str, Any], lang: str) -> str:
    href = next((str(link["href"]) for link in c["links"] if link["rel"] == "self"), "")
    items = next((str(link["href"]) for link in c["links"] if link["rel"] == "items"), "")
    return (
        f"<tr><td>{_a(href, c['title'], lang)}</td><td>{html_text(c['id'])}</td>"
        f"<td>{html_text(c.get('description', ''))}</td><td>{_a(items, 'items', lang)}</td></tr>"
    )


def _collections(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    rows = "".join(_collection_row(c, lang) for c in doc["collections"])
    return f"<table><tr><th>{words['name']}</th><th>id</th><th>{words['description']}</th><th></th></tr>{rows}</table>"


def _collection(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    spatial = doc["extent"]["spatial"]["bbox"]
    rows = [
        ("id", doc["id"]),
        (words["description"], doc.get("description")),
        (words["extent"], spatial[0] if spatial else None),
    ]
    temporal = doc["extent"].get("temporal")
    if temporal:
        rows.append(("updated_at", temporal["interval"][0]))
    rows.append(("crs", doc["crs"]))
    return _table(rows, words)


def _queryables(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    rows = "".join(
        f"<tr><td><code>{html_text(name)}</code></td><td>{html_text(s.get('type', s.get('format', '')))}</td>"
        f"<td>{html_text(_cell(s.get('enum')))}</td></tr>"
        for name, s in doc["properties"].items()
    )
    return f"<table><tr><th>{words['name']}</th><th>{words['type']}</th><th></th></tr>{rows}</table>"


def _feature(feature: Mapping[str, Any], words: Mapping[str, str]) -> str:
    geometry = feature.get("geometry") or {}
    shown = geometry.get("coordinates") if geometry.get("type") == "Point" else geometry.get("type")
    rows = [("id", feature.get("id")), *feature.get("properties", {}).items(), (words["geometry"], shown)]
    return _table(rows, words)


def _items(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    matched, returned = html_text(doc["numberMatched"]), html_text(doc["numberReturned"])
    head = f"<p>{matched} {words['matched']}，{returned} {words['returned']}</p>"
    nav = "".join(
        _a(str(link["href"]), words[link["rel"]], lang) for link in doc["links"] if link["rel"] in ("next", "prev")
    )
    features = "".join(
        f"<h3>{html_text(f.get('id'))} {html_text(f['properties'].get('name', ''))}</h3>{_feature(f, words)}"
        for f in doc["features"]
    )
    return f"{head}<nav>{nav}</nav>{features}<nav>{nav}</nav>"


def _item(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    return _feature(doc, words)


def _openapi(doc: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str:
    rows = "".join(f"<li><code>GET {html_text(path)}</code></li>" for path in doc["paths"])
    return f"<p>OpenAPI {html_text(doc['openapi'])}</p><ul>{rows}</ul>"


_PAGES: Final[dict[str, Callable[[Mapping[str, Any], Mapping[str, str], str], str]]] = {
    "landing": _landing,
    "conformance": _conformance,
    "collections": _collections,
    "collection": _collection,
    "queryables": _queryables,
    "items": _items,
    "item": _item,
    "openapi": _openapi,
}


def render(page: str, doc: Mapping[str, Any], lang: str) -> str:
    """The HTML page `page` (landing, collections, items, …) of the JSON document `doc`."""
    words = _WORDS["en" if lang == "en" else "zh"]
    title = str(doc.get("title") or words[page])
    here = _self(doc)
    other = "en" if lang != "en" else "zh"
    root = _ogc_root(here)
    nav = (
        f"<nav>{_a(root, words['landing'], lang)}{_a(root + '/collections', words['collections'], lang)}"
        f"{_raw(with_params(here, f='html', lang=other), words['language'])}"
        f"{_raw(with_params(here, f='json'), words['json'])}</nav>"
    )
    body = _PAGES[page](doc, words, lang)
    links = _links(doc, words, lang) if page != "items" else ""
    return (
        f'<!doctype html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html_text(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{nav}<h1>{html_text(title)}</h1>{body}{links}</body></html>"
    )


def _ogc_root(href: str) -> str:
    path = urlsplit(href)
    cut = path.path.find("/ogc")
    root_path = path.path[: cut + 4] if cut >= 0 else "/ogc"
    return urlunsplit(path._replace(path=root_path, query=""))
