"""``setbacks``: buildings inside a river's blue line (蓝线) or a road's red line (红线).

The rule, per reference feature, is a required clear distance ``required_m`` from its
geometry to a building footprint:

* **river, line geometry** (a centreline): ``width_m / 2 + setback_m`` — the setback is
  measured from the river edge, which lies half the width from the centreline;
* **river, polygon geometry** (the water surface): ``setback_m`` from the polygon;
* **road** (a centreline): ``width_m / 2 + road_setback_m`` — the red line is half the
  red-line width from the centreline, plus an extra building setback behind it
  (``road_setback_m``, default 0; ``road_setback_by_class`` such as
  ``primary=10,secondary=5`` overrides it per ``road_class``). Lines of kind road whose
  ``road_class`` is in ``skip_road_classes`` (default metro, subway, rail, railway,
  light_rail: rail lines have protection zones, not red lines) are left out.

A building **violates** the rule when ``distance < required_m`` (shapely distance between
the footprint and the geometry). A building exactly at ``required_m`` complies. Distances are
rounded to a micrometre first so that float noise does not decide the side.

The rule lives in one place, :func:`setback_references`: the reference features each
enabled rule checks and the distance each requires. The query, the push-down search
(:mod:`twin.query.pushdown`), the dask batch (:mod:`twin.scale.dask_setbacks`) and the
Scenarios page's zones (:func:`setback_zones`) all take it from there.

Candidates come from one bulk ``STRtree.query(..., predicate="dwithin",
distance=required)`` of all references against a tree of the buildings; then the exact
distances of those pairs are computed vectorized.

Example
-------
>>> res = run_setbacks(layers, road_setback_m=5)   # doctest: +SKIP
>>> res.table[["building_id", "rule", "distance_m", "required_m"]]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import QueryError
from .common import numeric, parse_kv, split_long_lines, text
from .inputs import QueryInputs
from .pushdown import candidates
from .registry import Param, QueryResult, QuerySpec, register

__all__ = ["required_distance", "find_violations", "run_setbacks", "checked_roads",
           "setback_references", "setback_zones", "SetbackReference", "SKIP_ROAD_CLASSES"]

_ROUND = 6  # decimals (µm) before comparing a distance with its rule


def required_distance(refs: gpd.GeoDataFrame, rule: str, *, extra_m: float = 0.0,
                      by_class: dict | None = None) -> np.ndarray:
    """The clear distance each reference feature requires (see the module docstring)."""
    width = np.nan_to_num(numeric(refs, "width_m"), nan=0.0)
    geoms = refs.geometry.to_numpy()
    if rule == "river":
        setback = np.nan_to_num(numeric(refs, "setback_m"), nan=0.0)
        is_line = np.isin(shapely.get_type_id(geoms), (1, 2, 5))  # (Multi)LineString, LinearRing
        return np.where(is_line, width / 2.0 + setback, setback)
    extra = np.full(len(refs), float(extra_m))
    if by_class:
        cls = text(refs, "road_class").to_numpy(dtype=object)
        for name, value in by_class.items():
            extra[cls == name] = float(value)
    return width / 2.0 + extra


def find_violations(buildings: gpd.GeoDataFrame, refs: gpd.GeoDataFrame,
                    required: np.ndarray, *, tree=None) -> pd.DataFrame:
    """Pairs (building, reference) with ``distance < required``, as a DataFrame with
    positional ``b`` and ``r`` indices, ``distance_m`` and ``required_m``."""
    bgeom = buildings.geometry.to_numpy()
    rgeom = refs.geometry.to_numpy()
    cols = {"b": np.zeros(0, int), "r": np.zeros(0, int), "distance_m": np.zeros(0),
            "required_m": np.zeros(0)}
    ok = required > 0
    if not len(bgeom) or not ok.any():
        return pd.DataFrame(cols)
    tree = tree or shapely.STRtree(bgeom)
    r_sel = np.flatnonzero(ok)
    pieces, owner = split_long_lines(rgeom[r_sel])
    owner = r_sel[owner]
    k_i, b_i = tree.query(pieces, predicate="dwithin", distance=required[owner])
    r_i = owner[k_i]
    dist = np.round(shapely.distance(bgeom[b_i], pieces[k_i]), _ROUND)
    # a building near several pieces of one reference: keep the nearest piece
    order = np.lexsort((dist, r_i, b_i))
    b_i, r_i, dist = b_i[order], r_i[order], dist[order]
    first = np.ones(len(b_i), dtype=bool)
    first[1:] = (b_i[1:] != b_i[:-1]) | (r_i[1:] != r_i[:-1])
    b_i, r_i, dist = b_i[first], r_i[first], dist[first]
    need = np.round(required[r_i], _ROUND)
    bad = dist < need
    return pd.DataFrame({"b": b_i[bad], "r": r_i[bad], "distance_m": dist[bad],
                         "required_m": need[bad]})


def _joined_refs(table: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """For each building position in ``pos`` (sorted), its distinct reference names joined
    with commas, in table order."""
    pairs = table[["b", "ref_name"]].astype({"ref_name": str}).drop_duplicates()
    pairs = pairs.sort_values("b", kind="stable")
    b = pairs["b"].to_numpy(dtype=int)
    names = pairs["ref_name"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    sizes = np.diff(np.r_[starts, len(b)])
    out = names[starts].copy()
    for k in np.flatnonzero(sizes > 1):
        out[k] = ",".join(names[starts[k]:starts[k] + sizes[k]])
    return out


SKIP_ROAD_CLASSES = "metro,subway,rail,railway,light_rail"


def checked_roads(roads, skip: str | None = SKIP_ROAD_CLASSES):
    """The roads a red line applies to: those whose ``road_class`` is not in ``skip``
    (comma separated; empty or ``none`` keeps every road). Also the roads people walk
    along for network coverage."""
    classes = {c.strip() for c in str(skip or "").split(",") if c.strip()} - {"none"}
    if not classes or not len(roads):
        return roads
    return roads[~text(roads, "road_class").isin(classes).to_numpy()]


_RULE_LABELS = {"river": "蓝线 river blue line", "road": "红线 road red line"}


@dataclass
class SetbackReference:
    """The features one rule checks buildings against: ``rule`` (``river`` or ``road``),
    its ``label``, the reference frame ``refs`` and the clear distance each requires."""

    rule: str
    label: str
    refs: gpd.GeoDataFrame
    required: np.ndarray


def setback_references(layers: Mapping, params: Mapping | None = None
                       ) -> list[SetbackReference]:
    """The setback rule: for each enabled rule (rivers, then roads) with features, the
    features it checks and their required clear distances.

    ``layers`` maps a kind to its frame (a :class:`QueryInputs`, a scenario's, or a dict);
    ``params`` are the ``setbacks`` query's parameters (missing ones take its defaults).
    """
    params = dict(params or {})
    p = SPEC.defaults()
    unknown = sorted(set(params) - set(p))
    if unknown:
        raise QueryError(f"setbacks has no parameter {unknown[0]!r}",
                         hint="parameters: " + ", ".join(p))
    p.update(params)
    by_class = parse_kv(p["road_setback_by_class"], what="road_setback_by_class")
    out = []
    for rule, enabled in (("river", p["rivers"]), ("road", p["roads"])):
        if not enabled or rule not in layers:
            continue
        refs = layers[rule]
        if rule == "road":
            refs = checked_roads(refs, p["skip_road_classes"])
        if not len(refs):
            continue
        out.append(SetbackReference(rule, _RULE_LABELS[rule], refs, required_distance(
            refs, rule, extra_m=p["road_setback_m"], by_class=by_class)))
    return out


def setback_zones(references: list[SetbackReference], crs=None) -> gpd.GeoDataFrame:
    """Each reference feature's zone (its geometry buffered by its required distance;
    features requiring none have no zone): ``rule, ref_id, ref_name, required_m``."""
    parts = []
    for ref in references:
        ok = ref.required > 0
        parts.append(gpd.GeoDataFrame({
            "rule": ref.rule, "ref_id": text(ref.refs, "id").to_numpy(dtype=object)[ok],
            "ref_name": text(ref.refs, "name").to_numpy(dtype=object)[ok],
            "required_m": ref.required[ok]},
            geometry=shapely.buffer(ref.refs.geometry.to_numpy()[ok], ref.required[ok]),
            crs=crs if crs is not None else ref.refs.crs))
    if not parts:
        return gpd.GeoDataFrame({"rule": [], "ref_id": [], "ref_name": [], "required_m": []},
                                geometry=[], crs=crs)
    return pd.concat(parts, ignore_index=True)


def run_setbacks(layers: QueryInputs, *, road_setback_m: float = 0.0,
                 road_setback_by_class: str | None = None, rivers: bool = True,
                 roads: bool = True,
                 skip_road_classes: str | None = SKIP_ROAD_CLASSES) -> QueryResult:
    """Run ``setbacks`` on ``layers``; see the module docstring."""
    by_class = parse_kv(road_setback_by_class, what="road_setback_by_class")
    references = setback_references(layers, {
        "road_setback_m": road_setback_m, "road_setback_by_class": road_setback_by_class,
        "rivers": rivers, "roads": roads, "skip_road_classes": skip_road_classes})
    geoms = [r.refs.geometry.to_numpy() for r in references]
    reqs = [r.required for r in references]
    pushed = candidates(  # PostGIS: the buildings near any reference, found on the server
        layers, "building", np.concatenate(geoms) if geoms else np.zeros(0, dtype=object),
        np.concatenate(reqs) if reqs else np.zeros(0))
    buildings = pushed.frame if pushed is not None else layers.require("building",
                                                                       query="setbacks")
    bgeom = buildings.geometry.to_numpy()
    tree = shapely.STRtree(bgeom) if len(bgeom) else None
    rows = []
    for ref in references:
        refs = ref.refs
        found = find_violations(buildings, refs, ref.required, tree=tree)
        if len(found):
            found["rule"] = ref.rule
            found["rule_label"] = ref.label
            found["ref_id"] = text(refs, "id").to_numpy(dtype=object)[found["r"].to_numpy()]
            found["ref_name"] = text(refs, "name").to_numpy(dtype=object)[found["r"].to_numpy()]
            rows.append(found)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["b", "r", "distance_m", "required_m", "rule", "rule_label", "ref_id",
                 "ref_name"])
    table["building_id"] = text(buildings, "id").to_numpy(dtype=object)[
        table["b"].to_numpy(dtype=int)]
    table["building_name"] = text(buildings, "name").to_numpy(dtype=object)[
        table["b"].to_numpy(dtype=int)]
    table["shortfall_m"] = np.round(table["required_m"].astype(float)
                                    - table["distance_m"].astype(float), 3)
    table = table.sort_values(["building_id", "rule", "ref_id"], kind="stable").reset_index(
        drop=True)

    layer = buildings.iloc[0:0].copy()
    for col, dtype in (("n_violations", "int64"), ("rules", "object"), ("refs", "object"),
                       ("distance_m", "float64"), ("required_m", "float64"),
                       ("shortfall_m", "float64"), ("status", "object")):
        layer[col] = pd.Series(dtype=dtype)
    if len(table):
        worst = table.sort_values("shortfall_m", ascending=False, kind="stable").drop_duplicates(
            "b")
        b_all = table["b"].to_numpy(dtype=int)
        pos = np.unique(b_all)
        count = np.bincount(b_all, minlength=len(buildings))
        rule_sets = []
        for rule in ("river", "road"):
            hit = np.bincount(b_all[table["rule"].to_numpy() == rule], minlength=len(buildings))
            rule_sets.append(np.where(hit[pos] > 0, rule, ""))
        rules = np.char.strip(np.char.add(np.char.add(rule_sets[0].astype(str), ","),
                                          rule_sets[1].astype(str)), ",")
        layer = buildings.iloc[pos].copy()
        layer["n_violations"] = count[pos]
        layer["rules"] = rules.astype(object)
        layer["refs"] = _joined_refs(table, pos)
        w = worst.set_index("b").loc[pos]
        layer["distance_m"] = w["distance_m"].to_numpy()
        layer["required_m"] = w["required_m"].to_numpy()
        layer["shortfall_m"] = w["shortfall_m"].to_numpy()
        layer["status"] = "fail"
    table = table.drop(columns=["b", "r"])
    summary = {
        "buildings_checked": int(pushed.total if pushed else len(buildings)),
        "violating_buildings": int(len(layer)),
        "violations": int(len(table)),
        "river_violations": int((table["rule"] == "river").sum()),
        "road_violations": int((table["rule"] == "road").sum()),
    }
    methods = {
        "river": "line river: width_m/2 + setback_m from the centreline; polygon river: "
                 "setback_m from the polygon",
        "road": f"width_m/2 + {road_setback_m:g} m from the centreline"
                + (f" (per class: {by_class})" if by_class else "")
                + (f"; classes not checked: {skip_road_classes}" if skip_road_classes else ""),
        "rule": "distance < required is a violation; distance == required complies",
        "engine": pushed.engine if pushed else "shapely STRtree bulk query",
    }
    extra = {"zones": setback_zones(references, crs=buildings.crs)} if references else {}
    return QueryResult("setbacks", layer, summary=summary, table=table, color_by="shortfall_m",
                       id_column="id", status_column="status",
                       extra_layers=extra, methods=methods)


SPEC = register(QuerySpec(
    name="setbacks",
    title_zh="蓝线与红线退让",
    title_en="River and road setbacks",
    run=run_setbacks,
    inputs=("building",),
    optional_inputs=("river", "road"),
    description="Buildings closer to a river than its blue line (width/2 + setback) or to "
                "a road than its red line (width/2 + extra setback).",
    color_by="shortfall_m",
    feature_kind="building",
    status_checks={"status": "status"},
    value_columns=("n_violations", "distance_m", "required_m", "shortfall_m"),
    params=(
        Param("road_setback_m", "float", 0.0, "退红线距离 (m)", "Extra road setback (m)",
              "beyond the red line", min=0.0),
        Param("road_setback_by_class", "str", None, "分级退让", "Setback by road class",
              "e.g. primary=10,secondary=5"),
        Param("rivers", "bool", True, "检查河道蓝线", "Check rivers"),
        Param("roads", "bool", True, "检查道路红线", "Check roads"),
        Param("skip_road_classes", "str", SKIP_ROAD_CLASSES, "不检查的道路等级",
              "Road classes not checked", "comma separated, or none; rail lines have no red line"),
    ),
))
