"""The shape rules of the code base, checked on every run so they stay true (docs/architecture.md)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo_service.settings import PROJECT_ROOT

MAX_FUNCTION_LINES = 40
SOURCE_ROOTS = ("geo_service", "layers", "scripts", "tests")
WEB = ("fastapi", "starlette", "geo_service.api")
DATABASE = ("sqlalchemy", "geoalchemy2", "geo_service.db", "geo_service.queries")
#: package → imports it must never make (imports flow api/console → services → queries | analysis → db;
#: analysis and the presentation layers know neither the web framework nor the database)
FORBIDDEN_IMPORTS = {
    "geo_service/analysis": (*WEB, *DATABASE, "geo_service.services", "geo_layers"),
    "geo_service/services": (*WEB, "geo_layers", "geo_service.console"),
    "geo_service/console": ("geo_service.queries", "geo_service.db", "geo_service.analysis"),
    "geo_service/api": ("geo_service.console",),
    "geo_service/queries": (*WEB, "geo_service.services", "geo_layers"),
    "layers/geo_layers": (*WEB, *DATABASE, "geo_service.services"),
}


def _python_files(*roots: str) -> Iterator[Path]:
    for root in roots:
        for path in sorted((PROJECT_ROOT / root).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _imports(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_function_is_longer_than_forty_lines() -> None:
    long = [
        f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in _python_files(*SOURCE_ROOTS)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN_IMPORTS))
def test_imports_flow_one_way(package: str) -> None:
    forbidden = FORBIDDEN_IMPORTS[package]
    wrong = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in _python_files(package)
        for name in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    ]
    assert wrong == []
