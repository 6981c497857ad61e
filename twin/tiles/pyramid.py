"""Web Mercator tile arithmetic for the tile pyramid: lon/lat → tile indices (vectorized),
the zoom range a layer's extent needs, and which tiles a level covers. Lon/lat go to Web
Mercator (EPSG:3857) and back through pyproj; only the tile index arithmetic is here.

Tiles are the usual XYZ scheme (x east, y south, ``z`` zoom) that deck.gl's ``TileLayer``
requests through its ``{z}/{x}/{y}`` URL template.

Example
-------
>>> import numpy as np
>>> from twin.tiles.pyramid import tile_xy
>>> tile_xy(np.array([119.9]), np.array([35.73]), 16)
(array([54595]), array([25795]))
"""

from __future__ import annotations

import math

import numpy as np

from ..crs import WGS84, transform_xy

__all__ = ["MAX_LAT", "WEB_MERCATOR", "mercator_xy", "tile_xy", "tile_bounds", "fit_zoom",
           "level_tiles"]

MAX_LAT = 85.0511287798  # Web Mercator's limit
WEB_MERCATOR = "EPSG:3857"
HALF_WORLD_M = 20037508.342789244  # EPSG:3857's x at longitude 180°


def mercator_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Normalised Web Mercator coordinates in [0, 1) (x east, y south) of lon/lat arrays."""
    lon = np.asarray(lon, dtype=float)
    lat = np.clip(np.asarray(lat, dtype=float), -MAX_LAT, MAX_LAT)
    mx, my = transform_xy(lon, lat, WGS84, WEB_MERCATOR)
    return (mx + HALF_WORLD_M) / (2 * HALF_WORLD_M), (HALF_WORLD_M - my) / (2 * HALF_WORLD_M)


def tile_xy(lon, lat, z: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(x, y)`` tile indices at zoom ``z`` of lon/lat arrays."""
    n = 1 << z
    x, y = mercator_xy(lon, lat)
    tx = np.clip(np.floor(x * n), 0, n - 1).astype(np.int64)
    ty = np.clip(np.floor(y * n), 0, n - 1).astype(np.int64)
    return tx, ty


def tile_bounds(x: int, y: int, z: int) -> tuple[float, float, float, float]:
    """WGS84 ``(west, south, east, north)`` of tile ``z/x/y``."""
    n = 1 << z
    size = 2 * HALF_WORLD_M / n
    lon, lat = transform_xy([-HALF_WORLD_M + x * size, -HALF_WORLD_M + (x + 1) * size],
                            [HALF_WORLD_M - (y + 1) * size, HALF_WORLD_M - y * size],
                            WEB_MERCATOR, WGS84)
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def fit_zoom(bounds, *, tiles: int = 2) -> int:
    """The largest zoom at which ``bounds`` (west, south, east, north) spans at most
    ``tiles`` tiles each way (at least 0)."""
    west, south, east, north = bounds
    x, y = mercator_xy([west, east], [north, south])
    span = max(float(x[1] - x[0]), float(y[1] - y[0]), 1e-12)
    return max(0, int(math.floor(math.log2(tiles / span))))


def level_tiles(bounds, z: int) -> tuple[range, range]:
    """The ``x`` and ``y`` index ranges of the tiles at zoom ``z`` that ``bounds`` touches."""
    west, south, east, north = bounds
    tx, ty = tile_xy(np.array([west, east]), np.array([north, south]), z)
    return range(int(tx[0]), int(tx[1]) + 1), range(int(ty[0]), int(ty[1]) + 1)
