"""What every `geo-service` command shares: the console, the engine, and step-wise progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from geo_service.db.engine import make_engine
from geo_service.errors import GeoServiceError
from geo_service.settings import Settings

console = Console(stderr=True)


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


def run_steps(steps: list[tuple[str, Callable[[], object]]]) -> None:
    """Run named steps under one progress bar; a domain error stops with its message and exit code 1."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("starting", total=len(steps))
        for description, step in steps:
            progress.update(task, description=description)
            try:
                result = step()
            except GeoServiceError as exc:
                progress.stop()
                console.print(f"[red]error:[/] {exc}")
                raise typer.Exit(1) from exc
            progress.advance(task)
            if result is not None:
                progress.console.print(f"  {description}: {result}")
