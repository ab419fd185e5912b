"""The one escaping helper for everything a map page prints: HTML text and data inside <script>.

folium does not escape: `Popup(str)` is inserted as raw HTML and its templates put strings inside JavaScript
template literals, where a backtick or `${` breaks out. Map pages therefore never hand a user string to
folium as markup; data goes into the page as JSON through `script_json` and is rendered by our own script
with DOM text nodes, and the few strings printed into HTML go through `html_text`.
"""

from __future__ import annotations

import html
import json
from typing import Any, Final

# Characters that end or change the meaning of a <script> block, an HTML comment, a JS template literal or
# (before ES2019) a JS string, replaced by JSON's own \u escapes: the value parses back unchanged.
_SCRIPT_UNSAFE: Final = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
    ord("`"): "\\u0060",
    ord("$"): "\\u0024",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(value: Any) -> str:
    """`value` as JSON that is safe anywhere inside a <script> element or a JS expression or template literal."""
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return encoded.translate(_SCRIPT_UNSAFE)


_DATA_BLOCK_UNSAFE: Final = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def json_data_block(encoded: bytes) -> str:
    """UTF-8 JSON text (already serialised) made safe as the content of a <script type="application/json">
    block: `<`, `>` and `&` can only occur inside JSON strings, where their \\u escapes parse back the same,
    so no `</script>` or `<!--` can end or change the block."""
    for raw, escaped in _DATA_BLOCK_UNSAFE:
        encoded = encoded.replace(raw, escaped)
    return encoded.decode("utf-8")


def html_text(value: object) -> str:
    """`value` as HTML text or a quoted attribute value."""
    return html.escape(str(value), quote=True)
