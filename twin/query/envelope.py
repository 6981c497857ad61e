"""``envelope``: the control envelope of each parcel (控规盒) and the buildings poking out of it.

The **envelope** of a parcel is its buildable footprint extruded to its height limit:

* the footprint is the parcel shrunk by a uniform boundary setback (``setback_m``, or the
  parcel's own ``setback_m`` attribute when it has one) with mitred corners, minus every
  road red-line zone (``width_m / 2 + road_setback_m``, per ``road_class`` with
  ``road_setback_by_class``; rail classes skipped as in ``setbacks``) and every river
  blue-line zone (``width_m / 2 + setback_m`` from a centreline, ``setback_m`` from a water
  polygon) — the zones of :func:`twin.query.setbacks.required_distance`, buffered;
* its height is the parcel's ``max_height_m`` (a height above ground);
* the density, FAR and green-ratio limits are attached: ``max_gfa_m2 = max_far × area``,
  ``max_footprint_m2 = min(max_density × area, envelope area)``.

A building on the parcel has ``volume_outside_m3 = A_out × h + A_in × max(0, h − H)``:
``A_in`` is the area of its footprint inside the envelope, ``A_out`` the rest of its piece
on the parcel, ``h`` its ``height_m`` and ``H`` the envelope's height. A parcel whose
buildings have any volume outside (more than 0.001 m³) fails.

Only the building pieces crossing an envelope's edge are overlaid (``contains_properly``
and ``intersects`` on the prepared envelopes sort out the others). Zones are subtracted in
rounds: the pairs (parcel, zone) come from one STRtree query, the
k-th zone of every parcel is subtracted in one vectorized ``shapely.difference`` in round
k, so there are as many rounds as zones on the busiest parcel, not one call per parcel.

Example
-------
>>> res = run_envelope(layers, setback_m=10)                  # doctest: +SKIP
>>> res.layer[["id", "envelope_volume_m3", "volume_outside_m3", "status"]]  # doctest: +SKIP
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .common import FAIL, NA, PASS, as_fraction, numeric, parse_kv, split_long_lines, text
from .indicators import building_parcel_pieces
from .inputs import QueryInputs
from .registry import Param, QueryResult, QuerySpec, register
from .setbacks import SKIP_ROAD_CLASSES, setback_references

__all__ = ["red_and_blue_zones", "envelope_footprints", "volume_outside", "run_envelope",
           "OUTSIDE_TOLERANCE_M3"]

OUTSIDE_TOLERANCE_M3 = 1e-3


def red_and_blue_zones(layers: QueryInputs, *, road_setback_m: float = 0.0,
                       road_setback_by_class: str | None = None,
                       skip_road_classes: str | None = SKIP_ROAD_CLASSES) -> np.ndarray:
    """The red-line and blue-line zones no building may enter, as polygons (working CRS):
    each reference of the ``setbacks`` rule (:func:`twin.query.setbacks.setback_references`)
    buffered by its required distance, long lines first cut into 32-vertex pieces so that
    a parcel is cut only by the few pieces near it."""
    refs = setback_references(layers, {"road_setback_m": road_setback_m,
                                       "road_setback_by_class": road_setback_by_class,
                                       "skip_road_classes": skip_road_classes})
    zones = []
    for ref in refs:
        ok = ref.required > 0
        pieces, owner = split_long_lines(ref.refs.geometry.to_numpy()[ok])
        zones.append(shapely.buffer(pieces, ref.required[ok][owner]))
    return np.concatenate(zones) if zones else np.zeros(0, dtype=object)


def envelope_footprints(parcel_geoms, setback_m, zones) -> np.ndarray:
    """Each parcel shrunk by ``setback_m`` (scalar or per parcel, mitred corners) minus the
    ``zones`` that touch it (see the module docstring for the rounds)."""
    geoms = np.asarray(parcel_geoms, dtype=object)
    setback = np.broadcast_to(np.asarray(setback_m, dtype=float), (len(geoms),))
    out = np.where(setback > 0, shapely.buffer(geoms, -setback, join_style="mitre"), geoms)
    zones = np.asarray(zones, dtype=object)
    if not len(zones) or not len(geoms):
        return out
    z_i, p_i = shapely.STRtree(out).query(zones, predicate="intersects")
    if not len(p_i):
        return out
    order = np.argsort(p_i, kind="stable")
    p_i, z_i = p_i[order], z_i[order]
    starts = np.r_[0, np.flatnonzero(p_i[1:] != p_i[:-1]) + 1]
    rank = np.arange(len(p_i)) - np.repeat(starts, np.diff(np.r_[starts, len(p_i)]))
    for k in range(int(rank.max()) + 1):
        sel = rank == k
        out[p_i[sel]] = shapely.difference(out[p_i[sel]], zones[z_i[sel]])
    return out


def volume_outside(buildings: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, footprints,
                   heights) -> pd.DataFrame:
    """Per building piece on a parcel: positional ``b``, ``p``, the footprint area inside the
    envelope and outside it, the height over the envelope and the volume outside (m³)."""
    b_i, p_i, piece, _split = building_parcel_pieces(buildings, parcels)
    bgeom = buildings.geometry.to_numpy()
    foot = np.asarray(footprints, dtype=object)
    shapely.prepare(foot)
    # only footprints crossing the envelope's edge need an overlay
    whole = shapely.contains_properly(foot[p_i], bgeom[b_i])
    meets = whole | shapely.intersects(foot[p_i], bgeom[b_i])
    inside = np.where(whole, shapely.area(bgeom[b_i]), 0.0)
    cross = np.flatnonzero(meets & ~whole)
    if len(cross):
        inside[cross] = shapely.area(shapely.intersection(bgeom[b_i[cross]],
                                                          foot[p_i[cross]]))
    inside = np.minimum(inside, piece)
    h = np.nan_to_num(numeric(buildings, "height_m"), nan=0.0)[b_i]
    limit = np.asarray(heights, dtype=float)[p_i]
    over = np.where(np.isnan(limit), 0.0, np.maximum(h - limit, 0.0))
    out_area = np.maximum(piece - inside, 0.0)
    out_area = np.where(out_area < 1e-6, 0.0, out_area)  # float noise of the overlay
    volume = out_area * h + inside * over
    return pd.DataFrame({"b": b_i, "p": p_i, "inside_m2": inside, "outside_m2": out_area,
                         "over_height_m": over, "volume_outside_m3": volume})


def run_envelope(layers: QueryInputs, *, parcel: str | None = None, setback_m: float = 0.0,
                 road_setback_m: float = 0.0, road_setback_by_class: str | None = None,
                 skip_road_classes: str | None = SKIP_ROAD_CLASSES) -> QueryResult:
    """Run ``envelope`` on ``layers``; see the module docstring."""
    parcels = layers.require("parcel", query="envelope")
    if parcel:
        keep = (text(parcels, "id") == str(parcel)).to_numpy()
        if not keep.any():
            from ..errors import QueryError

            raise QueryError(f"no parcel with id {parcel!r}",
                             hint="see the parcel ids with `twin query select --layer parcel`")
        parcels = parcels[keep]
    by_class = parse_kv(road_setback_by_class, what="road_setback_by_class")
    zones = red_and_blue_zones(layers, road_setback_m=road_setback_m,
                               road_setback_by_class=road_setback_by_class,
                               skip_road_classes=skip_road_classes)
    pgeom = parcels.geometry.to_numpy()
    own = numeric(parcels, "setback_m")
    setback = np.where(np.isnan(own), float(setback_m), own)
    foot = envelope_footprints(pgeom, setback, zones)
    area = shapely.area(pgeom)
    env_area = shapely.area(foot)
    height = numeric(parcels, "max_height_m")
    far = numeric(parcels, "max_far")
    density = as_fraction(numeric(parcels, "max_density"))
    green = as_fraction(numeric(parcels, "min_green_ratio"))

    buildings = layers["building"] if "building" in layers else None
    n = len(parcels)
    n_out = np.zeros(n, dtype=int)
    vol_out = np.zeros(n)
    outside_layer = None
    if buildings is not None and len(buildings):
        if parcel:
            buildings = buildings.iloc[buildings.sindex.query(shapely.box(*parcels.total_bounds))]
        pieces = volume_outside(buildings, parcels, foot, height)
        hit = pieces[pieces["volume_outside_m3"] > OUTSIDE_TOLERANCE_M3]
        vol_out = np.bincount(pieces["p"].to_numpy(dtype=int),
                              weights=pieces["volume_outside_m3"].to_numpy(), minlength=n)
        n_out = np.bincount(hit["p"].to_numpy(dtype=int), minlength=n)
        bsel = hit["b"].to_numpy(dtype=int)
        outside_layer = gpd.GeoDataFrame({
            "id": text(buildings, "id").to_numpy(dtype=object)[bsel],
            "name": text(buildings, "name").to_numpy(dtype=object)[bsel],
            "parcel_id": text(parcels, "id").to_numpy(dtype=object)[hit["p"].to_numpy(int)],
            "height_m": numeric(buildings, "height_m")[bsel],
            "outside_m2": np.round(hit["outside_m2"].to_numpy(), 3),
            "over_height_m": np.round(hit["over_height_m"].to_numpy(), 3),
            "volume_outside_m3": np.round(hit["volume_outside_m3"].to_numpy(), 3),
            "status": FAIL},
            geometry=gpd.GeoSeries(buildings.geometry.to_numpy()[bsel], crs=parcels.crs),
            crs=parcels.crs)
    vol_out = np.where(vol_out > OUTSIDE_TOLERANCE_M3, vol_out, 0.0)
    status = np.where(vol_out > 0, FAIL, np.where(np.isnan(height), NA, PASS)).astype(object)
    out = gpd.GeoDataFrame({
        "id": text(parcels, "id").to_numpy(dtype=object),
        "name": text(parcels, "name").to_numpy(dtype=object),
        "land_use": text(parcels, "land_use").to_numpy(dtype=object),
        "area_m2": np.round(area, 3),
        "setback_m": setback,
        "envelope_area_m2": np.round(env_area, 3),
        "envelope_height_m": height,
        "envelope_volume_m3": np.round(env_area * height, 3),
        "max_far": far, "max_gfa_m2": np.round(far * area, 3),
        "max_density": density,
        "max_footprint_m2": np.round(np.fmin(density * area, env_area), 3),
        "min_green_ratio": green,
        "buildings_outside": n_out,
        "volume_outside_m3": np.round(vol_out, 3),
        "status": status,
        "extrude_m": np.nan_to_num(height, nan=0.0),
    }, geometry=gpd.GeoSeries(foot, crs=parcels.crs), crs=parcels.crs)
    summary = {
        "parcels": int(n),
        "envelope_volume_m3": float(np.nansum(env_area * height)),
        "parcels_with_buildings_outside": int((status == FAIL).sum()),
        "buildings_outside": int(n_out.sum()),
        "volume_outside_m3": float(np.round(vol_out.sum(), 3)),
        "no_height_limit": int(np.isnan(height).sum()),
    }
    methods = {
        "footprint": f"parcel shrunk by {setback_m:g} m (or its setback_m), mitred, minus road "
                     f"red-line zones (width/2 + {road_setback_m:g} m"
                     + (f", by class {by_class}" if by_class else "")
                     + ") and river blue-line zones (width/2 + setback_m)",
        "height": "parcel max_height_m above ground",
        "outside": "A_out × h + A_in × max(0, h − H) per building piece on the parcel",
    }
    extra = {"outside": outside_layer} if outside_layer is not None and len(outside_layer) \
        else {}
    return QueryResult("envelope", out, summary=summary, color_by="status", id_column="id",
                       status_column="status", extra_layers=extra, methods=methods)


register(QuerySpec(
    name="envelope",
    title_zh="控规盒",
    title_en="Control envelope",
    run=run_envelope,
    inputs=("parcel",),
    optional_inputs=("building", "road", "river"),
    description="Each parcel shrunk by its setbacks (road red lines, river blue lines) and "
                "extruded to its height limit, with FAR and density limits; buildings poking "
                "out are flagged with the volume outside.",
    color_by="status",
    feature_kind="parcel",
    status_checks={"status": "status"},
    value_columns=("envelope_area_m2", "envelope_volume_m3", "buildings_outside",
                   "volume_outside_m3"),
    params=(
        Param("parcel", "str", None, "地块编号", "Parcel id", "only this parcel"),
        Param("setback_m", "float", 0.0, "用地边界退让 (m)", "Boundary setback (m)",
              "uniform inward setback from the parcel boundary", min=0.0),
        Param("road_setback_m", "float", 0.0, "退红线距离 (m)", "Extra road setback (m)",
              "beyond the red line", min=0.0),
        Param("road_setback_by_class", "str", None, "分级退让", "Setback by road class",
              "e.g. primary=10,secondary=5"),
        Param("skip_road_classes", "str", SKIP_ROAD_CLASSES, "不检查的道路等级",
              "Road classes not checked", "comma separated, or none"),
    ),
))
