"""Build the road network file from an OpenStreetMap extract (`geo-service network build`).

Runs in the CLI's own process, never in a serving worker: the service only loads the finished file
(written atomically), at start and whenever it changes (services/network.py). Road data © OpenStreetMap
contributors, under the ODbL; every answer that uses it says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from geo_service.analysis import road_graph, road_profiles
from geo_service.analysis.metric import ZONE_WIDTH_DEG
from geo_service.analysis.road_graph import OSM_CREDIT
from geo_service.errors import DataFileError, InvalidParameter

_TAGS = ["hgv", "junction", "oneway:bicycle", "vehicle"]


@dataclass(frozen=True)
class Ways:
    """Way segments of an extract: node positions and, per segment, its end nodes and tags."""

    lon: np.ndarray
    lat: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    tags: pd.DataFrame


@dataclass(frozen=True)
class ProfileSummary:
    profile: str
    nodes: int
    arcs: int
    dropped_nodes: int  # nodes usable by the profile but outside its largest component


def check_profiles(names: Sequence[str]) -> list[str]:
    unknown = [name for name in names if name not in road_profiles.PROFILES]
    if unknown or not names:
        raise InvalidParameter("profiles", f"choose from {list(road_profiles.PROFILES)}, got {list(names)}")
    return list(dict.fromkeys(names))


def read_extract(path: Path) -> Ways:
    """Every way pyrosm counts as a road or path, split at its nodes; DataFileError when unreadable."""
    import pyrosm  # a heavy import, needed only by this command

    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    try:
        nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="all", nodes=True, extra_attributes=_TAGS)
    except Exception as exc:  # pyrosm raises bare exceptions on anything that is not a PBF
        raise DataFileError(f"{path}: not a readable OpenStreetMap PBF extract ({exc.__class__.__name__})") from exc
    if edges is None or nodes is None or len(edges) == 0:
        raise DataFileError(f"{path}: the extract holds no roads or paths")
    ids = nodes["id"].to_numpy(dtype=np.int64)
    order = np.argsort(ids)
    sorted_ids = ids[order]
    positions = [order[np.searchsorted(sorted_ids, edges[end].to_numpy(dtype=np.int64))] for end in ("u", "v")]
    lon, lat = nodes["lon"].to_numpy(dtype=np.float64), nodes["lat"].to_numpy(dtype=np.float64)
    if lon.max() - lon.min() > ZONE_WIDTH_DEG:
        raise DataFileError(f"{path}: spans more than {ZONE_WIDTH_DEG:g}° of longitude; clip it to the region")
    return Ways(lon, lat, positions[0], positions[1], edges.drop(columns=["geometry"]))


def profile_graph(ways: Ways, profile: road_profiles.Profile) -> road_graph.RoadGraph:
    """The profile's largest strongly connected graph; empty networks are an error."""
    use = road_profiles.usage(ways.tags, profile)
    length = road_graph.geodesic_lengths(ways.lon, ways.lat, ways.tail, ways.head)
    arcs = road_graph.Arcs(
        np.concatenate([ways.tail[use.forward], ways.head[use.backward]]),
        np.concatenate([ways.head[use.forward], ways.tail[use.backward]]),
        np.concatenate([length[use.forward], length[use.backward]]),
        np.concatenate([(length / use.speed_ms)[use.forward], (length / use.speed_ms)[use.backward]]),
    )
    graph = road_graph.largest_component(profile.name, ways.lon, ways.lat, arcs)
    if graph.arc_count == 0:
        raise DataFileError(f"the extract has no road a {profile.name} profile may use (empty network)")
    return graph


def build_meta(extract: Path, built_at: datetime | None = None) -> dict[str, object]:
    digest = hashlib.sha256()
    with extract.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {
        "source": extract.name,
        "source_sha256": digest.hexdigest(),
        "built_at": (built_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "credit": OSM_CREDIT,
    }


def summarise(ways: Ways, graph: road_graph.RoadGraph, profile: road_profiles.Profile) -> ProfileSummary:
    use = road_profiles.usage(ways.tags, profile)
    usable = np.unique(np.concatenate([ways.tail[use.forward | use.backward], ways.head[use.forward | use.backward]]))
    return ProfileSummary(profile.name, graph.node_count, graph.arc_count, len(usable) - graph.node_count)


def write(out: Path, meta: dict[str, object], graphs: dict[str, road_graph.RoadGraph]) -> Path:
    road_graph.save(out, dict(meta), graphs)
    return out
