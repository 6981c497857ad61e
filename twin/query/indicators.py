"""``indicators``: planning indicators per parcel (控规指标) against the parcel's limits.

For each parcel:

* **FAR 容积率** = Σ GFA of the buildings on it / parcel area. A building's GFA comes from
  :func:`twin.query.common.building_gfa` (IFC spaces/slabs when the IFC reader gave it,
  else LOD1 floors × footprint); the method is kept per building in the evidence.
* **building density 建筑密度** = Σ footprint area on it / parcel area.
* **height 建筑高度** = the greatest ``height_m`` of the buildings on it.
* **green ratio 绿地率**: ``green_area_m2 / area`` when the parcel has a ``green_area_m2``
  attribute (method ``attribute``); otherwise an *upper-bound estimate*
  ``(area − footprints − road red-line area inside the parcel) / area`` (method
  ``estimate``), i.e. all unbuilt, non-road land counted as green. An estimate that fails is
  a sure fail; one that passes is flagged as estimated.

A building that straddles parcels is split by exact overlay (``shapely.intersection`` of
each building–parcel pair found by an STRtree); its footprint and GFA are apportioned by the
area of each piece. Buildings wholly inside a parcel (tested with ``contains_properly``)
skip the overlay. Limits: ``max_far``, ``max_density``, ``max_height_m`` are upper limits
(value ≤ limit passes), ``min_green_ratio`` a lower one (value ≥ limit passes); ratios above
1 are read as percentages. A parcel without a limit gets ``n/a`` for it.

Example
-------
>>> res = run_indicators(layers)        # doctest: +SKIP
>>> res.layer[["id", "far", "far_status"]]  # doctest: +SKIP
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .common import (
    FAIL,
    NA,
    PASS,
    as_fraction,
    building_gfa,
    numeric,
    status_max,
    status_min,
    text,
)
from .inputs import QueryInputs
from .registry import Param, QueryResult, QuerySpec, register

__all__ = ["building_parcel_pieces", "parcel_indicators", "run_indicators", "INDICATORS"]

INDICATORS = ("far", "density", "height", "green")
_LABELS = {"far": "容积率 FAR", "density": "建筑密度 density", "height": "建筑高度 height",
           "green": "绿地率 green ratio"}


def building_parcel_pieces(buildings: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame):
    """Overlay buildings on parcels exactly.

    Returns ``(b_idx, p_idx, piece_area, split)``: for each building–parcel pair with a
    positive overlap, the positional indices, the overlap area (m²) and whether the
    building is split (not wholly inside the parcel).
    """
    bgeom = buildings.geometry.to_numpy()
    pgeom = parcels.geometry.to_numpy()
    if not len(bgeom) or not len(pgeom):
        empty = np.zeros(0, dtype=int)
        return empty, empty, np.zeros(0), np.zeros(0, dtype=bool)
    tree = shapely.STRtree(pgeom)
    b_idx, p_idx = tree.query(bgeom, predicate="intersects")
    shapely.prepare(pgeom)
    inside = shapely.contains_properly(pgeom[p_idx], bgeom[b_idx])
    area = shapely.area(bgeom[b_idx])
    cut = ~inside
    if cut.any():
        pieces = shapely.intersection(bgeom[b_idx[cut]], pgeom[p_idx[cut]], grid_size=None)
        area = area.copy()
        area[cut] = shapely.area(pieces)
    keep = area > 1e-9
    return b_idx[keep], p_idx[keep], area[keep], cut[keep]


def _road_area_in_parcels(parcels: gpd.GeoDataFrame, roads) -> np.ndarray:
    out = np.zeros(len(parcels))
    if roads is None or not len(roads) or not len(parcels):
        return out
    width = numeric(roads, "width_m")
    ok = ~np.isnan(width) & (width > 0)
    if not ok.any():
        return out
    zones = shapely.buffer(roads.geometry.to_numpy()[ok], width[ok] / 2.0, cap_style="flat")
    pgeom = parcels.geometry.to_numpy()
    tree = shapely.STRtree(zones)
    p_i, z_i = tree.query(pgeom, predicate="intersects")
    if len(p_i):
        area = shapely.area(shapely.intersection(pgeom[p_i], zones[z_i]))
        out = np.bincount(p_i, weights=area, minlength=len(parcels))
    return out


def parcel_indicators(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *,
                      roads=None, storey_height_m: float = 3.0):
    """Compute the indicators; returns ``(parcel layer, evidence table)``.

    The evidence has one row per building piece on a parcel: ``parcel_id``,
    ``building_id``, ``ifc_guid``, ``footprint_m2`` (of the piece), ``share``
    (piece/footprint), ``gfa_m2`` (apportioned), ``gfa_method``, ``height_m``, ``split``.
    """
    n = len(parcels)
    parea = shapely.area(parcels.geometry.to_numpy()) if n else np.zeros(0)
    gfa, method = building_gfa(buildings, storey_height_m=storey_height_m)
    b_idx, p_idx, piece, split = building_parcel_pieces(buildings, parcels)
    fp = shapely.area(buildings.geometry.to_numpy()) if len(buildings) else np.zeros(0)
    share = np.divide(piece, fp[b_idx], out=np.zeros(len(piece)), where=fp[b_idx] > 0)
    gfa_piece = gfa[b_idx] * share
    height = numeric(buildings, "height_m")

    footprint = np.bincount(p_idx, weights=piece, minlength=n)
    gfa_sum = np.bincount(p_idx, weights=gfa_piece, minlength=n)
    count = np.bincount(p_idx, minlength=n)
    hmax = np.full(n, np.nan)
    hb = height[b_idx]
    ok = ~np.isnan(hb)
    if ok.any():
        hmax_fill = np.full(n, -np.inf)
        np.maximum.at(hmax_fill, p_idx[ok], hb[ok])
        hmax = np.where(np.isfinite(hmax_fill), hmax_fill, np.nan)
    hmax_cmp = np.where(count > 0, np.nan_to_num(hmax, nan=0.0), 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.where(parea > 0, gfa_sum / parea, np.nan)
        density = np.where(parea > 0, footprint / parea, np.nan)
    green_attr = numeric(parcels, "green_area_m2")
    has_attr = ~np.isnan(green_attr)
    road_area = _road_area_in_parcels(parcels, roads) if (~has_attr).any() else np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        green_est = np.clip(parea - footprint - road_area, 0, None) / parea
        green = np.where(has_attr, green_attr / parea, green_est)
    green_method = np.where(has_attr, "attribute", "estimate").astype(object)

    max_far = numeric(parcels, "max_far")
    max_density = as_fraction(numeric(parcels, "max_density"))
    max_height = numeric(parcels, "max_height_m")
    min_green = as_fraction(numeric(parcels, "min_green_ratio"))
    st = {
        "far": status_max(far, max_far),
        "density": status_max(density, max_density),
        "height": status_max(hmax_cmp, max_height),
        "green": status_min(green, min_green),
    }
    fails = np.array([",".join(k for k in INDICATORS if st[k][i] == FAIL) for i in range(n)],
                     dtype=object)
    any_limit = np.zeros(n, dtype=bool)
    for k in INDICATORS:
        any_limit |= st[k] != NA
    overall = np.where(fails != "", FAIL, np.where(any_limit, PASS, NA)).astype(object)

    bid = text(buildings, "id").to_numpy(dtype=object)
    guid = text(buildings, "ifc_guid").to_numpy(dtype=object)
    pid = text(parcels, "id").to_numpy(dtype=object)
    evidence = pd.DataFrame({
        "parcel_id": pid[p_idx], "building_id": bid[b_idx], "ifc_guid": guid[b_idx],
        "footprint_m2": np.round(piece, 3), "share": np.round(share, 6),
        "gfa_m2": np.round(gfa_piece, 3), "gfa_method": method[b_idx],
        "height_m": hb, "split": split,
    }).sort_values(["parcel_id", "building_id"], kind="stable").reset_index(drop=True)
    ids_per_parcel = evidence.groupby("parcel_id", sort=False)["building_id"].agg(
        lambda s: ",".join(s.astype(str)))

    out = parcels.copy()
    out["area_m2"] = np.round(parea, 3)
    out["n_buildings"] = count
    out["footprint_m2"] = np.round(footprint, 3)
    out["gfa_m2"] = np.round(gfa_sum, 3)
    out["far"] = np.round(far, 4)
    out["far_status"] = st["far"]
    out["density"] = np.round(density, 4)
    out["density_status"] = st["density"]
    out["height_max_m"] = hmax
    out["height_status"] = st["height"]
    out["green_ratio"] = np.round(green, 4)
    out["green_method"] = green_method
    out["green_status"] = st["green"]
    out["status"] = overall
    out["fails"] = fails
    ids_map = ids_per_parcel.to_dict()
    out["building_ids"] = np.array([ids_map.get(p, "") for p in pid], dtype=object)
    return out, evidence


def run_indicators(layers: QueryInputs, *, parcel: str | None = None,
                   storey_height_m: float = 3.0) -> QueryResult:
    """Run ``indicators`` on ``layers`` (all parcels, or the parcel with id ``parcel``)."""
    parcels = layers.require("parcel", query="indicators")
    if parcel:
        keep = text(parcels, "id") == str(parcel)
        if not keep.any():
            from ..errors import QueryError

            raise QueryError(f"no parcel with id {parcel!r}",
                             hint="see the parcel ids with `twin query select --layer parcel`")
        parcels = parcels[keep.to_numpy()]
    buildings = layers["building"]
    roads = layers["road"] if "road" in layers else None
    if parcel and len(buildings):
        box = parcels.total_bounds
        buildings = buildings.iloc[buildings.sindex.query(shapely.box(*box))]
    out, evidence = parcel_indicators(parcels, buildings, roads=roads,
                                      storey_height_m=storey_height_m)
    summary = {
        "parcels": int(len(out)),
        "fail": int((out["status"] == FAIL).sum()),
        "pass": int((out["status"] == PASS).sum()),
        **{f"{k}_fail": int((out[f"{k}_status"] == FAIL).sum()) for k in INDICATORS},
        "gfa_m2": float(out["gfa_m2"].sum()),
        "far_town": float(out["gfa_m2"].sum() / out["area_m2"].sum()) if len(out) and
        out["area_m2"].sum() > 0 else 0.0,
        "split_buildings": int(evidence.loc[evidence["split"], "building_id"].nunique()),
    }
    methods = {
        "gfa": sorted(evidence["gfa_method"].unique().tolist()),
        "far": "Σ building GFA on the parcel / parcel area; straddling buildings split by "
               "exact overlay, GFA apportioned by piece area",
        "density": "Σ footprint area on the parcel / parcel area",
        "height": "greatest height_m of the buildings on the parcel",
        "green": "green_area_m2 / area when given, else upper-bound estimate "
                 "(area − footprints − road red-line area) / area",
        "limits": "value ≤ max_far, max_density, max_height_m; green ≥ min_green_ratio; "
                  "ratios > 1 read as percent",
    }
    return QueryResult("indicators", out, summary=summary, color_by="status",
                       id_column="id", status_column="status",
                       tables={"evidence": evidence}, methods=methods)


register(QuerySpec(
    name="indicators",
    title_zh="控规指标",
    title_en="Planning indicators per parcel",
    run=run_indicators,
    inputs=("parcel",),
    optional_inputs=("building", "road"),
    description="FAR, building density, height and green ratio per parcel against its "
                "limits, with the buildings and GFA as evidence.",
    color_by="status",
    feature_kind="parcel",
    status_checks={"far": "far_status", "density": "density_status",
                   "height": "height_status", "green": "green_status"},
    value_columns=("max_far", "max_density", "max_height_m", "min_green_ratio",
                   "footprint_m2", "gfa_m2", "far", "density", "height_max_m", "green_ratio"),
    every_feature=True,
    params=(
        Param("parcel", "str", None, "地块编号", "Parcel id", "only this parcel"),
        Param("storey_height_m", "float", 3.0, "层高估算 (m)", "Storey height for estimates (m)",
              "used only for LOD1 buildings without floors", min=0.5),
    ),
))
