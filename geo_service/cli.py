"""The `geo-service` command line.

Every command works on the database named by GEO_DB_URL (default: the embedded SpatiaLite file under
var/). Typical first run:

    geo-service init      # create/upgrade the schema, load Binzhou boundaries and the sample data
    geo-service serve     # http://127.0.0.1:8000/docs
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from geo_service.db import migrate
from geo_service.db.engine import make_engine
from geo_service.errors import GeoServiceError
from geo_service.services import setup
from geo_service.settings import Settings

app = typer.Typer(help=__doc__, no_args_is_help=True, rich_markup_mode="rich")
db_app = typer.Typer(help="Schema migrations (Alembic) on GEO_DB_URL.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


@app.callback()
def _configure(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    level = logging.DEBUG if verbose else Settings().log_level
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(console=console, show_path=False)])
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _engine() -> tuple[Settings, Engine]:
    settings = Settings()
    console.print(f"database: [bold]{make_url(settings.db_url).render_as_string(hide_password=True)}[/]")
    return settings, make_engine(settings)


def _steps(steps: list[tuple[str, Callable[[], object]]]) -> None:
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


@app.command()
def init(
    sample: Annotated[bool, typer.Option(help="Also load the synthetic sample facilities (示例数据).")] = True,
) -> None:
    """Prepare the database: migrations, real Binzhou boundaries + population, sample facilities.

    Safe to run again: boundaries are refreshed, sample rows already present (same code) are kept.
    """
    settings, engine = _engine()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("schema", lambda: setup.upgrade_schema(engine)),
        ("boundaries", lambda: setup.load_boundaries(engine, settings.data_dir)),
    ]
    if sample:
        steps.append(("sample facilities", lambda: setup.load_sample(engine, settings.data_dir)))
    _steps(steps)
    engine.dispose()


@app.command("load-sample")
def load_sample() -> None:
    """Load (or top up) the synthetic sample facilities; every row is marked is_sample / 示例数据."""
    settings, engine = _engine()
    _steps([("sample facilities", lambda: setup.load_sample(engine, settings.data_dir))])
    engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind; 0.0.0.0 exposes it to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostGIS recommended for > 1).")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (costs throughput).")] = False,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    console.print(f"serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "geo_service.asgi:build_app", host=host, port=port, workers=workers, access_log=access_log, factory=True
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    _, engine = _engine()
    _steps([(f"upgrade to {revision}", lambda: migrate.upgrade(engine, revision))])
    console.print(f"at revision {migrate.current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops everything.")]) -> None:
    """Revert migrations down to REVISION (data in dropped tables is lost)."""
    _, engine = _engine()
    _steps([(f"downgrade to {revision}", lambda: migrate.downgrade(engine, revision))])
    console.print(f"at revision {migrate.current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one this code ships."""
    _, engine = _engine()
    console.print(f"database: {migrate.current_revision(engine)}  code: {migrate.head_revision()}")


if __name__ == "__main__":
    app()
