"""``height_limit``: the height each building may reach (限高), from its parcel and from
protection surfaces, and the buildings over it.

**Surfaces** are rows of any ``feature`` layer with a ``surface_type`` column (elevations in
metres on the 1985 datum):

* ``cone`` — an airport or landmark protection surface: a Point (or Polygon) with
  ``base_elev_m`` at it, rising by ``slope`` (m per m, e.g. 0.05 for 1:20) with the
  distance from it, out to ``radius_m`` (no limit beyond; empty = everywhere);
* ``plane`` — a Polygon with a flat ``base_elev_m``;
* ``corridor`` — a view corridor: a LineString from the viewpoint to the landmark,
  ``width_m`` wide, whose surface runs linearly from ``start_elev_m`` at its first point to
  ``end_elev_m`` at its last.

The lowest value of a surface over a footprint is exact: a cone's is at the footprint's
nearest point (``shapely.distance``), a corridor's at a vertex of the footprint's piece
inside the corridor (the surface is linear along the axis; ``shapely.line_locate_point``).

**The limit of a building** is the lowest of its parcel's ``max_height_m`` above its ground
(the lowest over the parcels it stands on) and every surface over its footprint. It fails
when its top (ground + ``height_m``) is more than 1 cm over the limit; ``binding`` names the
limit that decides (``parcel`` or the surface's ``name``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..errors import QueryError
from .common import FAIL, NA, PASS, numeric, text
from .indicators import building_parcel_pieces
from .inputs import QueryInputs
from .registry import QueryResult, QuerySpec, register
from .surface import building_tops, load_dem

__all__ = ["SURFACE_TYPES", "height_surfaces", "surface_minimum", "run_height_limit",
           "height_limit_over"]

SURFACE_TYPES = ("cone", "plane", "corridor")
_TOL_M = 0.01


def height_surfaces(layers: QueryInputs) -> gpd.GeoDataFrame | None:
    """The rows of the ``feature`` layers that are height-limit surfaces, or None."""
    if "feature" not in layers:
        return None
    feat = layers["feature"]
    if not len(feat) or "surface_type" not in feat.columns:
        return None
    kind = text(feat, "surface_type").str.strip().str.lower()
    out = feat[kind.isin(SURFACE_TYPES).to_numpy()].copy()
    out["surface_type"] = kind[kind.isin(SURFACE_TYPES)].to_numpy()
    return out if len(out) else None


def _refuse_missing_elevations(surfaces, kind, base, start, end) -> None:
    """A protection surface without the elevations its type needs would limit nothing: refuse
    it, naming the surfaces, instead of letting buildings pass under it unchecked."""
    missing = (((kind == "cone") | (kind == "plane")) & np.isnan(base)) | (
        (kind == "corridor") & (np.isnan(start) | np.isnan(end)))
    if missing.any():
        ids = (text(surfaces, "id").to_numpy(dtype=object) if "id" in surfaces.columns
               else surfaces.index.to_numpy())
        bad = [str(i) for i in ids[missing][:5]]
        raise QueryError(f"protection surface(s) {bad} have no elevation to limit heights by",
                         hint="give cones and planes base_elev_m, and corridors start_elev_m "
                              "and end_elev_m, then import the layer again")


def surface_minimum(geoms, surfaces: gpd.GeoDataFrame | None):
    """``(lowest surface elevation, its surface position or -1)`` over each geometry
    (``inf`` where no surface applies)."""
    geoms = np.asarray(geoms, dtype=object)
    low = np.full(len(geoms), np.inf)
    which = np.full(len(geoms), -1)
    if surfaces is None or not len(surfaces) or not len(geoms):
        return low, which
    sgeom = surfaces.geometry.to_numpy()
    kind = surfaces["surface_type"].to_numpy(dtype=object)
    base = numeric(surfaces, "base_elev_m")
    slope = np.nan_to_num(numeric(surfaces, "slope"), nan=0.0)
    radius = numeric(surfaces, "radius_m")
    width = np.nan_to_num(numeric(surfaces, "width_m"), nan=0.0)
    start = numeric(surfaces, "start_elev_m")
    end = numeric(surfaces, "end_elev_m")
    _refuse_missing_elevations(surfaces, kind, base, start, end)
    reach = np.where(kind == "corridor", shapely.buffer(sgeom, width / 2, cap_style="flat"),
                     np.where((kind == "cone") & ~np.isnan(radius),
                              shapely.buffer(sgeom, np.nan_to_num(radius, nan=0.0)), sgeom))
    tree = shapely.STRtree(geoms)
    cone_all = (kind == "cone") & np.isnan(radius)
    s_i, g_i = tree.query(reach[~cone_all], predicate="intersects")
    s_i = np.flatnonzero(~cone_all)[s_i]
    if cone_all.any():  # unbounded cones reach every footprint
        ca = np.flatnonzero(cone_all)
        s_i = np.concatenate([s_i, np.repeat(ca, len(geoms))])
        g_i = np.concatenate([g_i, np.tile(np.arange(len(geoms)), len(ca))])
    value = np.full(len(s_i), np.inf)
    k = kind[s_i]
    cone = k == "cone"
    value[cone] = base[s_i[cone]] + slope[s_i[cone]] * shapely.distance(geoms[g_i[cone]],
                                                                        sgeom[s_i[cone]])
    plane = k == "plane"
    value[plane] = base[s_i[plane]]
    cor = np.flatnonzero(k == "corridor")
    if len(cor):
        piece = shapely.intersection(geoms[g_i[cor]], reach[s_i[cor]])
        coords, owner = shapely.get_coordinates(piece, return_index=True)
        axis = sgeom[s_i[cor]][owner]
        t = shapely.line_locate_point(axis, shapely.points(coords), normalized=True)
        z = start[s_i[cor]][owner] + (end[s_i[cor]][owner] - start[s_i[cor]][owner]) * t
        low_c = np.full(len(cor), np.inf)
        np.minimum.at(low_c, owner, z)
        value[cor] = low_c
    value = np.where(np.isnan(value), np.inf, value)
    order = np.lexsort((value, g_i))
    first = np.r_[True, g_i[order][1:] != g_i[order][:-1]] if len(order) else np.zeros(0, bool)
    best = order[first]
    low[g_i[best]] = value[best]
    which[g_i[best]] = np.where(np.isfinite(value[best]), s_i[best], -1)
    return low, which


def run_height_limit(layers: QueryInputs) -> QueryResult:
    """Run ``height_limit``; see the module docstring."""
    buildings = layers.require("building", query="height_limit")
    parcels = layers["parcel"] if "parcel" in layers else None
    dem = load_dem(layers)
    ground, tops = building_tops(buildings, dem)
    n = len(buildings)
    parcel_top = np.full(n, np.inf)
    if parcels is not None and len(parcels):
        b_i, p_i, _a, _s = building_parcel_pieces(buildings, parcels)
        limit = numeric(parcels, "max_height_m")[p_i]
        ok = ~np.isnan(limit)
        np.minimum.at(parcel_top, b_i[ok], ground[b_i[ok]] + limit[ok])
    surfaces = height_surfaces(layers)
    surf_top, surf_i = surface_minimum(buildings.geometry.to_numpy(), surfaces)
    allowed = np.minimum(parcel_top, surf_top)
    names = text(surfaces, "name").to_numpy(dtype=object) if surfaces is not None else \
        np.zeros(0, dtype=object)
    binding = np.where(~np.isfinite(allowed), "",
                       np.where(surf_top < parcel_top, "surface", "parcel")).astype(object)
    is_surf = binding == "surface"
    binding[is_surf] = [str(names[i]) or f"surface {i}" for i in surf_i[is_surf]]
    excess = np.where(np.isfinite(allowed), tops - allowed, np.nan)
    status = np.where(~np.isfinite(allowed), NA,
                      np.where(excess > _TOL_M, FAIL, PASS)).astype(object)
    out = buildings[["id", "name", "use", "height_m"]].copy() if n else buildings.iloc[0:0][
        ["id", "name", "use", "height_m"]].copy()
    out = gpd.GeoDataFrame(out, geometry=buildings.geometry.to_numpy(), crs=buildings.crs)
    out["ground_elev_m"] = np.round(ground, 3)
    out["top_elev_m"] = np.round(tops, 3)
    out["allowed_top_elev_m"] = np.round(np.where(np.isfinite(allowed), allowed, np.nan), 3)
    out["allowed_height_m"] = np.round(out["allowed_top_elev_m"] - ground, 3)
    out["excess_m"] = np.round(np.where(excess > _TOL_M, excess, 0.0), 3)
    out["binding"] = binding
    out["status"] = status
    extra = {}
    if surfaces is not None:
        draw = surfaces.copy()
        k = draw["surface_type"].to_numpy(dtype=object)
        r = numeric(draw, "radius_m")
        wd = np.nan_to_num(numeric(draw, "width_m"), nan=0.0)
        g = draw.geometry.to_numpy()
        draw = draw.set_geometry(gpd.GeoSeries(np.where(
            k == "corridor", shapely.buffer(g, wd / 2, cap_style="flat"),
            np.where((k == "cone") & ~np.isnan(r), shapely.buffer(g, np.nan_to_num(r)), g)),
            crs=buildings.crs))
        extra["surfaces"] = draw
    summary = {"buildings": int(n), "with_limit": int(np.isfinite(allowed).sum()),
               "over_limit": int((status == FAIL).sum()),
               "bound_by_surface": int(((status == FAIL) & is_surf).sum()),
               "surfaces": int(0 if surfaces is None else len(surfaces)),
               "max_excess_m": float(np.nanmax(out["excess_m"])) if n else 0.0}
    methods = {"parcel": "ground + max_height_m of the parcels under the footprint",
               "surfaces": "cone: base + slope × distance; plane: base; corridor: linear "
                           "from start to end along its axis; lowest over the footprint",
               "ground": "base_elev_m, else the terrain under the footprint"}
    return QueryResult("height_limit", out, summary=summary, color_by="status", id_column="id",
                       status_column="status", extra_layers=extra, methods=methods)


register(QuerySpec(
    name="height_limit",
    title_zh="限高分析",
    title_en="Height limits",
    run=run_height_limit,
    inputs=("building",),
    optional_inputs=("parcel", "feature", "terrain"),
    description="The height each building may reach from its parcel and the protection "
                "surfaces (airport/landmark cones, view corridors, planes), and the "
                "buildings over it.",
    color_by="status",
    feature_kind="building",
    status_checks={"status": "status"},
    value_columns=("allowed_top_elev_m", "top_elev_m", "excess_m"),
))


def height_limit_over(geoms, own_limit, layers: QueryInputs, ground) -> tuple[np.ndarray, np.ndarray]:
    """Per geometry (a parcel or its envelope): the lowest height limit over it above
    ``ground``, from ``own_limit`` (the parcel's ``max_height_m``, NaN for none) and the
    surfaces, and the binding surface's name (``""`` when the own limit decides)."""
    own = np.asarray(own_limit, dtype=float)
    surfaces = height_surfaces(layers)
    low, which = surface_minimum(geoms, surfaces)
    surf_h = low - np.asarray(ground, dtype=float)
    names = text(surfaces, "name").to_numpy(dtype=object) if surfaces is not None else \
        np.zeros(0, dtype=object)
    use_surf = surf_h < np.where(np.isnan(own), np.inf, own)
    limit = np.where(use_surf, surf_h, own)
    name = np.array([(str(names[w]) or f"surface {w}") if u else "" for u, w in
                     zip(use_surf.tolist(), which.tolist())], dtype=object)
    return limit, name
