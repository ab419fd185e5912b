"""The folium element every map layer is: a call into the page script (geomaps.js) with a JSON config.

Layers hand folium no markup and no strings to interpolate: the config is serialised once by
layers.escape.script_json, and the script builds popups, tooltips and legends with DOM text nodes.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, MacroElement
from folium.template import Template

from geo_layers.escape import script_json


class ScriptCall(MacroElement):
    """`GeoMaps.<function>(<the map>, <config>)` in the page's script, in the order elements were added."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "GeoMaps.{{ this.function }}({{ this._parent.get_name() }}, {{ this.config }});\n"
        "{% endmacro %}"
    )

    def __init__(self, function: str, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "ScriptCall"
        if not function.isidentifier():
            raise ValueError(f"not a script function name: {function!r}")
        self.function = function
        self.config = script_json(config)

    def render(self, **kwargs: Any) -> str:
        """Add the call to the page's script as text. MacroElement.render would wrap the rendered call in
        an `Element`, which compiles it as a Jinja template: a name in the config holding `{{ … }}` would
        run on the server (or, unbalanced, fail the page)."""
        figure = self.get_root()
        script = self._template.module.__dict__["script"]
        figure.script.add_child(RawHtml(script(self, kwargs)), name=self.get_name())  # type: ignore[attr-defined]
        for child in self._children.values():
            child.render(**kwargs)
        return ""  # a macro element adds to the page's parts; it has no markup of its own


def script_layer(config: dict[str, Any]) -> ScriptCall:
    """A layer for GeoMaps.addLayer: `config` has at least `type`, `id` and `title`."""
    return ScriptCall("addLayer", config)


class RawHtml(Element):
    """Markup our code made (every value in it already escaped), placed in the page as it is.

    branca's `Element(html)` compiles its argument as a Jinja template: text from the database inside it
    (a facility's name in the first nearest answer, a district's name) holding `{{ … }}` or `{% … %}` was
    run as template code on the server. This element's template is fixed; the markup is its value."""

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._name = "RawHtml"
        self.markup = markup
