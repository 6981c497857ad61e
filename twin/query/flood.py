"""``flood``: the area a water level inundates, connected to the rivers, and who is hit.

Given a water level *H* (metres, 1985 height datum) — directly, from the latest reading of a
water-level sensor, or from a scenario setting ``flood_level_m`` — on the terrain raster
(DEM):

1. a cell is *below* when its elevation is strictly under *H* (a cell exactly at *H* stays
   dry); nodata cells are dry;
2. the river cells are the cells the river geometries touch (line rivers buffered by
   ``width_m / 2``, at least half a cell);
3. the *flooded* cells are the below cells 4-connected (sharing an edge, so water does not
   leak through diagonal corners) to a below river cell (``scipy.ndimage.label``). Basins
   below *H* that no river reaches stay dry;
4. the flooded cells are polygonized (``rasterio.features.shapes``) into the
   ``flooded_area`` layer, with the mean depth of each polygon;
5. a building is *affected* when a flooded cell's centre lies inside its footprint (a
   footprint smaller than a cell: the cell under its representative point) and its ground
   is below *H*; its ground is ``base_elev_m`` when given, else the DEM under its
   representative point; ``depth_m = H − ground``; ``flooded_share`` is the flooded share
   of its cells;
6. for buildings with storeys (the ``storey`` table, joined on ``building_id`` = the
   building's ``id`` or ``ifc_guid``), the storeys whose floor ``elev_m`` is below *H* are
   listed with their water depth.

Example
-------
>>> res = run_flood(layers, level_m=3.5)               # doctest: +SKIP
>>> res = run_flood(layers, sensor="WL-01")            # doctest: +SKIP
>>> res.extra_layers["flooded_area"].area.sum()        # doctest: +SKIP
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from rasterio.io import MemoryFile
from scipy import ndimage

from ..errors import QueryError
from .common import numeric, text
from .inputs import QueryInputs
from .registry import Param, QueryResult, QuerySpec, register

__all__ = ["read_dem", "river_cells", "flood_cells", "flood_polygons", "latest_reading",
           "wet_cells", "run_flood"]

_FOUR = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


def read_dem(data) -> tuple[np.ndarray, rasterio.Affine, object]:
    """``(elevation float64 array with NaN for nodata, transform, crs)`` from GeoTIFF bytes
    or a path."""
    try:
        if isinstance(data, (bytes, bytearray, memoryview)):
            with MemoryFile(bytes(data)) as mem, mem.open() as ds:
                arr = ds.read(1, masked=True)
                return arr.astype("float64").filled(np.nan), ds.transform, ds.crs
        with rasterio.open(data) as ds:
            arr = ds.read(1, masked=True)
            return arr.astype("float64").filled(np.nan), ds.transform, ds.crs
    except rasterio.errors.RasterioError as exc:
        raise QueryError(f"cannot read the terrain raster ({exc})",
                         hint="re-import the DEM with `twin import DEM.tif --kind terrain`") from None


def river_cells(rivers: gpd.GeoDataFrame, shape, transform) -> np.ndarray:
    """Boolean grid of the cells the rivers touch (lines buffered by width/2)."""
    if rivers is None or not len(rivers):
        return np.zeros(shape, dtype=bool)
    geoms = rivers.geometry.to_numpy()
    width = np.nan_to_num(numeric(rivers, "width_m"), nan=0.0)
    cell = min(abs(transform.a), abs(transform.e))
    is_line = np.isin(shapely.get_type_id(geoms), (1, 2, 5))
    radius = np.where(is_line, np.maximum(width / 2.0, cell / 2.0), 0.0)
    geoms = np.where(radius > 0, shapely.buffer(geoms, radius), geoms)
    return rasterio.features.rasterize(
        ((g, 1) for g in geoms if g is not None and not g.is_empty), out_shape=shape,
        transform=transform, fill=0, all_touched=True, dtype="uint8").astype(bool)


def flood_cells(dem: np.ndarray, seeds: np.ndarray, level: float, *,
                with_labels: bool = False):
    """Cells strictly below ``level`` and 4-connected to a below ``seeds`` cell; with
    ``with_labels`` also the component label of each flooded cell (0 elsewhere), which
    :func:`flood_polygons` can use instead of labelling the grid again."""
    with np.errstate(invalid="ignore"):
        below = dem < level
    labels, n = ndimage.label(below, structure=_FOUR)
    hit = np.unique(labels[seeds & below])
    lut = np.zeros(n + 1, dtype=bool)
    lut[hit[hit > 0]] = True
    flooded = lut[labels]
    if not with_labels:
        return flooded
    labels[~flooded] = 0
    return flooded, labels


def _to_cell(transform, x, y):
    """Fractional (col, row) of world coordinates ``x, y`` on the raster grid."""
    inv = ~transform
    return inv.a * x + inv.b * y + inv.c, inv.d * x + inv.e * y + inv.f


def flood_polygons(flooded: np.ndarray, depth: np.ndarray, transform, crs, *,
                   labels: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Polygonize the flooded cells; each polygon gets ``area_m2`` and ``mean_depth_m``.
    ``labels`` (from :func:`flood_cells`) saves labelling the grid again."""
    geoms = []
    for geom, _value in rasterio.features.shapes(flooded.astype("uint8"), mask=flooded,
                                                 transform=transform, connectivity=4):
        geoms.append(shapely.geometry.shape(geom))
    geoms = np.asarray(geoms, dtype=object)
    if labels is None:
        labels, _ = ndimage.label(flooded, structure=_FOUR)
    ids = np.unique(labels[labels > 0])
    mean_depth = np.zeros(int(labels.max()) + 1 if ids.size else 0)
    if ids.size:
        mean_depth[ids] = ndimage.mean(depth, labels, index=ids)
    frame = gpd.GeoDataFrame({"area_m2": shapely.area(geoms) if len(geoms) else np.zeros(0)},
                             geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    if len(frame) and len(mean_depth):
        # match each polygon to its component through a cell inside it
        pts = shapely.point_on_surface(geoms)
        cols, rows = _to_cell(transform, shapely.get_x(pts), shapely.get_y(pts))
        r = np.clip(np.floor(rows).astype(int), 0, flooded.shape[0] - 1)
        c = np.clip(np.floor(cols).astype(int), 0, flooded.shape[1] - 1)
        lab = labels[r, c]
        frame["mean_depth_m"] = np.round(np.where(lab > 0, mean_depth[lab], np.nan), 3)
    else:
        frame["mean_depth_m"] = pd.Series(dtype=float)
    frame.insert(0, "id", [f"flood-{i + 1}" for i in range(len(frame))])
    return frame


def latest_reading(sensors: pd.DataFrame, readings: pd.DataFrame, sensor_id: str):
    """``(level_m, time)`` of the latest reading of ``sensor_id`` (``cm``/``mm`` units are
    converted to metres; a ``gauge_zero_m`` column on the sensor is added)."""
    rows = readings[text(readings, "sensor_id") == str(sensor_id)]
    if not len(rows):
        known = sorted(text(readings, "sensor_id").unique())[:10]
        raise QueryError(f"sensor {sensor_id!r} has no readings",
                         hint="sensors with readings: " + (", ".join(known) or "none"))
    times = pd.to_datetime(rows["time"], errors="coerce", utc=True, format="mixed")
    values = pd.to_numeric(rows["value"], errors="coerce")
    ok = times.notna() & values.notna()
    if not ok.any():
        raise QueryError(f"sensor {sensor_id!r} has no reading with a valid time and value")
    pos = int(np.argmax(times[ok].to_numpy()))
    value = float(values[ok].iloc[pos])
    when = times[ok].iloc[pos]
    unit = ""
    zero = 0.0
    if sensors is not None and len(sensors):
        me = sensors[text(sensors, "id") == str(sensor_id)]
        if len(me):
            unit = text(me, "unit").iloc[0].strip().lower()
            z = numeric(me, "gauge_zero_m")[0]
            zero = 0.0 if np.isnan(z) else float(z)
    scale = {"cm": 0.01, "mm": 0.001}.get(unit, 1.0)
    return value * scale + zero, when.isoformat()


def wet_cells(geoms, flooded: np.ndarray, transform) -> tuple[np.ndarray, np.ndarray]:
    """``(wet, cells)`` per footprint: the DEM cells whose centre lies inside it, and how
    many of them are flooded. A footprint that holds no cell centre counts the one cell under
    its representative point. Vectorized: an integral image of the flooded mask skips every
    footprint whose bounding box holds no flooded cell; the rest get an exact
    ``shapely.contains_xy`` test of the cell centres in their bounding box."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    wet = np.zeros(n)
    cells = np.zeros(n)
    if not n:
        return wet, cells
    if transform.b != 0 or transform.d != 0:
        raise QueryError("the terrain raster is rotated; flood needs a north-up DEM",
                         hint="warp the DEM with gdalwarp before importing it")
    rows, cols = flooded.shape
    minx, miny, maxx, maxy = shapely.bounds(geoms).T
    c_a, c_b = _to_cell(transform, minx, maxy)
    c_c, c_d = _to_cell(transform, maxx, miny)
    c0 = np.clip(np.ceil(np.minimum(c_a, c_c) - 0.5), 0, cols).astype(int)
    c1 = np.clip(np.floor(np.maximum(c_a, c_c) - 0.5), -1, cols - 1).astype(int)
    r0 = np.clip(np.ceil(np.minimum(c_b, c_d) - 0.5), 0, rows).astype(int)
    r1 = np.clip(np.floor(np.maximum(c_b, c_d) - 0.5), -1, rows - 1).astype(int)
    nr = np.maximum(r1 - r0 + 1, 0)
    nc = np.maximum(c1 - c0 + 1, 0)
    integral = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    integral[1:, 1:] = flooded.astype(np.int64).cumsum(0).cumsum(1)
    rr0, cc0 = np.minimum(r0, rows), np.minimum(c0, cols)
    rr1, cc1 = np.minimum(r0 + nr, rows), np.minimum(c0 + nc, cols)
    in_box = (integral[rr1, cc1] - integral[rr0, cc1] - integral[rr1, cc0]
              + integral[rr0, cc0])
    cand = np.flatnonzero(in_box > 0)
    if len(cand):
        size = nr[cand] * nc[cand]
        rep = np.repeat(cand, size)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(size) - size, size)
        rr = r0[rep] + k // nc[rep]
        cc = c0[rep] + k % nc[rep]
        x = transform.c + (cc + 0.5) * transform.a
        y = transform.f + (rr + 0.5) * transform.e
        inside = shapely.contains_xy(geoms[rep], x, y)
        cells = np.bincount(rep[inside], minlength=n).astype(float)
        wet = np.bincount(rep[inside & flooded[rr, cc]], minlength=n).astype(float)
    # footprints that hold no cell centre: the cell under the representative point
    small = np.flatnonzero((cells == 0) & ((nr * nc == 0) | (in_box > 0)))
    if len(small):
        pts = shapely.point_on_surface(geoms[small])
        pc, pr = _to_cell(transform, shapely.get_x(pts), shapely.get_y(pts))
        pr, pc = np.floor(pr).astype(int), np.floor(pc).astype(int)
        ok = (pr >= 0) & (pr < rows) & (pc >= 0) & (pc < cols)
        cells[small[ok]] = 1
        wet[small[ok]] = flooded[pr[ok], pc[ok]]
    return wet, cells


def _ground(buildings, dem, transform) -> np.ndarray:
    base = numeric(buildings, "base_elev_m")
    if np.isnan(base).any() and len(buildings):
        pts = shapely.point_on_surface(buildings.geometry.to_numpy())
        cols, rows = _to_cell(transform, shapely.get_x(pts), shapely.get_y(pts))
        r = np.floor(rows).astype(int)
        c = np.floor(cols).astype(int)
        inside = (r >= 0) & (r < dem.shape[0]) & (c >= 0) & (c < dem.shape[1])
        sampled = np.full(len(buildings), np.nan)
        sampled[inside] = dem[r[inside], c[inside]]
        base = np.where(np.isnan(base), sampled, base)
    return base


def _flooded_storeys(affected: gpd.GeoDataFrame, storeys: pd.DataFrame, level: float):
    cols = ["building_id", "storey", "storey_guid", "elev_m", "depth_m"]
    if storeys is None or not len(storeys) or not len(affected):
        return pd.DataFrame(columns=cols)
    key_id = dict(zip(text(affected, "id"), text(affected, "id"), strict=False))
    key_guid = {g: i for g, i in zip(text(affected, "ifc_guid"), text(affected, "id"),
                                     strict=False) if g}
    sid = text(storeys, "building_id")
    owner = sid.map(key_id).astype(object).fillna(sid.map(key_guid).astype(object))
    elev = numeric(storeys, "elev_m")
    hit = owner.notna().to_numpy() & (elev < level)
    out = pd.DataFrame({"building_id": owner[hit].to_numpy(),
                        "storey": text(storeys, "name")[hit].to_numpy(),
                        "storey_guid": text(storeys, "guid")[hit].to_numpy(),
                        "elev_m": elev[hit], "depth_m": np.round(level - elev[hit], 3)})
    return out.sort_values(["building_id", "elev_m"], kind="stable").reset_index(drop=True)


def run_flood(layers: QueryInputs, *, level_m: float | None = None,
              sensor: str | None = None) -> QueryResult:
    """Run ``flood`` on ``layers``; see the module docstring."""
    source = "parameter level_m"
    if level_m is None and sensor:
        level_m, when = latest_reading(layers["sensor"], layers.require(
            "sensor_reading", query="flood"), sensor)
        source = f"sensor {sensor} at {when}"
    if level_m is None and getattr(layers, "settings", {}).get("flood_level_m") is not None:
        level_m = float(layers.settings["flood_level_m"])
        source = "scenario setting flood_level_m"
    if level_m is None:
        sensors = layers["sensor"]
        wl = text(sensors, "id")[text(sensors, "kind") == "water_level"] if len(sensors) else []
        readings = layers["sensor_reading"]
        have = set(text(readings, "sensor_id")) if len(readings) else set()
        for sid in wl:
            if sid in have:
                level_m, when = latest_reading(sensors, readings, sid)
                source = f"sensor {sid} at {when} (first water_level sensor)"
                break
    if level_m is None:
        raise QueryError("flood needs a water level",
                         hint="give level_m (metres, 1985 datum) or a water_level sensor id")
    level = float(level_m)
    dem, transform, dem_crs = read_dem(layers.require("terrain", query="flood"))
    rivers = layers["river"]
    seeds = river_cells(rivers, dem.shape, transform)
    flooded, labels = flood_cells(dem, seeds, level, with_labels=True)
    depth = np.where(flooded, level - dem, 0.0)
    crs = rivers.crs if rivers is not None and rivers.crs is not None else dem_crs
    area = flood_polygons(flooded, depth, transform, crs, labels=labels)
    cell_area = abs(transform.a * transform.e)

    buildings = layers["building"]
    wet, cells = wet_cells(buildings.geometry.to_numpy(), flooded, transform)
    ground = _ground(buildings, dem, transform)
    bdepth = level - ground
    hit = (wet > 0) & (bdepth > 0)
    affected = buildings[hit].copy()
    affected["ground_m"] = np.round(ground[hit], 3)
    affected["depth_m"] = np.round(bdepth[hit], 3)
    affected["flooded_share"] = np.round(wet[hit] / np.maximum(cells[hit], 1), 4)
    storeys = _flooded_storeys(affected, layers["storey"] if "storey" in layers else None,
                               level)
    per = storeys.groupby("building_id").agg(
        n_flooded_storeys=("storey", "size"),
        flooded_storeys=("storey", lambda s: ",".join(str(x) for x in s)))
    ids = text(affected, "id").tolist()
    n_map = per["n_flooded_storeys"].to_dict()
    s_map = per["flooded_storeys"].to_dict()
    affected["n_flooded_storeys"] = np.array([int(n_map.get(i, 0)) for i in ids], dtype=int)
    affected["flooded_storeys"] = np.array([s_map.get(i, "") for i in ids], dtype=object)
    affected["status"] = "flooded"
    affected = affected.sort_values("depth_m", ascending=False, kind="stable")
    summary = {
        "level_m": level, "level_source": source,
        "flooded_cells": int(flooded.sum()),
        "flooded_area_m2": float(flooded.sum() * cell_area),
        "land_flooded_area_m2": float((flooded & ~seeds & (dem >= 0.0)).sum() * cell_area),
        "affected_buildings": int(len(affected)),
        "max_depth_m": float(affected["depth_m"].max()) if len(affected) else 0.0,
        "flooded_storeys": int(len(storeys)),
        "river_cells": int(seeds.sum()),
    }
    methods = {
        "datum": "1985 national height datum (1985国家高程基准)",
        "wet": "DEM cell elevation < level (equal stays dry), 4-connected to a river cell",
        "depth": "level − base_elev_m, or − DEM at the footprint's representative point",
        "storeys": "storeys with floor elev_m < level",
        "land": "land_flooded_area_m2 leaves out river cells and the sea (DEM below 0 m)",
        "level_source": source,
    }
    return QueryResult("flood", affected, summary=summary, color_by="depth_m", id_column="id",
                       status_column="status", extra_layers={"flooded_area": area},
                       tables={"storeys": storeys}, methods=methods, table=pd.DataFrame(
                           affected.drop(columns=affected.geometry.name)))


register(QuerySpec(
    name="flood",
    title_zh="洪水淹没分析",
    title_en="Flood inundation",
    run=run_flood,
    inputs=("terrain",),
    optional_inputs=("river", "building", "storey", "sensor", "sensor_reading"),
    description="Area below a water level connected to the rivers, with the affected "
                "buildings, their water depth and flooded storeys.",
    color_by="depth_m",
    feature_kind="building",
    status_checks={"status": "status"},
    value_columns=("ground_m", "depth_m", "flooded_share", "n_flooded_storeys"),
    scenario_params={"flood.level_m": "level_m"},
    params=(
        Param("level_m", "float", None, "水位 (m, 1985高程)", "Water level (m, 1985 datum)"),
        Param("sensor", "str", None, "水位传感器", "Water-level sensor id",
              "use its latest reading when no level is given"),
    ),
))
