"""What every `geo-service` command shares: the console, the engine, and step-wise progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from geo_service.db.engine import make_engine
from geo_service.errors import GeoServiceError
from geo_service.settings import Settings

console = Console(stderr=True)
T = TypeVar("T")


@dataclass(frozen=True)
class Database:
    settings: Settings
    engine: Engine


@contextmanager
def open_database() -> Iterator[Database]:
    """Settings from the environment and an engine on GEO_DB_URL (announced, password hidden), disposed
    however the command ends."""
    settings = Settings()
    console.print(f"database: [bold]{make_url(settings.db_url).render_as_string(hide_password=True)}[/]")
    engine = make_engine(settings)
    try:
        yield Database(settings, engine)
    finally:
        engine.dispose()


class Steps:
    """Named steps under one progress bar. Each step's value is returned to the command, so values pass
    from one step to the next as typed variables; a domain error stops with its message and exit code 1."""

    def __init__(self, progress: Progress, total: int) -> None:
        self._progress = progress
        self._task = progress.add_task("starting", total=total)

    def run(self, description: str, step: Callable[[], T], summary: Callable[[T], str | None] | None = None) -> T:
        """Run `step`, advance the bar, print `summary(value)` under it (unless None); return the value."""
        self._progress.update(self._task, description=description)
        try:
            value = step()
        except GeoServiceError as exc:
            self._progress.stop()
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        self._progress.advance(self._task)
        said = summary(value) if summary is not None else None
        if said is not None:
            self._progress.console.print(f"  {description}: {said}")
        return value


@contextmanager
def steps(total: int) -> Iterator[Steps]:
    """A progress bar for `total` steps (see Steps)."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        yield Steps(progress, total)


def run_steps(named: list[tuple[str, Callable[[], object]]]) -> None:
    """Run steps whose values are only reported (printed under the bar when not None)."""
    with steps(len(named)) as runner:
        for description, step in named:
            runner.run(description, step, lambda value: None if value is None else str(value))
