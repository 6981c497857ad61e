"""The demo DEM: 10 m cells, hills to the north and west, the coast to the south and east,
and the river valleys cut lower than their banks. Elevations are metres above the 1985
national height datum (1985国家高程基准).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .layout import ORIGIN, TOWN_SIZE, Plan

__all__ = ["DEM", "make_dem", "write_geotiff", "CELL", "MARGIN"]

CELL = 10.0
MARGIN = 500.0


@dataclass
class DEM:
    """Elevations on a regular grid in local metres; row 0 is the northern edge."""

    z: np.ndarray
    x0: float
    y1: float
    cell: float = CELL

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.z.shape

    def sample(self, x, y) -> np.ndarray:
        """Bilinear elevation at local points ``x, y`` (arrays), clamped to the grid."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        rows, cols = self.z.shape
        fc = np.clip((x - self.x0) / self.cell - 0.5, 0, cols - 1.000001)
        fr = np.clip((self.y1 - y) / self.cell - 0.5, 0, rows - 1.000001)
        c0, r0 = np.floor(fc).astype(int), np.floor(fr).astype(int)
        dc, dr = fc - c0, fr - r0
        z = self.z.astype(float)
        top = z[r0, c0] * (1 - dc) + z[r0, c0 + 1] * dc
        bottom = z[r0 + 1, c0] * (1 - dc) + z[r0 + 1, c0 + 1] * dc
        return top * (1 - dr) + bottom * dr


def _coast_distance(x, y):
    """Signed distance inland from the coastline (negative at sea)."""
    south = y - (-150.0 + 40.0 * np.sin(x / 700.0))
    east = (6250.0 + 50.0 * np.sin(y / 500.0)) - x
    return np.minimum(south, east)


def _base(x, y, rng: np.random.Generator):
    d = _coast_distance(x, y)
    dd = np.maximum(d, 0)
    # A beach rising to a low coastal terrace, then the gentle plain towards the hills.
    land = 1.0 + 3.0 * (1 - np.exp(-dd / 80)) + 2.5 * (1 - np.exp(-dd / 600)) + 0.003 * dd
    hills = (140 * np.exp(-(((x + 300) / 1000) ** 2 + ((y - 4400) / 900) ** 2))
             + 90 * np.exp(-(((x - 1100) / 800) ** 2 + ((y - 4800) / 700) ** 2))
             + 60 * np.exp(-(((x + 500) / 700) ** 2 + ((y - 2400) / 800) ** 2))
             + 35 * np.exp(-(((x - 2600) / 900) ** 2 + ((y - 4900) / 500) ** 2)))
    noise = np.zeros_like(x)
    for _ in range(6):
        angle = rng.uniform(0, np.pi)
        wave = rng.uniform(400, 1500)
        phase = rng.uniform(0, 2 * np.pi)
        noise += 0.7 * np.sin((x * np.cos(angle) + y * np.sin(angle)) * 2 * np.pi / wave + phase)
    inland = np.clip(d / 300.0, 0, 1)
    sea = -1.0 - 0.012 * np.maximum(-d, 0)
    return np.where(d > 0, land + hills + noise * inland, np.maximum(sea, -20.0))


def make_dem(plan: Plan, rng: np.random.Generator) -> DEM:
    """Build the DEM over the town box plus a 500 m margin."""
    w, h = TOWN_SIZE
    x0, y1 = -MARGIN, h + MARGIN
    cols = int(round((w + 2 * MARGIN) / CELL))
    rows = int(round((h + 2 * MARGIN) / CELL))
    xs = x0 + CELL * (np.arange(cols) + 0.5)
    ys = y1 - CELL * (np.arange(rows) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    z = _base(gx, gy, rng)
    before = DEM(z=z.copy(), x0=x0, y1=y1)
    pts = shapely.points(gx.ravel(), gy.ravel())
    flat = z.ravel()
    for line, width in zip(plan.rivers.geometry, plan.rivers.width_m):
        # Bed profile: the lowest ground across the valley (±200 m) less 2.5 m, never
        # rising downstream, so that the river runs below both banks.
        steps = np.arange(0, line.length, 25.0)
        ax, ay = _xy(shapely.line_interpolate_point(line, steps))
        bx, by = _xy(shapely.line_interpolate_point(line, np.minimum(steps + 1.0, line.length)))
        tx, ty = bx - ax, by - ay
        norm = np.hypot(tx, ty) + 1e-12
        nx, ny = -ty / norm, tx / norm
        offsets = np.array([0.0, -200, -100, -50, 50, 100, 200])
        ground = np.min([before.sample(ax + o * nx, ay + o * ny) for o in offsets], axis=0)
        bed = np.minimum.accumulate(ground - 2.5)
        near = shapely.dwithin(pts, line, 400.0)
        idx = np.flatnonzero(near)
        dist = shapely.distance(pts[idx], line)
        pos = shapely.line_locate_point(line, pts[idx])
        bed_here = np.interp(pos, steps, bed)
        valley = bed_here + np.where(dist <= width / 2, 0.0,
                                     0.6 + (dist - width / 2) * 0.03)
        flat[idx] = np.minimum(flat[idx], valley)
    z = np.round(flat.reshape(rows, cols), 2).astype(np.float32)
    return DEM(z=z, x0=x0, y1=y1)


def _xy(points):
    return shapely.get_x(points), shapely.get_y(points)


def write_geotiff(dem: DEM, path, crs) -> None:
    """Write ``dem`` as a deflate-compressed float32 GeoTIFF in ``crs`` (absolute metres)."""
    import rasterio
    from rasterio.transform import Affine

    transform = Affine(dem.cell, 0.0, ORIGIN[0] + dem.x0, 0.0, -dem.cell, ORIGIN[1] + dem.y1)
    rows, cols = dem.shape
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=-9999.0,
                       compress="deflate", tiled=True, blockxsize=256, blockysize=256) as dst:
        dst.write(dem.z, 1)
        dst.update_tags(UNITS="metre", VERTICAL_DATUM="1985 National Height Datum (1985国家高程基准)",
                        SOURCE="synthetic: twin demo generator")
        dst.set_band_description(1, "elevation (m, 1985 datum)")
