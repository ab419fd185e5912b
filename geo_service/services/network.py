"""The road network a worker serves: loaded from the file `geo-service network build` writes.

The file is loaded at start and again whenever its modification time changes (checked with the
facility index's poll), in the poller's thread: building a network never blocks a serving worker, and a
half-written file is never seen (the build renames a finished file into place). Without a file every
answer stays straight-line and `metric=network` is a 422 that says how to build one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from geo_service.analysis import road_graph
from geo_service.analysis.road_graph import OSM_CREDIT
from geo_service.errors import InvalidParameter

if TYPE_CHECKING:  # the road search is compiled by numba (~50 MB a process): imported with a network only
    from geo_service.analysis.network import RoadIndex, Targets
    from geo_service.analysis.road_labels import NodeLabels

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NetworkInfo:
    """What answers and /readyz say about the network in use."""

    path: str
    source: str
    built_at: str
    profiles: tuple[str, ...]
    attribution: str = OSM_CREDIT


@dataclass(frozen=True)
class FacilityTargets:
    """The facilities of one snapshot snapped to one profile's network."""

    targets: Targets
    near_road: NDArray[np.bool_]  # snapped within the settings' snap distance
    masks: dict[object, NDArray[np.bool_]] = field(default_factory=dict)  # eligible sets by filter, memoised
    labels: list[NodeLabels] = field(default_factory=list)  # the per-node labels once built (off requests)


@dataclass
class _Loaded:
    info: NetworkInfo
    stamp: int
    indexes: dict[str, RoadIndex]
    targets: dict[tuple[int, str], FacilityTargets] = field(default_factory=dict)


class NetworkService:
    """Holds this worker's road networks; `refresh` reloads the file when it changed."""

    def __init__(self, path: Path, max_snap_m: float, search_slots: int = 4, label_k: int = 0) -> None:
        self.path, self.max_snap_m, self.search_slots, self.label_k = path, max_snap_m, search_slots, label_k
        self._loaded: _Loaded | None = None

    @property
    def info(self) -> NetworkInfo | None:
        loaded = self._loaded
        return None if loaded is None else loaded.info

    def refresh(self) -> bool:
        """Load the file if it appeared or changed (drop it if it went away); True when something changed."""
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            changed, self._loaded = self._loaded is not None, None
            return changed
        if self._loaded is not None and self._loaded.stamp == stamp:
            return False
        try:
            stored = road_graph.load(self.path)
        except (OSError, ValueError, KeyError) as exc:  # a foreign or damaged file: keep what we have
            log.warning("road network %s not loaded: %s", self.path, exc)
            return False
        from geo_service.analysis.network import RoadIndex  # a worker without a network never needs numba

        meta = stored.meta
        info = NetworkInfo(str(self.path), str(meta["source"]), str(meta["built_at"]), tuple(stored.graphs))
        indexes = {name: RoadIndex(graph, self.search_slots) for name, graph in stored.graphs.items()}
        for index in indexes.values():
            index.search.warm()
        self._loaded = _Loaded(info, stamp, indexes)
        log.info("road network %s (%s, built %s): %s", self.path, info.source, info.built_at, ", ".join(info.profiles))
        return True

    def index(self, profile: str) -> tuple[NetworkInfo, RoadIndex]:
        loaded = self._current()
        return loaded.info, _profile(loaded, profile)

    def facility_targets(
        self, profile: str, revision: int, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> FacilityTargets:
        """The facilities of data revision `revision` snapped to `profile` (cached per revision)."""
        loaded = self._current()
        index, key = _profile(loaded, profile), (revision, profile)
        found = loaded.targets.get(key)
        if found is None:
            attachments = index.attach(index.snap(lon, lat))
            fresh = FacilityTargets(index.targets(attachments), attachments.snaps.distance_m <= self.max_snap_m)
            found = loaded.targets.get(key) or fresh  # another thread's (with its labels), if it got there first
            kept = {known: targets for known, targets in loaded.targets.items() if known[0] == revision}
            loaded.targets = {**kept, key: found}
        return found

    def labelled_targets(self, profile: str, revision: int) -> FacilityTargets | None:
        """The targets of `revision` on `profile` if they are built and labelled, else None (builds nothing)."""
        loaded = self._current()
        found = loaded.targets.get((revision, profile))
        return found if found is not None and found.labels else None

    def prepare(self, revision: int, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> int:
        """Snap the facilities of `revision` to every profile and build their per-node labels (the
        poller calls this off the request path, after each refresh); returns how many were built."""
        loaded = self._loaded
        if loaded is None or self.label_k <= 0 or len(lon) == 0:
            return 0
        from geo_service.analysis.network import labels_for  # loaded with the network (see refresh)

        built = 0
        for profile, index in loaded.indexes.items():
            found = self.facility_targets(profile, revision, lon, lat)
            if not found.labels:
                started = time.perf_counter()
                found.labels.append(labels_for(index, found.targets, found.near_road, self.label_k))
                built += 1
                log.info(
                    "road labels %s, data revision %d: %d nodes × %d in %.1f s (%.0f MiB)",
                    *(profile, revision, index.graph.node_count, self.label_k, time.perf_counter() - started),
                    found.labels[0].nbytes / 2**20,
                )
        return built

    def _current(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None:
            raise InvalidParameter(
                "metric",
                "尚未建立道路网，请运行 `geo-service network build EXTRACT.osm.pbf` / "
                "no road network is built: run `geo-service network build EXTRACT.osm.pbf`",
            )
        return loaded


def _profile(loaded: _Loaded, profile: str) -> RoadIndex:
    if profile not in loaded.indexes:
        built = list(loaded.indexes)
        raise InvalidParameter(
            "profile", f"道路网中没有出行方式 {profile!r}（已建 {built}） / must be one of {built}, got {profile!r}"
        )
    return loaded.indexes[profile]
