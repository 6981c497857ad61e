"""``select``: combined attribute, keyword and spatial query (CJJ/T 315 组合条件查询).

Three filters, all optional, applied in this order:

1. ``where``: an attribute filter in the safe language of :mod:`twin.query.expr`
   (``height_m > 24 and use == 'R'``).
2. ``keyword``: a case-insensitive substring of ``name`` or ``id`` (several words separated
   by spaces or commas: any of them matches).
3. a spatial predicate against reference features ``near`` (a kind or layer name, optionally
   ``kind:keyword`` such as ``river:横河``, or a WKT geometry in the working CRS):
   ``dwithin`` (within ``distance_m`` of, distance ≤ d), ``intersects``, ``within``
   (the target lies inside a reference) or ``contains`` (the target contains a reference).

The spatial test is one bulk :class:`shapely.STRtree` query of the reference geometries
against a tree of the attribute-filtered targets (long reference lines, such as a river,
are cut into pieces of 32 vertices first, so that the tree prunes well and each exact
distance is cheap). With ``dwithin`` the result carries
``distance_m``, the distance to the nearest matching reference feature.

On PostGIS the work goes to the server (:mod:`twin.query.pushdown`): with a reference, the
spatial search (``ST_DWithin``) finds the candidates and the filters run on them; without
one, the attribute filter runs as a parametrised ``WHERE`` when it translates exactly, and
otherwise in memory, so both backends select the same rows.

Example
-------
>>> res = run_select(layers, layer="building", where="height_m > 24",
...                  near="river:横河", distance_m=50)   # doctest: +SKIP
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import QueryError
from .common import split_long_lines, text
from .expr import filter_frame
from .inputs import QueryInputs
from .pushdown import candidates, filtered
from .registry import Param, QueryResult, QuerySpec, register

__all__ = ["select_mask", "spatial_match", "keyword_mask", "resolve_reference", "run_select",
           "PREDICATES"]

PREDICATES = ("dwithin", "intersects", "within", "contains")
# the tree holds the targets and is queried with references: predicate(reference, target)
_TREE_PREDICATE = {"dwithin": "dwithin", "intersects": "intersects", "within": "contains",
                   "contains": "within"}
_WKT = re.compile(r"^\s*(MULTI)?(POINT|LINESTRING|POLYGON)\b", re.IGNORECASE)


def keyword_mask(frame: pd.DataFrame, keyword: str | None) -> np.ndarray:
    """True where ``name`` or ``id`` contains any word of ``keyword`` (case-insensitive)."""
    if not keyword or not str(keyword).strip():
        return np.ones(len(frame), dtype=bool)
    words = [w for w in re.split(r"[\s,，]+", str(keyword).strip()) if w]
    hay = (text(frame, "name") + "\u0000" + text(frame, "id")).str.lower()
    out = np.zeros(len(frame), dtype=bool)
    for w in words:
        out |= hay.str.contains(w.lower(), regex=False).to_numpy()
    return out


def spatial_match(targets, references, *, predicate: str = "dwithin",
                  distance: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Which targets meet ``predicate`` against any reference.

    Returns ``(mask, distance)``: a boolean array over ``targets`` and, for ``dwithin``,
    the distance of each matched target to its nearest matching reference (NaN elsewhere).
    """
    if predicate not in PREDICATES:
        raise QueryError(f"unknown spatial predicate {predicate!r}",
                         hint="use one of " + ", ".join(PREDICATES))
    targets = np.asarray(targets, dtype=object)
    references = np.asarray(references, dtype=object)
    mask = np.zeros(len(targets), dtype=bool)
    dist = np.full(len(targets), np.nan)
    if not len(targets) or not len(references):
        return mask, dist
    tree = shapely.STRtree(targets)
    if predicate == "dwithin":
        pieces, _owner = split_long_lines(references)
        ref_i, tgt_i = tree.query(pieces, predicate="dwithin", distance=float(distance))
        if len(tgt_i):
            d = shapely.distance(pieces[ref_i], targets[tgt_i])
            best = np.full(len(targets), np.inf)
            np.minimum.at(best, tgt_i, d)
            mask[tgt_i] = True
            dist[mask] = best[mask]
    else:
        _ref_i, tgt_i = tree.query(references, predicate=_TREE_PREDICATE[predicate])
        mask[tgt_i] = True
    return mask, dist


def resolve_reference(layers: QueryInputs, near: str, near_keyword: str | None = None,
                      near_where: str | None = None):
    """The reference features for ``near``: a GeoDataFrame (or WKT → one-row frame)."""
    if _WKT.match(near):
        try:
            geom = shapely.from_wkt(near)
        except shapely.errors.GEOSException as exc:
            raise QueryError(f"cannot read the reference geometry {near[:40]!r} ({exc})") from None
        from ..crs import working_crs

        crs = layers["building"].crs if "building" in layers.overridden() else None
        return gpd.GeoDataFrame({"id": ["wkt"], "name": ["WKT"]}, geometry=[geom],
                                crs=crs or working_crs())
    name, _, kw = near.partition(":")
    frame = layers.frame(name.strip())
    if not isinstance(frame, gpd.GeoDataFrame):
        raise QueryError(f"the reference {name!r} has no geometry",
                         hint="choose a vector layer such as river, road or parcel")
    keep = filter_frame(frame, near_where).to_numpy() & keyword_mask(frame, kw or near_keyword)
    out = frame[keep]
    if not len(out):
        raise QueryError(f"no {name} feature matches {(kw or near_keyword or near_where)!r}",
                         hint=f"names in {name}: " + ", ".join(
                             text(frame, "name").unique()[:10]))
    return out


def select_mask(frame: gpd.GeoDataFrame, *, where: str | None = None,
                keyword: str | None = None, reference=None, predicate: str = "dwithin",
                distance: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Mask of rows of ``frame`` passing every given filter, and ``distance_m`` (NaN when
    no ``dwithin`` reference). ``reference`` is a GeoDataFrame, GeoSeries or geometry array."""
    mask = filter_frame(frame, where).to_numpy(dtype=bool) & keyword_mask(frame, keyword)
    dist = np.full(len(frame), np.nan)
    if reference is not None:
        geoms = frame.geometry.to_numpy()
        idx = np.flatnonzero(mask)
        ref = reference.geometry.to_numpy() if hasattr(reference, "geometry") else \
            np.asarray(reference, dtype=object)
        sub_mask, sub_dist = spatial_match(geoms[idx], ref, predicate=predicate,
                                           distance=distance)
        mask = np.zeros(len(frame), dtype=bool)
        mask[idx[sub_mask]] = True
        dist[idx] = sub_dist
    return mask, dist


def run_select(layers: QueryInputs, *, layer: str = "building", where: str | None = None,
               keyword: str | None = None, near: str | None = None,
               near_keyword: str | None = None, near_where: str | None = None,
               predicate: str = "dwithin", distance_m: float = 50.0) -> QueryResult:
    """Run ``select`` on ``layers``; see the module docstring."""
    reference = resolve_reference(layers, near, near_keyword, near_where) if near else None
    pushed = None if reference is None else candidates(  # PostGIS: search on the server
        layers, layer, reference.geometry.to_numpy(),
        distance_m if predicate == "dwithin" else 0.0)
    if reference is None:  # PostGIS: the attribute filter as a WHERE on the server
        pushed = filtered(layers, layer, where)
    where_pushed = reference is None and pushed is not None
    frame = pushed.frame if pushed is not None else layers.frame(layer)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise QueryError(f"select works on vector layers; {layer!r} has no geometry")
    mask, dist = select_mask(frame, where=None if where_pushed else where, keyword=keyword,
                             reference=reference, predicate=predicate, distance=distance_m)
    out = frame[mask].copy()
    spatial = reference is not None
    if spatial and predicate == "dwithin":
        out["distance_m"] = np.round(dist[mask], 3)
    summary = {"layer": layer, "matched": int(mask.sum()),
               "total": int(pushed.total if pushed else len(frame))}
    if spatial:
        summary.update({"reference": near, "reference_features": int(len(reference)),
                        "predicate": predicate})
        if predicate == "dwithin":
            summary["distance_m"] = float(distance_m)
    color_by = "distance_m" if spatial and predicate == "dwithin" else (
        "height_m" if "height_m" in out.columns else None)
    methods = {"where": where or "", "keyword": keyword or "",
               "spatial": (f"{predicate} {distance_m:g} m of {near}" if predicate == "dwithin"
                           else f"{predicate} {near}") if spatial else "",
               "engine": pushed.engine if pushed else "shapely STRtree bulk query"}
    extra = {"reference": reference} if spatial else {}
    id_col = "id" if "id" in out.columns else None
    return QueryResult("select", out, summary=summary, color_by=color_by, id_column=id_col,
                       extra_layers=extra, methods=methods,
                       feature_kind=_kind_of(layers, layer))


def _kind_of(layers: QueryInputs, name: str) -> str | None:
    """The kind ``name`` (a kind or a store layer) stands for."""
    from ..kinds import KINDS

    if name in KINDS:
        return name
    return layers.store.kind_of(name) if layers.store is not None else None


register(QuerySpec(
    name="select",
    title_zh="组合条件查询",
    title_en="Attribute and spatial selection",
    run=run_select,
    inputs=(),
    optional_inputs=("building", "parcel", "road", "river", "facility"),
    description="Filter a layer by attributes, keyword and a spatial predicate "
                "(e.g. buildings taller than 24 m within 50 m of 横河).",
    color_by="distance_m",
    diff=False,
    value_columns=("distance_m",),
    params=(
        Param("layer", "str", "building", "图层", "Layer", "a kind or a layer name"),
        Param("where", "str", None, "属性条件", "Attribute filter",
              "e.g. height_m > 24 and use == 'R'"),
        Param("keyword", "str", None, "关键词", "Keyword", "part of a name or id"),
        Param("near", "str", None, "参照要素", "Reference",
              "a kind or layer, optionally kind:keyword (river:横河), or WKT"),
        Param("near_keyword", "str", None, "参照关键词", "Reference keyword"),
        Param("near_where", "str", None, "参照条件", "Reference filter"),
        Param("predicate", "choice", "dwithin", "空间关系", "Spatial predicate",
              "dwithin: within distance_m of; within: inside; contains; intersects",
              choices=PREDICATES),
        Param("distance_m", "float", 50.0, "距离 (m)", "Distance (m)", min=0.0),
    ),
))
