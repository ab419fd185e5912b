"""Header rows as read from a file: every column gets a distinct, non-empty name.

A blank header cell becomes `column_N` (1-based); a repeated one gets ` (2)`, ` (3)`, so two columns
called 名称 stay two columns — `columns.map_columns` then refuses the pair instead of one silently
overwriting the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo_service.interchange.tables import CellValue


def header_names(cells: Sequence[CellValue]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells, start=1):
        name = str(cell).strip() if cell is not None else ""
        name = name or f"column_{index}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def trim_trailing_blanks(cells: Sequence[CellValue]) -> list[CellValue]:
    """Cells without the empty ones at the end (spreadsheets pad rows to the widest one)."""
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return list(cells[:end])
