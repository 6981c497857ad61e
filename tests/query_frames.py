"""Tiny hand-checkable frames for the query tests, near Boli in the working CRS."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from rasterio.io import MemoryFile

from twin.crs import transform_xy, working_crs

__all__ = ["X0", "Y0", "frame", "parcels", "buildings", "rivers", "roads", "facilities",
           "dem_bytes"]


def _origin():
    x, y = transform_xy([119.90], [35.73], "EPSG:4326", working_crs())
    return round(float(x[0])), round(float(y[0]))


X0, Y0 = _origin()


def frame(data: dict, geoms) -> gpd.GeoDataFrame:
    """A GeoDataFrame in the working CRS."""
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=working_crs())


def parcels(rows: list[dict]) -> gpd.GeoDataFrame:
    """Parcels from dicts with ``box=(minx, miny, maxx, maxy)`` relative to the origin."""
    geoms = [shapely.box(X0 + r["box"][0], Y0 + r["box"][1], X0 + r["box"][2],
                         Y0 + r["box"][3]) for r in rows]
    cols = {k: [r.get(k) for r in rows] for k in ("id", "name", "land_use", "max_far",
                                                   "max_density", "max_height_m",
                                                   "min_green_ratio")}
    for extra in {k for r in rows for k in r} - set(cols) - {"box"}:
        cols[extra] = [r.get(extra) for r in rows]
    return frame(cols, geoms)


def buildings(rows: list[dict]) -> gpd.GeoDataFrame:
    """Buildings from dicts with ``box=`` (relative) or ``geom=`` (absolute) and attributes."""
    geoms = [r["geom"] if "geom" in r else shapely.box(
        X0 + r["box"][0], Y0 + r["box"][1], X0 + r["box"][2], Y0 + r["box"][3]) for r in rows]
    names = ("id", "name", "use", "height_m", "floors", "base_elev_m", "gfa_m2", "source",
             "ifc_guid")
    cols = {k: [r.get(k) for r in rows] for k in names}
    for k in ("height_m", "base_elev_m", "gfa_m2"):
        cols[k] = np.array([np.nan if v is None else v for v in cols[k]], dtype=float)
    for extra in {k for r in rows for k in r} - set(cols) - {"box", "geom"}:
        cols[extra] = [r.get(extra) for r in rows]
    return frame(cols, geoms)


def rivers(rows: list[dict]) -> gpd.GeoDataFrame:
    """Rivers from dicts with ``coords`` (relative line) or ``geom`` and attributes."""
    geoms = [r["geom"] if "geom" in r else shapely.LineString(
        [(X0 + x, Y0 + y) for x, y in r["coords"]]) for r in rows]
    return frame({k: [r.get(k) for r in rows] for k in ("id", "name", "width_m", "setback_m")},
                 geoms)


def roads(rows: list[dict]) -> gpd.GeoDataFrame:
    """Roads from dicts with ``coords`` (relative line) and attributes."""
    geoms = [shapely.LineString([(X0 + x, Y0 + y) for x, y in r["coords"]]) for r in rows]
    return frame({k: [r.get(k) for r in rows] for k in ("id", "name", "road_class",
                                                         "width_m")}, geoms)


def facilities(rows: list[dict]) -> gpd.GeoDataFrame:
    """Facilities from dicts with ``xy`` (relative point), ``kind`` and ``id``."""
    geoms = [shapely.Point(X0 + r["xy"][0], Y0 + r["xy"][1]) for r in rows]
    return frame({"id": [r["id"] for r in rows], "name": [r.get("name", r["id"]) for r in rows],
                  "kind": [r["kind"] for r in rows], "capacity": [None] * len(rows)}, geoms)


def dem_bytes(elev: np.ndarray, *, cell: float = 1.0, nodata: float | None = None) -> bytes:
    """A GeoTIFF (bytes) of ``elev`` whose top-left corner is the origin + (0, rows·cell)."""
    rows, cols = elev.shape
    transform = Affine(cell, 0.0, X0, 0.0, -cell, Y0 + rows * cell)
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", height=rows, width=cols, count=1, dtype="float32",
                      crs=working_crs().to_wkt(), transform=transform, nodata=nodata) as ds:
            ds.write(elev.astype("float32"), 1)
        return mem.read()

