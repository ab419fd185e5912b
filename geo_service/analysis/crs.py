"""Chinese map coordinate systems: WGS-84, GCJ-02 (Amap, Tencent, WeChat) and BD-09 (Baidu).

GCJ-02 is WGS-84 plus a deterministic, non-linear offset (about 530 m in Binzhou); BD-09 is a further
rotation/scaling of GCJ-02. The forward formulas are public; there is no closed-form inverse, so the
inverses here iterate the forward function until the residual is below ~1e-9 degrees (≈0.1 mm), which
keeps every round trip far inside the 1 m budget set for them (docs/architecture.md, "Coordinates").

All functions are vectorised: they take scalars or NumPy arrays of lon/lat in degrees and return
arrays of the same shape. Points outside China are returned unchanged, as the vendors do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: Final[tuple[CoordSystem, ...]] = ("wgs84", "gcj02", "bd09")

_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE: Final = 0.00669342162296594323  # its first eccentricity squared
_BD_PI: Final = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG: Final = 1e-9
_MAX_ITERATIONS: Final = 30

FloatArray = NDArray[np.float64]
Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return lon_a.copy(), lat_a.copy()


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """The rectangle inside which the vendors apply the GCJ-02 offset."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return (lon_a >= 72.004) & (lon_a <= 137.8347) & (lat_a >= 0.8293) & (lat_a <= 55.8271)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84, in degrees, at WGS-84 position (lon, lat)."""
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 → GCJ-02 (the published forward formula)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    d_lon, d_lat = _gcj_offset(lon_a, lat_a)
    return lon_a + d_lon, lat_a + d_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(
    forward: Forward, lon: ArrayLike, lat: ArrayLike, first_guess: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(src) = (lon, lat) for src by fixed-point iteration on the residual.

    The offsets vary slowly (their Jacobian is within 1e-4 of identity), so each step reduces the
    error by about four orders of magnitude; three steps usually suffice.
    """
    target_lon, target_lat = _as_arrays(lon, lat)
    guess_lon, guess_lat = first_guess
    for _ in range(_MAX_ITERATIONS):
        fwd_lon, fwd_lat = forward(guess_lon, guess_lat)
        err_lon, err_lat = fwd_lon - target_lon, fwd_lat - target_lat
        guess_lon, guess_lat = guess_lon - err_lon, guess_lat - err_lat
        if max(np.max(np.abs(err_lon), initial=0.0), np.max(np.abs(err_lat), initial=0.0)) < _TOLERANCE_DEG:
            break
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS-84 by iterating the forward offset (exact to ~1e-9°, not the 1-step approximation)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon_a, lat_a, (lon_a, lat_a))


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 → GCJ-02, iterated so that gcj02_to_bd09 of the result reproduces the input."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return _invert(gcj02_to_bd09, lon_a, lat_a, (lon_a - 0.0065, lat_a - 0.006))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 → BD-09 (through GCJ-02, as Baidu defines it)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 → WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


Conversion = Callable[[ArrayLike, ArrayLike], tuple[FloatArray, FloatArray]]
_TO_WGS84: dict[str, Conversion] = {"wgs84": _as_arrays, "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84: dict[str, Conversion] = {"wgs84": _as_arrays, "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _conversion(table: dict[str, Conversion], system: str) -> Conversion:
    if system not in table:
        raise ValueError(f"unknown coordinate system {system!r}; expected one of {', '.join(COORD_SYSTEMS)}")
    return table[system]


def to_wgs84(lon: ArrayLike, lat: ArrayLike, source: CoordSystem) -> tuple[FloatArray, FloatArray]:
    """Convert input coordinates in `source` to WGS-84; the one entry point for user input."""
    return _conversion(_TO_WGS84, source)(lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, target: CoordSystem) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 coordinates to `target` (e.g. to draw on GCJ-02 Amap tiles)."""
    return _conversion(_FROM_WGS84, target)(lon, lat)
