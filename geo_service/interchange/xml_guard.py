"""Refuse XML that declares a DTD or entities (billion laughs, external entities) before any parser runs.

A DOCTYPE may only stand in the prolog, before the root element, so only the head of each document is
scanned (and a head without a root element outside comments, a prolog longer than any real one, is
refused, as is an encoding other than UTF-8/UTF-16 that could hide the declaration). Markup in
text is escaped (`&lt;!DOCTYPE`), so a raw `<!DOCTYPE` anywhere in the head is a declaration. This is
a first gate; the XLSX reader parses through defusedxml as well, which refuses entity declarations
on its own.
"""

from __future__ import annotations

import re
import zipfile
from typing import Final

from geo_service.errors import InvalidFile
from geo_service.interchange.archive import ZIP_ERRORS

#: Legitimate prologs (declaration, a comment or two) are tiny; a longer one is refused, not searched.
HEAD_BYTES: Final = 64 * 1024
_ROOT = re.compile(r"<[^?!]")
_COMMENTS_AND_PIS = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
_PARSER_ENCODINGS: Final = frozenset({"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1", "latin1"})
_XML_SUFFIXES: Final = (".xml", ".rels", ".vml")


def _refused(name: str) -> InvalidFile:
    return InvalidFile(
        f"{name} 含有 DOCTYPE 或实体声明，已拒绝", f"{name} declares a DOCTYPE or entities, which are refused"
    )


def check_xml_head(head: bytes, name: str, complete: bool) -> None:
    """Raise when the prolog of a document (its first HEAD_BYTES, `complete` if that is all of it) has a DTD."""
    text = head.decode("utf-16", "replace") if head.startswith((b"\xff\xfe", b"\xfe\xff")) else head.decode("latin-1")
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise _refused(name)
    declared = _ENCODING.match(text.lstrip("\ufeff"))
    if declared and declared[1].lower() not in _PARSER_ENCODINGS:
        raise InvalidFile(
            f"{name} 的编码 {declared[1]} 不受支持", f"{name} declares the unsupported encoding {declared[1]}"
        )
    if not complete and _ROOT.search(_COMMENTS_AND_PIS.sub("", text)) is None:
        raise _refused(name)


def check_zip_xml(archive: zipfile.ZipFile) -> None:
    """Check every XML part of a workbook (sheets, shared strings, relationships, drawings)."""
    for info in archive.infolist():
        if not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        try:
            with archive.open(info) as member:
                head = member.read(HEAD_BYTES)
        except ZIP_ERRORS as exc:
            raise InvalidFile(f"无法解压 {info.filename}", f"cannot unpack {info.filename} ({exc})") from None
        check_xml_head(head, info.filename, complete=len(head) >= info.file_size)
