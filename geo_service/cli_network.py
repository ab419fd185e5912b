"""`geo-service network build`: the road network file from an OpenStreetMap extract."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer

from geo_service.analysis import road_graph, road_profiles
from geo_service.analysis.road_graph import RoadGraph
from geo_service.cli_support import console, steps
from geo_service.services import network_build
from geo_service.settings import Settings

network_app = typer.Typer(help="Road networks for distance along roads (metric=network).", no_args_is_help=True)

BUILD_HELP = """Build the road graph of each travel profile from an OpenStreetMap extract (.osm.pbf).

Each profile (walk, ebike, drive, truck) keeps its largest strongly connected part of the network, with
geodesic lengths and travel times from the road class and maxspeed, one-way streets and access tags
(trucks avoid hgv=no and residential streets). The file is written atomically to --out (default
GEO_NETWORK_PATH, var/network.npz); a running service picks it up within GEO_INDEX_REFRESH_S seconds,
without a restart. Clip the extract to your region first (see README, "Road networks"):

    geo-service network build shandong-binzhou.osm.pbf --profiles ebike,drive,truck
"""


@network_app.command("build", help=BUILD_HELP)
def build(
    extract: Annotated[Path, typer.Argument(help="OpenStreetMap extract in PBF format (.osm.pbf).")],
    profiles: Annotated[str, typer.Option(help="Comma-separated travel profiles to build.")] = ",".join(
        road_profiles.PROFILES
    ),
    out: Annotated[Path | None, typer.Option(help="File to write (default: GEO_NETWORK_PATH).")] = None,
) -> None:
    target = out or Settings().network_path
    names = [name.strip() for name in profiles.split(",") if name.strip()]
    with steps(3 + len(names)) as runner:
        chosen = runner.run("check profiles", lambda: network_build.check_profiles(names))
        ways = runner.run("read extract", lambda: network_build.read_extract(extract), lambda w: f"{len(w.tail)} ways")
        graphs: dict[str, RoadGraph] = {}
        for name in chosen:
            profile = road_profiles.PROFILES[name]
            graph = runner.run(f"{name} network", functools.partial(network_build.profile_graph, ways, profile))
            summary = network_build.summarise(ways, graph, profile)
            console.print(f"  {name}: {summary.nodes} nodes, {summary.arcs} arcs ({summary.dropped_nodes} cut off)")
            graphs[name] = graph
        meta = network_build.build_meta(extract)
        runner.run("write", lambda: network_build.write(target, meta, graphs), lambda path: f"{path}")
    console.print(f"road data {road_graph.OSM_CREDIT}")
