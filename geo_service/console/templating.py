"""Jinja2 for the console: autoescaped templates, the words of the page's language, URLs that keep it.

Autoescaping is on for every template and nothing is marked safe, so names, notes and hours reach the
page as text; data for scripts travels in `data-*` attributes (escaped like any attribute) and is read
with `dataset` and JSON.parse, never evaluated. StrictUndefined turns a missing word into an error the
tests see, instead of an empty label a person would.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from geo_service.api.page_policy import tile_origins
from geo_service.console.i18n import CODE_LABELS
from geo_service.console.policy import console_headers
from geo_service.console.words import WORDS
from geo_service.maps import assets
from geo_service.maps.basemaps import basemap
from geo_service.maps.i18n import Lang
from geo_service.services.console_sessions import ActiveSession
from geo_service.settings import Settings

TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"
QueryValue = str | int | float | bool | None


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def lang_of(request: Request) -> Lang:
    return "en" if request.query_params.get("lang") == "en" else "zh"


def console_url(root: str, path: str, lang: Lang, params: Mapping[str, QueryValue] | None = None) -> str:
    """`path` under the app's root path with `params` (None and False left out) and `lang=en` if English."""
    pairs = [(k, str(v)) for k, v in (params or {}).items() if v is not None and v is not False and v != ""]
    if lang == "en":
        pairs.append(("lang", "en"))
    return f"{root}{path}" + (f"?{urlencode(pairs)}" if pairs else "")


def _other_language(request: Request, lang: Lang) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if lang == "zh":
        pairs.append(("lang", "en"))
    root = request.scope.get("root_path", "")
    return f"{root}{request.url.path}" + (f"?{urlencode(pairs)}" if pairs else "")


def render(
    request: Request,
    template: str,
    context: Mapping[str, object],
    *,
    session: ActiveSession | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page `template` in the request's language, with the console's headers (CSP, no-store)."""
    settings: Settings = request.app.state.settings
    lang, root = lang_of(request), request.scope.get("root_path", "")

    def url(path: str, params: Mapping[str, QueryValue] | None = None, **more: QueryValue) -> str:
        return console_url(root, path, lang, {**(params or {}), **more})

    page = (
        environment()
        .get_template(template)
        .render(
            **context,
            lang=lang,
            t=WORDS[lang],
            codes=CODE_LABELS[lang],
            u=url,
            static=lambda path: f"{root}/static/{assets.versioned(path)}",  # the map assets: fingerprinted
            other_language=_other_language(request, lang),
            session=session,
            csrf=session.csrf_token if session else "",
        )
    )
    all_headers = {**console_headers(tile_origins(basemap(settings))), **(headers or {})}
    return HTMLResponse(page, status_code=status_code, headers=all_headers)
