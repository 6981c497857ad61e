"""``shadows`` and ``sunlight``: building shadows at an instant, and 大寒日 sunlight hours.

**Shadows.** The sun's altitude *a* and azimuth come from pvlib (:mod:`twin.query.solar`)
at the centre of the data, and the azimuth is turned to grid north. A building of height
*h* casts, on flat ground, its footprint swept along the shadow vector of length
``h / tan(a)`` pointing away from the sun. The swept shape is the Minkowski sum of the
footprint and that segment: for convex footprints the convex hull of the footprint and its
translate (vectorized over all buildings at once); for concave ones the union of the
footprint, its translate and the parallelogram swept by each edge.

**Sunlight hours (日照时数) on 大寒日** (GB 50180's winter check day; the date of the solar
term, :func:`twin.query.solar.major_cold`). For each residential building, sample points
are set on the ground floor of every south-facing facade (outward normal within
``facade_tolerance_deg`` of due south), one per ``spacing_m`` of facade (a dwelling bay),
``sill_m`` above the building's base and 0.1 m in front of the wall. The window
8:00–16:00 true solar time is cut into steps of ``step_min``; at the middle of each step a
point is sunlit when the sun is above the horizon, in front of its facade, and the ray
towards the sun clears every building: a building of top elevation *T* whose footprint the
ray first meets at horizontal distance *t* blocks it when ``z + t·tan(a) < T``. Per step,
candidate blockers come from one bulk STRtree point query against swept-footprint boxes,
then each candidate ray is tested exactly (see :func:`sunlit_hours`). A point's hours are its sunlit steps ×
step; a building is flagged (``status = fail``) when any of its sample points gets less
than ``min_hours`` (each ground-floor dwelling must comply). Terrain is taken as flat at
each building's ``base_elev_m`` (0 when missing).
"""

from __future__ import annotations

import datetime as _dt

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity

from ..errors import QueryError
from .common import location_lonlat, numeric, residential_mask, text
from .inputs import QueryInputs
from .local import LocalRun, mask_receivers, sunlight_receivers
from .registry import Param, QueryResult, QuerySpec, register
from .solar import CHINA_TZ, grid_north_offset, major_cold, solar_times, sun_position, to_utc

__all__ = ["shadow_vectors", "shadow_polygons", "facade_points", "sunlit_hours", "ConvexEdges",
           "run_shadows", "run_sunlight", "DEFAULT_YEAR"]

DEFAULT_YEAR = 2026  # fixed so that runs are reproducible; 大寒 moves by minutes a year


def shadow_vectors(heights, altitude_deg: float, azimuth_grid_deg: float):
    """``(dx, dy, length)`` of each building's shadow on flat ground (zero below the
    horizon is refused: ``altitude_deg`` must be > 0)."""
    if altitude_deg <= 0:
        raise QueryError(f"the sun is below the horizon (altitude {altitude_deg:.2f}°)",
                         hint="choose a daytime instant")
    length = np.nan_to_num(np.asarray(heights, dtype=float), nan=0.0) / np.tan(
        np.radians(altitude_deg))
    away = np.radians(azimuth_grid_deg + 180.0)
    return length * np.sin(away), length * np.cos(away), length


def shadow_polygons(geoms, dx, dy) -> np.ndarray:
    """Each footprint swept along its shadow vector ``(dx, dy)`` (vectorized)."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if not n:
        return np.zeros(0, dtype=object)
    dx = np.broadcast_to(np.asarray(dx, dtype=float), (n,))
    dy = np.broadcast_to(np.asarray(dy, dtype=float), (n,))
    rings = shapely.get_exterior_ring(geoms)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    moved = coords + np.column_stack([dx[idx], dy[idx]])
    all_idx = np.concatenate([idx, idx])
    order = np.argsort(all_idx, kind="stable")
    # the hull of a line through every vertex (cheaper to build than a multipoint)
    out = shapely.convex_hull(shapely.linestrings(np.vstack([coords, moved])[order],
                                                  indices=all_idx[order]))
    fp_area = shapely.area(geoms)
    hull_area = shapely.area(shapely.convex_hull(geoms))
    concave = np.flatnonzero(hull_area - fp_area > 1e-6 * np.maximum(fp_area, 1.0))
    for i in concave:
        out[i] = _swept(geoms[i], dx[i], dy[i])
    return out


def _swept(geom, dx: float, dy: float):
    polys = shapely.get_parts(geom)
    parts = [geom, shapely.affinity.translate(geom, dx, dy)]
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)
            a, b = c[:-1], c[1:]
            quads = np.stack([a, b, b + (dx, dy), a + (dx, dy), a], axis=1)
            parts.extend(shapely.polygons(quads))
    return shapely.union_all(shapely.make_valid(np.asarray(parts, dtype=object)))


def _location(layers_frames, crs):
    lon, lat = location_lonlat(*layers_frames)
    return lon, lat, grid_north_offset(lon, lat, crs)


def run_shadows(layers: QueryInputs, *, when: _dt.datetime | None = None,
                tz: str = CHINA_TZ) -> QueryResult:
    """Shadow polygons of every building at ``when`` (naive times are China Standard Time;
    default 12:00 on 大寒日 of :data:`DEFAULT_YEAR`)."""
    buildings = layers.require("building", query="shadows")
    if when is None:
        when = _dt.datetime.combine(major_cold(DEFAULT_YEAR), _dt.time(12, 0))
    utc = to_utc(when, tz)
    lon, lat, offset = _location([buildings], buildings.crs)
    alt, az = sun_position([utc], lat, lon)
    dx, dy, length = shadow_vectors(numeric(buildings, "height_m", 0.0), alt[0],
                                    az[0] + offset)
    geoms = shadow_polygons(buildings.geometry.to_numpy(), dx, dy)
    out = gpd.GeoDataFrame({
        "id": text(buildings, "id").to_numpy(dtype=object),
        "name": text(buildings, "name").to_numpy(dtype=object),
        "height_m": numeric(buildings, "height_m"),
        "shadow_length_m": np.round(length, 3),
    }, geometry=gpd.GeoSeries(geoms, crs=buildings.crs), crs=buildings.crs)
    summary = {"time_utc": utc.isoformat(), "time_local": to_utc(when, tz).tz_convert(
        tz).isoformat(), "altitude_deg": round(float(alt[0]), 4),
        "azimuth_deg": round(float(az[0]), 4), "grid_north_offset_deg": round(offset, 4),
        "lon": round(lon, 5), "lat": round(lat, 5), "buildings": int(len(out)),
        "max_shadow_length_m": float(length.max()) if len(out) else 0.0}
    methods = {"sun": "pvlib.solarposition.get_solarposition (NREL SPA), apparent altitude",
               "shadow": "footprint swept along h / tan(altitude), away from the sun, "
                         "flat ground"}
    return QueryResult("shadows", out, summary=summary, color_by="shadow_length_m",
                       id_column="id", methods=methods)


def facade_points(geoms, *, spacing_m: float = 6.0, tolerance_deg: float = 45.0,
                  offset_m: float = 0.1, min_edge_m: float = 1.0):
    """Sample points on the south-facing facades of ``geoms``.

    Returns ``(x, y, building index, facade normal azimuth in grid degrees)``.
    """
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        z = np.zeros(0)
        return z, z, np.zeros(0, dtype=int), z
    polys = shapely.orient_polygons(geoms, exterior_cw=False)  # exterior counter-clockwise
    parts, part_idx = shapely.get_parts(polys, return_index=True)
    coords, ring_idx = shapely.get_coordinates(shapely.get_exterior_ring(parts),
                                               return_index=True)
    same = ring_idx[:-1] == ring_idx[1:]
    a = coords[:-1][same]
    b = coords[1:][same]
    owner = part_idx[ring_idx[:-1][same]]
    edge = b - a
    length = np.hypot(edge[:, 0], edge[:, 1])
    # outward normal of a counter-clockwise ring is the edge turned clockwise: (ey, -ex)
    nx = edge[:, 1] / np.where(length > 0, length, 1)
    ny = -edge[:, 0] / np.where(length > 0, length, 1)
    normal_az = np.degrees(np.arctan2(nx, ny)) % 360.0
    south = (np.abs(normal_az - 180.0) <= tolerance_deg) & (length >= min_edge_m)
    a, edge, length, owner = a[south], edge[south], length[south], owner[south]
    nx, ny, normal_az = nx[south], ny[south], normal_az[south]
    count = np.maximum(1, np.floor(length / spacing_m).astype(int))
    rep = np.repeat(np.arange(len(count)), count)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    frac = (k + 0.5) / count[rep]
    x = a[rep, 0] + edge[rep, 0] * frac + nx[rep] * offset_m
    y = a[rep, 1] + edge[rep, 1] * frac + ny[rep] * offset_m
    return x, y, owner[rep], normal_az[rep]


class _ConvexEdges:
    """Outward edge normals of the convex obstacles, padded to one array, for an exact
    vectorized ray test (Cyrus–Beck clipping) without building any geometry. Obstacles that
    are not simple convex polygons of at most ``max_vertices`` vertices get ``row = -1``."""

    def __init__(self, geoms, *, max_vertices: int = 32):
        geoms = np.asarray(geoms, dtype=object)
        self.row = np.full(len(geoms), -1)
        self.normals = np.zeros((0, 1, 2))
        self.offsets = np.zeros((0, 1))
        if not len(geoms):
            return
        oriented = shapely.orient_polygons(geoms, exterior_cw=False)
        area = shapely.area(oriented)
        convex = ((shapely.get_type_id(oriented) == 3)
                  & (shapely.get_num_interior_rings(oriented) == 0)
                  & (shapely.get_num_coordinates(oriented) <= max_vertices + 1)
                  & (shapely.area(shapely.convex_hull(oriented)) - area
                     <= 1e-6 * np.maximum(area, 1.0)))
        which = np.flatnonzero(convex)
        if not len(which):
            return
        coords, idx = shapely.get_coordinates(shapely.get_exterior_ring(oriented[which]),
                                              return_index=True)
        same = idx[:-1] == idx[1:]
        a, b, owner = coords[:-1][same], coords[1:][same], idx[:-1][same]
        count = np.bincount(owner, minlength=len(which))
        slot = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
        normals = np.zeros((len(which), max(int(count.max()), 1), 2))
        edge = b - a
        normals[owner, slot] = np.column_stack([edge[:, 1], -edge[:, 0]])  # outward (CCW)
        self.normals = normals
        self.offsets = np.einsum("ij,ij->i", normals[owner, slot], a)
        offsets = np.zeros(normals.shape[:2])
        offsets[owner, slot] = self.offsets
        self.offsets = offsets
        self.row[which] = np.arange(len(which))

    def hits(self, obstacle, x, y, ux: float, uy: float, length) -> np.ndarray:
        """Whether the segment from ``(x, y)`` of ``length`` along ``(ux, uy)`` meets each
        (convex) ``obstacle``, boundary included."""
        r = self.row[obstacle]
        nrm = self.normals[r]
        num = nrm[..., 0] * x[:, None] + nrm[..., 1] * y[:, None] - self.offsets[r]
        den = nrm[..., 0] * ux + nrm[..., 1] * uy
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -num / den
        lower = np.where(den < 0, bound, -np.inf).max(axis=1)
        upper = np.where(den > 0, bound, np.inf).min(axis=1)
        scale = np.abs(nrm).sum(axis=2)  # |n| ~ edge length: tolerance in metres × length
        outside = ((den == 0) & (num > 1e-9 * np.maximum(scale, 1.0))).any(axis=1)
        t_lo = np.maximum(lower, 0.0)
        t_hi = np.minimum(upper, length)
        return (t_lo <= t_hi + 1e-9) & ~outside


ConvexEdges = _ConvexEdges  # the window-level sunlight query tests its rays the same way


def sunlit_hours(px, py, pz, normal_az, obstacles, tops, altitudes, azimuths_grid,
                 step_h: float) -> np.ndarray:
    """Hours of sun at each point over the given sun positions (each standing for
    ``step_h`` hours); see the module docstring for the test.

    At each step the ray from a point towards the sun meets obstacle *o* within
    ``L_o = (top_o − z) / tan(a)`` exactly when the point lies in *o*'s footprint swept by
    ``L_o`` away from the sun. Candidates come from one STRtree point query against the
    boxes around each footprint and its translate for the lowest point (a superset); each
    candidate is then tested exactly with its clipped ray: by Cyrus–Beck clipping against
    the edges of convex footprints (vectorized numpy), by ``shapely.intersects`` for the
    others.
    """
    npts = len(px)
    if not npts:
        return np.zeros(0)
    obstacles = np.asarray(obstacles, dtype=object)
    tops = np.asarray(tops, dtype=float)
    pts = shapely.points(px, py)
    z_low = float(np.min(pz))
    tall = np.flatnonzero(tops > z_low)
    bounds = shapely.bounds(obstacles[tall])
    edges = _ConvexEdges(obstacles)
    sunlit = np.zeros(npts, dtype=int)
    for alt, az in zip(altitudes, azimuths_grid, strict=True):
        if alt <= 0:
            continue
        facing = np.cos(np.radians(az - normal_az)) > 0
        idx = np.flatnonzero(facing)
        if not len(idx):
            continue
        blocked = np.zeros(len(idx), dtype=bool)
        if len(tall):
            tan_a = np.tan(np.radians(alt))
            ux, uy = np.sin(np.radians(az)), np.cos(np.radians(az))
            reach = (tops[tall] - z_low) / tan_a
            # the box around each footprint and its translate holds its swept shadow
            dx, dy = -ux * reach, -uy * reach
            boxes = shapely.box(bounds[:, 0] + np.minimum(dx, 0), bounds[:, 1] + np.minimum(dy, 0),
                                bounds[:, 2] + np.maximum(dx, 0), bounds[:, 3] + np.maximum(dy, 0))
            p_i, h_i = shapely.STRtree(boxes).query(pts[idx])
            if len(p_i):
                o_i = tall[h_i]
                limit = (tops[o_i] - pz[idx][p_i]) / tan_a
                ok = limit > 0
                p_i, o_i, limit = p_i[ok], o_i[ok], limit[ok]
                x0, y0 = px[idx][p_i], py[idx][p_i]
                convex = edges.row[o_i] >= 0
                hit = np.zeros(len(p_i), dtype=bool)
                hit[convex] = edges.hits(o_i[convex], x0[convex], y0[convex], ux, uy,
                                         limit[convex])
                other = np.flatnonzero(~convex & ~blocked[p_i])
                if len(other):
                    ll = limit[other]
                    rays = shapely.linestrings(np.stack([
                        np.column_stack([x0[other], y0[other]]),
                        np.column_stack([x0[other] + ux * ll, y0[other] + uy * ll])], axis=1))
                    hit[other] = shapely.intersects(rays, obstacles[o_i[other]])
                blocked[p_i[hit]] = True
        sunlit[idx[~blocked]] += 1
    return sunlit * step_h


def run_sunlight(layers: QueryInputs, *, date: _dt.date | None = None, year: int = DEFAULT_YEAR,
                 start_solar_h: float = 8.0, end_solar_h: float = 16.0, step_min: float = 10.0,
                 min_hours: float = 2.0, spacing_m: float = 6.0, sill_m: float = 0.9,
                 facade_tolerance_deg: float = 45.0) -> QueryResult:
    """Sunlight hours on 大寒日 for residential buildings; see the module docstring."""
    if end_solar_h <= start_solar_h:
        raise QueryError("end_solar_h must be after start_solar_h")
    buildings = layers.require("building", query="sunlight")
    day = date or major_cold(int(year))
    lon, lat, offset = _location([buildings], buildings.crs)
    times = solar_times(day, lon, start_solar_h, end_solar_h, step_min)
    alt, az = sun_position(times, lat, lon)
    az_grid = az + offset

    res = residential_mask(buildings)
    homes_idx = np.flatnonzero(res)
    geoms = buildings.geometry.to_numpy()
    base = numeric(buildings, "base_elev_m", 0.0)
    tops = base + numeric(buildings, "height_m", 0.0)
    px, py, owner, normal = facade_points(geoms[homes_idx], spacing_m=spacing_m,
                                          tolerance_deg=facade_tolerance_deg)
    bidx = homes_idx[owner]
    pz = base[bidx] + sill_m
    hours = sunlit_hours(px, py, pz, normal, geoms, tops, alt, az_grid, step_min / 60.0)

    npts = np.bincount(bidx, minlength=len(buildings))
    hmin = np.full(len(buildings), np.nan)
    if len(hours):
        fill = np.full(len(buildings), np.inf)
        np.minimum.at(fill, bidx, hours)
        hmin = np.where(np.isfinite(fill), fill, np.nan)
    hsum = np.bincount(bidx, weights=hours, minlength=len(buildings))
    nfail = np.bincount(bidx, weights=(hours < min_hours - 1e-9).astype(float),
                        minlength=len(buildings))
    out = buildings.iloc[homes_idx].copy()
    out["sample_points"] = npts[homes_idx]
    out["sun_hours_min"] = np.round(hmin[homes_idx], 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["sun_hours_mean"] = np.round(hsum[homes_idx] / npts[homes_idx], 3)
    out["points_below"] = nfail[homes_idx].astype(int)
    status = np.where(npts[homes_idx] == 0, "n/a",
                      np.where(nfail[homes_idx] > 0, "fail", "pass"))
    out["status"] = status
    points = gpd.GeoDataFrame({
        "building_id": text(buildings, "id").to_numpy(dtype=object)[bidx],
        "facade_azimuth_deg": np.round(normal, 2), "z_m": np.round(pz, 3),
        "sun_hours": np.round(hours, 3)},
        geometry=gpd.GeoSeries(shapely.points(px, py), crs=buildings.crs), crs=buildings.crs)
    summary = {"date": day.isoformat(), "lon": round(lon, 5), "lat": round(lat, 5),
               "window_true_solar_time": f"{start_solar_h:g}–{end_solar_h:g} h",
               "step_min": float(step_min), "min_hours": float(min_hours),
               "residential_buildings": int(len(out)),
               "flagged": int((status == "fail").sum()),
               "no_south_facade": int((status == "n/a").sum()),
               "sample_points": int(len(points))}
    methods = {
        "date": f"大寒 {day.isoformat()} (sun's apparent longitude 300°, China Standard Time)"
        if date is None else f"given date {day.isoformat()}",
        "window": f"{start_solar_h:g}:00–{end_solar_h:g}:00 true solar time, "
                  f"{step_min:g}-minute steps (GB 50180)",
        "points": f"ground floor, {sill_m:g} m above base, every {spacing_m:g} m of facades "
                  f"facing within {facade_tolerance_deg:g}° of south",
        "flag": f"a building fails when any sample point gets < {min_hours:g} h",
        "sun": "pvlib NREL SPA, apparent altitude; azimuth corrected to grid north",
    }
    return QueryResult("sunlight", out, summary=summary, color_by="sun_hours_min",
                       id_column="id", status_column="status",
                       extra_layers={"sample_points": points}, methods=methods)


register(QuerySpec(
    name="sunlight",
    title_zh="大寒日日照分析",
    title_en="Sunlight hours on Major Cold day",
    run=run_sunlight,
    inputs=("building",),
    description="Sunlight hours on the ground floor of each residential building's south "
                "facades on 大寒日, 8:00–16:00 true solar time; flags < 2 h.",
    color_by="sun_hours_min",
    feature_kind="building",
    status_checks={"status": "status"},
    value_columns=("sample_points", "sun_hours_min", "sun_hours_mean", "points_below"),
    local=LocalRun("building", sunlight_receivers, mask_receivers),
    params=(
        Param("date", "date", None, "日期", "Date", "default: 大寒日 of the year"),
        Param("year", "int", DEFAULT_YEAR, "年份", "Year", min=1900, max=2100),
        Param("start_solar_h", "float", 8.0, "开始 (真太阳时)", "Start (true solar time, h)",
              min=0.0, max=24.0),
        Param("end_solar_h", "float", 16.0, "结束 (真太阳时)", "End (true solar time, h)",
              min=0.0, max=24.0),
        Param("step_min", "float", 10.0, "时间步长 (分钟)", "Step (minutes)", min=1.0),
        Param("min_hours", "float", 2.0, "日照标准 (小时)", "Required hours", min=0.0),
        Param("spacing_m", "float", 6.0, "采样间距 (m)", "Sample spacing (m)", min=0.5),
        Param("sill_m", "float", 0.9, "窗台高度 (m)", "Window sill height (m)", min=0.0),
        Param("facade_tolerance_deg", "float", 45.0, "朝南容差 (°)", "South tolerance (°)",
              min=0.0, max=90.0),
    ),
))

register(QuerySpec(
    name="shadows",
    title_zh="建筑阴影",
    title_en="Building shadows",
    run=run_shadows,
    inputs=("building",),
    description="Shadow polygons of every building at one instant (sun from pvlib).",
    color_by="shadow_length_m",
    diff=False,
    feature_kind="building",
    value_columns=("shadow_length_m",),
    params=(
        Param("when", "datetime", None, "时刻", "Date and time",
              "ISO, e.g. 2026-01-20T10:00 (China Standard Time unless an offset is given); "
              "default 12:00 on 大寒日"),
        Param("tz", "str", CHINA_TZ, "时区", "Time zone"),
    ),
))
