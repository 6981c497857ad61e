"""``skyline`` (天际线): the profile of the highest elevation angle over azimuth seen from a
viewpoint, from the buildings and the terrain, and which buildings make it.

From an eye ``eye_height_m`` above the viewpoint's surface, every building within
``radius_m`` is a prism: the top edge of its walls is its footprint ring at its top
elevation. Each ring is cut into pieces short enough to fall in every azimuth bin it crosses
(``shapely.segmentize``, finer for near buildings), each vertex gives an azimuth and an
elevation angle ``atan((top − z_eye) / distance)``, and the profile keeps the greatest angle
in each ``step_deg`` bin (one ``numpy.lexsort``), with the building that reaches it. The
terrain's cells within the radius (at most about a million, by striding) join the same
bins. A bin with nothing above the eye's horizon is open sky (0°).

A proposal's change to the skyline is the difference of two profiles
(:func:`compare_profiles`), and in a scenario diff the buildings' ``skyline_bins`` and the
summary's mean and greatest angles before and after.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .common import text
from .inputs import QueryInputs
from .registry import Param, QueryResult, QuerySpec, register
from .surface import building_tops, cell_centres, ground_at, load_dem, parse_point

__all__ = ["skyline_profile", "compare_profiles", "run_skyline"]

_MAX_TERRAIN_CELLS = 1_000_000


def skyline_profile(x0, y0, z0, geoms, tops, *, step_deg: float = 0.5, dem=None,
                    radius_m: float = 3000.0):
    """``(elevation_deg, owner, distance_m, x, y)`` per azimuth bin: owner is the building
    position, ``-2`` for terrain, ``-1`` for open sky."""
    nbins = int(round(360.0 / step_deg))
    best = np.zeros(nbins)
    owner = np.full(nbins, -1)
    dist = np.full(nbins, np.nan)
    bx = np.full(nbins, np.nan)
    by = np.full(nbins, np.nan)
    cand = []
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms):
        rings = shapely.get_exterior_ring(geoms)
        near = shapely.distance(shapely.Point(x0, y0), geoms)
        seg = np.maximum(0.2, near * np.radians(step_deg) / 2.0)
        pts, idx = shapely.get_coordinates(shapely.segmentize(rings, seg), return_index=True)
        cand.append((pts[:, 0], pts[:, 1], np.asarray(tops, dtype=float)[idx], idx))
    if dem is not None:
        h, w = dem.elev.shape
        stride = max(1, int(np.ceil(np.sqrt(h * w / _MAX_TERRAIN_CELLS))))
        gx, gy = cell_centres(dem.transform, (h, w))
        gx, gy, gz = gx[::stride, ::stride], gy[::stride, ::stride], dem.elev[::stride, ::stride]
        keep = np.isfinite(gz) & (np.hypot(gx - x0, gy - y0) <= radius_m)
        cand.append((gx[keep], gy[keep], gz[keep], np.full(int(keep.sum()), -2)))
    if not cand:
        return best, owner, dist, bx, by
    x = np.concatenate([c[0] for c in cand])
    y = np.concatenate([c[1] for c in cand])
    z = np.concatenate([c[2] for c in cand])
    who = np.concatenate([c[3] for c in cand])
    d = np.hypot(x - x0, y - y0)
    ok = (d > 0.05) & (d <= radius_m)
    x, y, z, who, d = x[ok], y[ok], z[ok], who[ok], d[ok]
    angle = np.degrees(np.arctan2(z - z0, d))
    az = np.degrees(np.arctan2(x - x0, y - y0)) % 360.0
    b = np.minimum((az / step_deg).astype(int), nbins - 1)
    order = np.lexsort((-angle, b))
    first = np.r_[True, b[order][1:] != b[order][:-1]]
    top = order[first]
    up = angle[top] > 0
    sel = top[up]
    best[b[sel]] = angle[sel]
    owner[b[sel]] = who[sel]
    dist[b[sel]] = d[sel]
    bx[b[sel]] = x[sel]
    by[b[sel]] = y[sel]
    return best, owner, dist, bx, by


def compare_profiles(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per azimuth: the elevation angle before and after, the change and who makes each."""
    out = before[["azimuth_deg", "elevation_deg", "source"]].merge(
        after[["azimuth_deg", "elevation_deg", "source"]], on="azimuth_deg",
        suffixes=("_before", "_after"))
    out["delta_deg"] = (out["elevation_deg_after"] - out["elevation_deg_before"]).round(4)
    return out


def run_skyline(layers: QueryInputs, *, viewpoint: str | None = None, eye_height_m: float = 1.5,
                radius_m: float = 3000.0, step_deg: float = 0.5,
                terrain: bool = True) -> QueryResult:
    """Run ``skyline``; see the module docstring."""
    buildings = layers.require("building", query="skyline")
    dem = load_dem(layers) if terrain else None
    crs = buildings.crs
    if not viewpoint:
        b = buildings.total_bounds
        viewpoint = f"{(b[0] + b[2]) / 2:.3f},{(b[1] + b[3]) / 2:.3f}"
    _g, tops = building_tops(buildings, dem)
    x0, y0, z_given, label = parse_point(viewpoint, layers, crs, what="viewpoint")
    ground = float(np.nanmin(_g)) if len(_g) else 0.0
    surface = float(ground_at(dem, [x0], [y0], ground)[0])
    geoms = buildings.geometry.to_numpy()
    pos = buildings.sindex.query(shapely.Point(x0, y0).buffer(radius_m), predicate="intersects")
    own = buildings.sindex.query(shapely.Point(x0, y0), predicate="intersects")
    if len(own):
        surface = max(surface, float(np.max(tops[own])))
    z0 = (z_given if not np.isnan(z_given) else surface) + eye_height_m
    pos = np.setdiff1d(pos, own)
    angle, who, dist, px, py = skyline_profile(x0, y0, z0, geoms[pos], tops[pos],
                                               step_deg=step_deg, dem=dem, radius_m=radius_m)
    owner = np.where(who >= 0, pos[np.maximum(who, 0)], who)
    ids = text(buildings, "id").to_numpy(dtype=object)
    source = np.where(owner >= 0, ids[np.maximum(owner, 0)],
                      np.where(owner == -2, "terrain", "")).astype(object)
    nbins = len(angle)
    profile = pd.DataFrame({"azimuth_deg": np.round((np.arange(nbins) + 0.5) * step_deg, 4),
                            "elevation_deg": np.round(angle, 4),
                            "distance_m": np.round(dist, 2), "source": source})
    counts = np.bincount(owner[owner >= 0], minlength=len(buildings))
    on = np.flatnonzero(counts > 0)
    out = buildings.iloc[on][["id", "name", "height_m"]].copy()
    out = gpd.GeoDataFrame(out, geometry=buildings.geometry.to_numpy()[on], crs=crs)
    out["skyline_bins"] = counts[on]
    out["skyline_share"] = np.round(counts[on] / nbins, 4)
    peak = pd.DataFrame({"o": owner, "a": angle}).groupby("o")["a"].max()
    out["max_elevation_deg"] = np.round(peak.reindex(on).to_numpy(), 4)
    pts = np.flatnonzero(owner != -1)
    points = gpd.GeoDataFrame({"azimuth_deg": profile["azimuth_deg"].to_numpy()[pts],
                               "elevation_deg": profile["elevation_deg"].to_numpy()[pts],
                               "source": source[pts]},
                              geometry=gpd.GeoSeries(shapely.points(px[pts], py[pts]), crs=crs),
                              crs=crs)
    summary = {"viewpoint": label, "eye_elev_m": round(z0, 3), "bins": int(nbins),
               "mean_elevation_deg": round(float(angle.mean()), 4),
               "max_elevation_deg": round(float(angle.max()), 4),
               "max_azimuth_deg": float(profile["azimuth_deg"].iloc[int(np.argmax(angle))]),
               "skyline_buildings": int(len(out)),
               "terrain_share": round(float((owner == -2).mean()), 4),
               "sky_share": round(float((owner == -1).mean()), 4)}
    methods = {"profile": f"greatest elevation angle per {step_deg:g}° of azimuth within "
                          f"{radius_m:g} m; wall tops of building prisms, segmentized",
               "terrain": "DEM cells within the radius" if dem is not None else "not used"}
    return QueryResult("skyline", out, summary=summary, table=profile,
                       color_by="skyline_share", id_column="id",
                       extra_layers={"skyline_points": points},
                       tables={"profile": profile}, methods=methods)


register(QuerySpec(
    name="skyline",
    title_zh="天际线分析",
    title_en="Skyline",
    run=run_skyline,
    inputs=("building",),
    optional_inputs=("terrain", "facility"),
    description="The skyline from a viewpoint: the highest elevation angle over azimuth "
                "from the buildings and the terrain, and the buildings that make it.",
    color_by="skyline_share",
    diff=False,
    feature_kind="building",
    value_columns=("skyline_bins", "max_elevation_deg"),
    params=(
        Param("viewpoint", "str", None, "视点", "Viewpoint",
              "x,y (working CRS, m), lon,lat, or a building/facility id; default the centre"),
        Param("eye_height_m", "float", 1.5, "视高 (m)", "Eye height (m)", min=0.0),
        Param("radius_m", "float", 3000.0, "半径 (m)", "Radius (m)", min=10.0, max=50000.0),
        Param("step_deg", "float", 0.5, "方位步长 (°)", "Azimuth step (°)", min=0.05,
              max=10.0),
        Param("terrain", "bool", True, "计入地形", "Include terrain"),
    ),
))
