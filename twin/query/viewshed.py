"""``sightline`` (通视) and ``viewshed`` (可视域): what a viewpoint sees over terrain and buildings.

**Sight lines.** From a viewpoint at ``eye_height_m`` above its surface (the terrain, or
the roof when it stands on a building) to each target at ``target_height_m`` above its
ground (a building target: its top). Buildings are prisms from the ground to their top:
the 2D segment is cut by each footprint the STRtree finds (``shapely.intersection``), and
since the line's height is linear along it, its lowest point over a footprint is at one
end of a cut piece; the line is **blocked** when that point is below the building's top.
The buildings holding the viewpoint or the target are left out. Terrain is sampled along
the line every half DEM cell (ends excluded); the line is blocked where it runs under the
ground. ``clearance_m`` is the least height of the line over what it crosses.

**Viewshed.** A surface model (DSM: terrain + building tops, :mod:`twin.query.surface`)
is built around the viewpoint with ``cell_m`` cells. Rays leave the eye every
``cell_m / R`` radians (one cell apart at the radius ``R``), sampled every cell; along
each ray a sample is visible when its elevation angle (with ``target_height_m`` added) is
at least the greatest angle of the samples before it (``numpy.maximum.accumulate``). A
cell is visible when any sample in it is. The visible area is the visible cells within
``R``; a building is **visible** when any of its cells is (its roof or the facade cell the
ray meets first). Buildings smaller than a cell may be missed: choose a finer cell.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely

from ..errors import QueryError
from .common import FAIL, PASS, numeric, text
from .inputs import QueryInputs
from .registry import Param, QueryResult, QuerySpec, register
from .surface import building_tops, cell_centres, ground_at, load_dem, parse_point, parse_points, surface_grid

__all__ = ["sight_clearance", "viewshed_grid", "run_sightline", "run_viewshed"]


def _observer(layers, buildings, tops, dem, crs, viewpoint, eye_height_m, default_ground):
    x0, y0, z_given, label = parse_point(viewpoint, layers, crs, what="viewpoint")
    z_surface = ground_at(dem, [x0], [y0], default_ground)[0]
    own = np.zeros(0, dtype=int)
    if buildings is not None and len(buildings):
        own = buildings.sindex.query(shapely.Point(x0, y0), predicate="intersects")
        if len(own):
            z_surface = max(z_surface, float(np.max(tops[own])))
    base = z_given if not np.isnan(z_given) else z_surface
    return x0, y0, base + eye_height_m, label, own


def _default_ground(buildings) -> float:
    if buildings is None or not len(buildings):
        return 0.0
    base = numeric(buildings, "base_elev_m")
    return float(np.nanmin(base)) if np.isfinite(base).any() else 0.0


def sight_clearance(x0, y0, z0, xt, yt, zt, buildings, tops, dem, *, exclude=None):
    """For each line from ``(x0, y0, z0)`` to a target, ``(clearance_m, blocker position or
    -1)`` over the buildings (prisms up to ``tops``) and the terrain (see module doc).
    ``exclude`` is a list, per line, of building positions to leave out."""
    xt, yt, zt = (np.asarray(v, dtype=float) for v in (xt, yt, zt))
    n = len(xt)
    clearance = np.full(n, np.inf)
    blocker = np.full(n, -1)
    segs = shapely.linestrings(np.stack([np.column_stack([np.full(n, x0), np.full(n, y0)]),
                                         np.column_stack([xt, yt])], axis=1))
    dx, dy = xt - x0, yt - y0
    d2 = np.maximum(dx * dx + dy * dy, 1e-12)
    if buildings is not None and len(buildings):
        geoms = buildings.geometry.to_numpy()
        l_i, b_i = shapely.STRtree(geoms).query(segs, predicate="intersects")
        if exclude is not None and len(l_i):
            drop = np.array([b in exclude[li] for li, b in zip(l_i.tolist(), b_i.tolist())],
                            dtype=bool)
            l_i, b_i = l_i[~drop], b_i[~drop]
        if len(l_i):
            cut = shapely.intersection(segs[l_i], geoms[b_i])
            coords, owner = shapely.get_coordinates(cut, return_index=True)
            lo = l_i[owner]
            t = ((coords[:, 0] - x0) * dx[lo] + (coords[:, 1] - y0) * dy[lo]) / d2[lo]
            z_line = z0 + np.clip(t, 0, 1) * (zt[lo] - z0)
            gap = z_line - tops[b_i[owner]]
            pair_min = np.full(len(l_i), np.inf)
            np.minimum.at(pair_min, owner, gap)
            order = np.lexsort((pair_min, l_i))
            first = np.r_[True, l_i[order][1:] != l_i[order][:-1]]
            best = order[first]
            clearance[l_i[best]] = pair_min[best]
            blocker[l_i[best]] = np.where(pair_min[best] < 0, b_i[best], -1)
    if dem is not None:
        step = dem.cell / 2.0
        length = np.sqrt(d2)
        for i in range(n):
            k = int(length[i] // step)
            if k < 3:
                continue
            t = np.arange(2, k - 1) * step / length[i]
            g = dem.sample(x0 + t * dx[i], y0 + t * dy[i])
            gap = z0 + t * (zt[i] - z0) - g
            gap = gap[~np.isnan(gap)]
            if len(gap) and gap.min() < clearance[i]:
                clearance[i] = float(gap.min())
                if gap.min() < 0:
                    blocker[i] = -2  # the terrain
    return clearance, blocker


def run_sightline(layers: QueryInputs, *, viewpoint: str | None = None, targets: str | None = None,
                  eye_height_m: float = 1.5, target_height_m: float = 1.5) -> QueryResult:
    """Run ``sightline``; see the module docstring."""
    if not viewpoint or not targets:
        raise QueryError("sightline needs a viewpoint and targets",
                         hint="--viewpoint x,y (or lon,lat or a building id) "
                              "--targets 'x,y;x,y' (or building ids)")
    buildings = layers["building"] if "building" in layers else None
    crs = buildings.crs if buildings is not None and len(buildings) else \
        layers.require("parcel", query="sightline").crs
    dem = load_dem(layers)
    ground0 = _default_ground(buildings)
    _g, tops = building_tops(buildings, dem, default_ground=ground0)
    x0, y0, z0, vp_label, own = _observer(layers, buildings, tops, dem, crs, viewpoint,
                                          eye_height_m, ground0)
    xt, yt, zt, labels = parse_points(targets, layers, crs, what="targets")
    ground_t = ground_at(dem, xt, yt, ground0)
    zt = np.where(np.isnan(zt), ground_t + target_height_m, zt)
    exclude = []
    for x, y in zip(xt, yt):
        ex = set(own.tolist())
        if buildings is not None and len(buildings):
            ex |= set(buildings.sindex.query(shapely.Point(x, y), predicate="intersects").tolist())
        exclude.append(ex)
    clearance, blocker = sight_clearance(x0, y0, z0, xt, yt, zt, buildings, tops, dem,
                                         exclude=exclude)
    ids = text(buildings, "id").to_numpy(dtype=object) if buildings is not None else \
        np.zeros(0, dtype=object)
    blocked_by = np.array(["" if b == -1 else ("terrain" if b == -2 else ids[b])
                           for b in blocker], dtype=object)
    status = np.where(clearance < 0, FAIL, PASS).astype(object)
    out = gpd.GeoDataFrame({
        "id": [f"L{i + 1}" for i in range(len(xt))], "target": labels,
        "distance_m": np.round(np.hypot(xt - x0, yt - y0), 3),
        "eye_elev_m": round(z0, 3), "target_elev_m": np.round(zt, 3),
        "sight": np.where(clearance < 0, "blocked", "clear").astype(object),
        "blocked_by": blocked_by,
        "clearance_m": np.round(np.where(np.isfinite(clearance), clearance, np.nan), 3),
        "status": status},
        geometry=shapely.linestrings(np.stack([np.column_stack([np.full(len(xt), x0),
                                                                np.full(len(xt), y0)]),
                                               np.column_stack([xt, yt])], axis=1)), crs=crs)
    summary = {"viewpoint": vp_label, "eye_elev_m": round(z0, 3), "targets": int(len(out)),
               "clear": int((status == PASS).sum()), "blocked": int((status == FAIL).sum())}
    methods = {"buildings": "prisms ground→top; exact 2D cut of each line by each footprint",
               "terrain": "DEM sampled every half cell along the line" if dem is not None
               else "no terrain layer: flat ground"}
    return QueryResult("sightline", out, summary=summary, color_by="sight", id_column="id",
                       status_column="status", methods=methods)


def viewshed_grid(grid, x0, y0, z0, radius_m: float, target_height_m: float = 0.0):
    """Boolean grid of the cells visible from ``(x0, y0, z0)`` within ``radius_m`` and the
    within-radius mask (see the module docstring)."""
    cell = grid.cell
    h, w = grid.z.shape
    n_rays = max(8, int(np.ceil(2 * np.pi * radius_m / cell)))
    step = cell
    r = ((np.arange(int(np.ceil(radius_m / step))) + 1.0) * step).astype(np.float32)
    az = np.arange(n_rays) * (2 * np.pi / n_rays)
    # cell coordinates of every sample, in float32 (a 1 km radius is millions of samples)
    c0 = np.float32((x0 - grid.transform.c) / cell)
    r0 = np.float32((grid.transform.f - y0) / cell)
    fc = c0 + (np.sin(az).astype(np.float32) / np.float32(cell))[:, None] * r[None, :]
    fr = r0 - (np.cos(az).astype(np.float32) / np.float32(cell))[:, None] * r[None, :]
    inside = (fc >= 0) & (fc < w) & (fr >= 0) & (fr < h)
    flat = np.clip(fr.astype(np.int32), 0, h - 1) * w + np.clip(fc.astype(np.int32), 0, w - 1)
    del fc, fr
    z = grid.z.astype(np.float32).ravel()[flat]
    tan = (z - np.float32(z0)) / r[None, :]
    prev = np.maximum.accumulate(tan, axis=1)
    seen = np.empty_like(inside)
    seen[:, 0] = True
    seen[:, 1:] = (tan[:, 1:] + np.float32(target_height_m) / r[None, 1:]
                   >= prev[:, :-1] - np.float32(1e-7))
    seen &= inside
    vis = np.zeros(h * w, dtype=bool)
    vis[flat[seen]] = True
    vis = vis.reshape(h, w)
    px, py = cell_centres(grid.transform, (h, w))
    within = np.hypot(px - x0, py - y0) <= radius_m
    rr, cc, ok = grid.index([x0], [y0])
    if ok[0]:
        vis[rr[0], cc[0]] = True
    return vis & within, within


def run_viewshed(layers: QueryInputs, *, viewpoint: str | None = None, radius_m: float = 500.0,
                 eye_height_m: float = 1.5, target_height_m: float = 0.0,
                 cell_m: float = 2.0) -> QueryResult:
    """Run ``viewshed``; see the module docstring."""
    buildings = layers["building"] if "building" in layers else None
    dem = load_dem(layers)
    if (buildings is None or not len(buildings)) and dem is None:
        raise QueryError("viewshed needs buildings or a terrain layer and there are none",
                         hint="import one with `twin import FILE --kind building`")
    crs = buildings.crs if buildings is not None and len(buildings) else dem.crs
    if not viewpoint:
        b = buildings.total_bounds
        viewpoint = f"{(b[0] + b[2]) / 2:.3f},{(b[1] + b[3]) / 2:.3f}"
    ground0 = _default_ground(buildings)
    _g, tops = building_tops(buildings, dem, default_ground=ground0)
    x0, y0, z0, vp_label, own = _observer(layers, buildings, tops, dem, crs, viewpoint,
                                          eye_height_m, ground0)
    bounds = (x0 - radius_m, y0 - radius_m, x0 + radius_m, y0 + radius_m)
    grid = surface_grid(bounds, cell_m, buildings, tops, dem, crs, default_ground=ground0)
    vis, within = viewshed_grid(grid, x0, y0, z0, radius_m, target_height_m)
    cell_area = cell_m * cell_m
    labels = grid.label
    n_b = len(buildings) if buildings is not None else 0
    total = np.bincount(labels[within].ravel(), minlength=n_b + 1)[1:]
    seen = np.bincount(labels[vis].ravel(), minlength=n_b + 1)[1:]
    own_set = set(own.tolist())
    pos = np.array([i for i in np.flatnonzero(seen > 0) if i not in own_set], dtype=int)
    if n_b:
        out = buildings.iloc[pos].copy()
        c = shapely.centroid(out.geometry.to_numpy())
        out["distance_m"] = np.round(np.hypot(shapely.get_x(c) - x0, shapely.get_y(c) - y0), 1)
        out["visible_share"] = np.round(seen[pos] / np.maximum(total[pos], 1), 4)
        out["top_elev_m"] = np.round(tops[pos], 3)
    else:
        out = gpd.GeoDataFrame({"id": [], "distance_m": [], "visible_share": []},
                               geometry=[], crs=crs)
    polys = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(
        vis.astype("uint8"), mask=vis, transform=grid.transform) if v == 1]
    area_layer = gpd.GeoDataFrame({"visible": ["yes"] * len(polys)},
                                  geometry=gpd.GeoSeries(polys, crs=crs), crs=crs)
    summary = {"viewpoint": vp_label, "eye_elev_m": round(z0, 3), "radius_m": float(radius_m),
               "cell_m": float(cell_m),
               "visible_area_m2": float(vis.sum() * cell_area),
               "visible_share": round(float(vis.sum() / max(within.sum(), 1)), 4),
               "visible_buildings": int(len(out)),
               "buildings_in_radius": int((total > 0).sum())}
    methods = {"surface": f"DSM of terrain + building tops, {cell_m:g} m cells",
               "rays": f"{int(np.ceil(2 * np.pi * radius_m / cell_m))} rays, samples every "
                       f"{cell_m:g} m, visible when the elevation angle ≥ every angle "
                       "before it",
               "terrain": "DEM resampled bilinearly" if dem is not None else
               "no terrain layer: flat ground at the lowest building base"}
    point = gpd.GeoDataFrame({"id": ["viewpoint"], "eye_elev_m": [round(z0, 3)]},
                             geometry=[shapely.Point(x0, y0)], crs=crs)
    return QueryResult("viewshed", out, summary=summary, color_by="visible_share",
                       id_column="id", extra_layers={"visible_area": area_layer,
                                                     "viewpoint": point},
                       tables={"buildings": pd.DataFrame(out.drop(columns="geometry"))},
                       methods=methods)


_VIEWPOINT_HELP = "x,y (working CRS, m), lon,lat, or a building/facility id"

register(QuerySpec(
    name="sightline",
    title_zh="通视分析",
    title_en="Line of sight",
    run=run_sightline,
    inputs=("building",),
    optional_inputs=("terrain", "facility"),
    description="Whether each target can be seen from a viewpoint over the buildings and "
                "the terrain, and what blocks it.",
    color_by="sight",
    diff=False,
    feature_kind="sightline",
    status_checks={"status": "status"},
    value_columns=("clearance_m",),
    params=(
        Param("viewpoint", "str", None, "视点", "Viewpoint", _VIEWPOINT_HELP),
        Param("targets", "str", None, "目标点", "Targets", "points separated by ';': "
              + _VIEWPOINT_HELP),
        Param("eye_height_m", "float", 1.5, "视高 (m)", "Eye height (m)", min=0.0),
        Param("target_height_m", "float", 1.5, "目标高度 (m)", "Target height (m)",
              "above the ground; a building target is its top", min=0.0),
    ),
))

register(QuerySpec(
    name="viewshed",
    title_zh="可视域分析",
    title_en="Viewshed",
    run=run_viewshed,
    inputs=("building",),
    optional_inputs=("terrain", "facility"),
    description="The area and the buildings visible from a viewpoint within a radius, over "
                "the terrain and the buildings.",
    color_by="visible_share",
    diff=False,
    feature_kind="building",
    value_columns=("visible_share",),
    params=(
        Param("viewpoint", "str", None, "视点", "Viewpoint",
              _VIEWPOINT_HELP + "; default the centre of the buildings"),
        Param("radius_m", "float", 500.0, "半径 (m)", "Radius (m)", min=10.0, max=20000.0),
        Param("eye_height_m", "float", 1.5, "视高 (m)", "Eye height (m)", min=0.0),
        Param("target_height_m", "float", 0.0, "目标高度 (m)", "Target height (m)", min=0.0),
        Param("cell_m", "float", 2.0, "栅格尺寸 (m)", "Cell size (m)", min=0.25),
    ),
))
