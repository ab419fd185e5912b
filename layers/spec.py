"""What the registry knows about a layer: its id (used in URLs: `?layers=`) and its title per language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LayerSpec:
    id: str
    titles: Mapping[str, str]  # language → title; may hold {placeholders} filled by `title`

    def title(self, lang: str, **values: Any) -> str:
        return self.titles.get(lang, self.titles["zh"]).format(**values)
