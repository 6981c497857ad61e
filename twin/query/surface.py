"""Ground and surface heights for the 3D queries: the terrain (DEM) sampled at points, each
building's ground and top, a surface model grid (DSM: terrain plus buildings), and the
parsing of a viewpoint or target given as text.

* :func:`ground_at` samples the terrain raster at points (nearest cell; NaN outside it).
* :func:`building_tops` gives each building's ground (``base_elev_m``, else the terrain
  under its representative point, else ``default``) and top (ground + ``height_m``).
* :func:`surface_grid` rasterizes the buildings' tops (``rasterio.features.rasterize``,
  tallest last so it wins a shared cell) over the terrain resampled to the grid
  (``rasterio.warp.reproject``, bilinear), and labels each cell with the building on it.
* :func:`parse_point` reads ``"x,y"`` (working CRS), ``"lon,lat"`` (degrees), optionally
  with ``,z``, or the id of a building or facility.
"""

from __future__ import annotations

import numpy as np
import rasterio.features
import rasterio.warp
from affine import Affine

from ..crs import WGS84, transform_xy
from ..errors import QueryError
from .common import numeric, text
from .inputs import QueryInputs

__all__ = ["cell_index", "cell_centres", "Dem", "load_dem", "ground_at", "building_tops",
           "SurfaceGrid", "surface_grid", "parse_point", "parse_points"]


def cell_index(transform: Affine, x, y):
    """``(row, col)`` integer arrays of the cells holding the points (north-up grids)."""
    col = (np.asarray(x, dtype=float) - transform.c) / transform.a
    row = (np.asarray(y, dtype=float) - transform.f) / transform.e
    return np.floor(row).astype(int), np.floor(col).astype(int)


def cell_centres(transform: Affine, shape):
    """``(x, y)`` grids of the cell centres of a north-up grid of ``shape``."""
    h, w = shape
    x = transform.c + (np.arange(w) + 0.5) * transform.a
    y = transform.f + (np.arange(h) + 0.5) * transform.e
    return np.meshgrid(x, y)


class Dem:
    """A terrain raster in memory: ``elev`` (float64, NaN for nodata), ``transform``, ``crs``."""

    def __init__(self, elev: np.ndarray, transform: Affine, crs):
        self.elev = elev
        self.transform = transform
        self.crs = crs

    @property
    def cell(self) -> float:
        """The smaller cell side in metres."""
        return float(min(abs(self.transform.a), abs(self.transform.e)))

    def sample(self, x, y) -> np.ndarray:
        """Elevation at each point (nearest cell), NaN outside the raster."""
        row, col = cell_index(self.transform, x, y)
        h, w = self.elev.shape
        ok = (row >= 0) & (row < h) & (col >= 0) & (col < w)
        out = np.full(np.shape(col), np.nan)
        out[ok] = self.elev[row[ok], col[ok]]
        return out


def load_dem(layers: QueryInputs) -> Dem | None:
    """The terrain of ``layers`` as a :class:`Dem`, or None when there is none."""
    if "terrain" not in layers:
        return None
    from .flood import read_dem

    elev, transform, crs = read_dem(layers["terrain"])
    return Dem(elev, transform, crs)


def ground_at(dem: Dem | None, x, y, default=0.0) -> np.ndarray:
    """Terrain elevation at the points; ``default`` (scalar or per point) without terrain
    or outside it."""
    x = np.asarray(x, dtype=float)
    fallback = np.broadcast_to(np.asarray(default, dtype=float), x.shape)
    if dem is None:
        return np.array(fallback, dtype=float)
    z = dem.sample(x, np.asarray(y, dtype=float))
    return np.where(np.isnan(z), fallback, z)


def building_tops(buildings, dem: Dem | None, *, default_ground: float = 0.0):
    """``(ground, top)`` elevations of each building (see the module docstring)."""
    if buildings is None or not len(buildings):
        return np.zeros(0), np.zeros(0)
    base = numeric(buildings, "base_elev_m")
    missing = np.isnan(base)
    if missing.any():
        import shapely

        pts = shapely.point_on_surface(buildings.geometry.to_numpy()[missing])
        base = base.copy()
        base[missing] = ground_at(dem, shapely.get_x(pts), shapely.get_y(pts), default_ground)
    height = np.nan_to_num(numeric(buildings, "height_m"), nan=0.0)
    return base, base + height


class SurfaceGrid:
    """A DSM around a point: ``z`` (surface elevation), ``label`` (building position + 1 on
    each cell, 0 for open ground), ``transform`` and ``cell``."""

    def __init__(self, z, label, transform: Affine, cell: float):
        self.z = z
        self.label = label
        self.transform = transform
        self.cell = cell

    def index(self, x, y):
        """``(row, col, inside)`` of each point."""
        row, col = cell_index(self.transform, x, y)
        h, w = self.z.shape
        inside = (row >= 0) & (row < h) & (col >= 0) & (col < w)
        return np.clip(row, 0, h - 1), np.clip(col, 0, w - 1), inside


def surface_grid(bounds, cell: float, buildings, tops, dem: Dem | None, crs, *,
                 default_ground: float = 0.0) -> SurfaceGrid:
    """The DSM over ``bounds`` (minx, miny, maxx, maxy) with square cells of ``cell`` m."""
    minx, miny, maxx, maxy = bounds
    w = max(1, int(np.ceil((maxx - minx) / cell)))
    h = max(1, int(np.ceil((maxy - miny) / cell)))
    transform = Affine(cell, 0, minx, 0, -cell, miny + h * cell)
    ground = np.full((h, w), float(default_ground))
    if dem is not None:
        src = np.where(np.isnan(dem.elev), np.nan, dem.elev).astype("float64")
        dst = np.full((h, w), np.nan)
        rasterio.warp.reproject(src, dst, src_transform=dem.transform, src_crs=dem.crs or crs,
                                dst_transform=transform, dst_crs=dem.crs or crs,
                                src_nodata=np.nan, dst_nodata=np.nan,
                                resampling=rasterio.warp.Resampling.bilinear)
        ground = np.where(np.isnan(dst), float(default_ground), dst)
    label = np.zeros((h, w), dtype=np.int32)
    z = ground.copy()
    if buildings is not None and len(buildings):
        import shapely

        geoms = buildings.geometry.to_numpy()
        box = shapely.box(minx, miny, maxx, maxy)
        near = np.flatnonzero(shapely.intersects(geoms, box) & (np.asarray(tops) > -1e3))
        if len(near):
            order = near[np.argsort(np.asarray(tops)[near], kind="stable")]
            label = rasterio.features.rasterize(
                zip(geoms[order], (order + 1).tolist()), out_shape=(h, w),
                transform=transform, fill=0, dtype="int32")
            on = label > 0
            z[on] = np.maximum(ground[on], np.asarray(tops, dtype=float)[label[on] - 1])
    return SurfaceGrid(z, label, transform, cell)


def _ids_index(layers: QueryInputs) -> dict[str, tuple[str, int]]:
    out = {}
    for kind in ("facility", "building"):
        if kind in layers:
            for i, fid in enumerate(text(layers[kind], "id").tolist()):
                out.setdefault(fid, (kind, i))
    return out


def parse_points(value: str, layers: QueryInputs, crs, *, what: str):
    """``(x, y, z or NaN, label)`` arrays of the points in ``value``: ``;``-separated items,
    each ``x,y[,z]`` in the working CRS, ``lon,lat[,z]`` in degrees, or a building /
    facility id (its representative point; a building's z is its top)."""
    import shapely

    items = [s.strip() for s in str(value or "").replace("；", ";").split(";") if s.strip()]
    if not items:
        raise QueryError(f"{what}: give at least one point",
                         hint="x,y in metres (working CRS), lon,lat, or a building/facility id")
    xs, ys, zs, labels = [], [], [], []
    index = None
    for item in items:
        parts = [p.strip() for p in item.replace("，", ",").split(",")]
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            nums = None
        if nums is not None and len(nums) in (2, 3):
            x, y = nums[0], nums[1]
            if abs(x) <= 180 and abs(y) <= 90:
                tx, ty = transform_xy([x], [y], WGS84, crs)
                x, y = float(tx[0]), float(ty[0])
            xs.append(x)
            ys.append(y)
            zs.append(nums[2] if len(nums) == 3 else np.nan)
            labels.append(item)
            continue
        if index is None:
            index = _ids_index(layers)
        if item not in index:
            raise QueryError(f"{what}: {item!r} is neither x,y[,z] nor a building or facility id",
                             hint="e.g. 40461000,3955000 or 119.9,35.73 or B00012")
        kind, i = index[item]
        frame = layers[kind]
        p = shapely.point_on_surface(frame.geometry.to_numpy()[i])
        xs.append(float(p.x))
        ys.append(float(p.y))
        if kind == "building":
            base = numeric(frame.iloc[[i]], "base_elev_m", np.nan)[0]
            h = numeric(frame.iloc[[i]], "height_m", 0.0)[0]
            zs.append(np.nan if np.isnan(base) else base + h)
        else:
            zs.append(np.nan)
        labels.append(item)
    return np.array(xs), np.array(ys), np.array(zs, dtype=float), labels


def parse_point(value: str, layers: QueryInputs, crs, *, what: str):
    """One point of :func:`parse_points` as ``(x, y, z or NaN, label)``."""
    x, y, z, labels = parse_points(value, layers, crs, what=what)
    if len(x) != 1:
        raise QueryError(f"{what}: give one point, got {len(x)}")
    return float(x[0]), float(y[0]), float(z[0]), labels[0]
