"""The folium element every map layer is: a call into the page script (geomaps.js) with a JSON config.

Layers hand folium no markup and no strings to interpolate: the config is serialised once by
layers.escape.script_json, and the script builds popups, tooltips and legends with DOM text nodes.
"""

from __future__ import annotations

from typing import Any

from branca.element import MacroElement
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


def script_layer(config: dict[str, Any]) -> ScriptCall:
    """A layer for GeoMaps.addLayer: `config` has at least `type`, `id` and `title`."""
    return ScriptCall("addLayer", config)
