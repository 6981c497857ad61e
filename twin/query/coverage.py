"""``coverage``: share of residential buildings (and of their GFA) within reach of services.

For each facility kind with a service radius (defaults: school 1000 m, clinic 1000 m,
elderly_care 500 m, metro_station 800 m TOD), a residential building is *covered* when the
straight-line distance from its footprint's representative point (a point inside it) to the
nearest facility of that kind is ≤ the radius. Residential means a ``use`` that is an R code
or names housing (:func:`twin.query.common.residential_mask`); GFA as in ``indicators``.

Distances come from one ``STRtree.query_nearest`` per kind (vectorized). Straight-line
distance is the baseline, a lower bound of the walking distance (so its coverage is an upper
bound). With ``distance="network"`` the distance is walked over the road centrelines
(:mod:`twin.query.network`: one Dijkstra per kind from all its facilities at once); rail
lines of kind road (metro…) are not walked.

The result layer holds the residential buildings with ``dist_<kind>_m``, ``n_uncovered`` and
``uncovered`` (the kinds out of reach); the table has one row per kind.

Example
-------
>>> res = run_coverage(layers, radii="school=1000,clinic=800")   # doctest: +SKIP
>>> res.table[["kind", "radius_m", "share_buildings", "share_gfa"]]  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..errors import QueryError
from .common import building_gfa, parse_kv, residential_mask, text
from .inputs import QueryInputs
from .registry import Param, QueryResult, QuerySpec, register

__all__ = ["DEFAULT_RADII", "nearest_distance", "run_coverage"]

DEFAULT_RADII = {"school": 1000.0, "clinic": 1000.0, "elderly_care": 500.0,
                 "metro_station": 800.0}
_RADII_TEXT = ",".join(f"{k}={v:g}" for k, v in DEFAULT_RADII.items())


def nearest_distance(points, facilities) -> np.ndarray:
    """Distance (m) from each point to the nearest facility geometry (inf when none)."""
    points = np.asarray(points, dtype=object)
    out = np.full(len(points), np.inf)
    facilities = np.asarray(facilities, dtype=object)
    if not len(points) or not len(facilities):
        return out
    tree = shapely.STRtree(facilities)
    (p_i, _f_i), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    out[p_i] = dist
    return out


def _network(layers: QueryInputs):
    from .network import RoadNetwork
    from .setbacks import checked_roads

    roads = checked_roads(layers.require("road", query="coverage over the road network"))
    return RoadNetwork.from_lines(roads.geometry.to_numpy())


def run_coverage(layers: QueryInputs, *, radii: str | None = _RADII_TEXT,
                 kinds: str | None = None, distance: str = "straight") -> QueryResult:
    """Run ``coverage`` on ``layers``; see the module docstring."""
    buildings = layers.require("building", query="coverage")
    facilities = layers["facility"]
    rad = parse_kv(radii, what="radii") or dict(DEFAULT_RADII)
    if kinds:
        wanted = [k.strip() for k in str(kinds).split(",") if k.strip()]
        unknown = [k for k in wanted if k not in rad]
        if unknown:
            raise QueryError(f"no radius for facility kind {unknown[0]!r}",
                             hint="add it to radii, e.g. radii=" + _RADII_TEXT)
        rad = {k: rad[k] for k in wanted}
    res_mask = residential_mask(buildings)
    homes = buildings[res_mask].copy()
    gfa, _method = building_gfa(homes)
    points = shapely.point_on_surface(homes.geometry.to_numpy()) if len(homes) else \
        np.zeros(0, dtype=object)
    fkind = text(facilities, "kind").to_numpy(dtype=object)
    fgeom = facilities.geometry.to_numpy()
    total_gfa = float(gfa.sum())
    uncovered = np.empty(len(homes), dtype=object)
    uncovered[:] = ""
    n_unc = np.zeros(len(homes), dtype=int)
    rows = []
    summary = {"residential_buildings": int(len(homes)), "residential_gfa_m2": total_gfa}
    net = _network(layers) if distance == "network" else None
    for kind, radius in rad.items():
        if net is not None:
            dist = net.distances(fgeom[fkind == kind], points, limit=float(radius))
        else:
            dist = nearest_distance(points, fgeom[fkind == kind])
        covered = dist <= radius
        homes[f"dist_{kind}_m"] = np.where(np.isfinite(dist), np.round(dist, 1), np.nan)
        miss = ~covered
        n_unc += miss
        uncovered = np.where(miss, np.where(uncovered == "", kind, uncovered + "," + kind),
                             uncovered)
        share_b = float(covered.mean()) if len(homes) else float("nan")
        share_g = float(gfa[covered].sum() / total_gfa) if total_gfa > 0 else float("nan")
        rows.append({"kind": kind, "radius_m": float(radius),
                     "facilities": int((fkind == kind).sum()),
                     "buildings": int(len(homes)), "covered": int(covered.sum()),
                     "uncovered": int(miss.sum()),
                     "share_buildings": round(share_b, 4), "share_gfa": round(share_g, 4)})
        summary[f"share_{kind}"] = round(share_b, 4)
        summary[f"share_gfa_{kind}"] = round(share_g, 4)
    homes["n_uncovered"] = n_unc
    homes["uncovered"] = uncovered
    homes["status"] = np.where(n_unc > 0, "fail", "pass")
    table = pd.DataFrame(rows, columns=["kind", "radius_m", "facilities", "buildings", "covered",
                                        "uncovered", "share_buildings", "share_gfa"])
    summary["fully_covered_buildings"] = int((n_unc == 0).sum())
    methods = {"distance": "straight line from the footprint's representative point to the "
                           "nearest facility" if net is None else
               "walking distance over the road centrelines (noded, 25 m pieces), from the "
               "footprint's representative point to the nearest facility, access legs "
               "to the nearest network vertex included",
               "residential": "use is an R code (R, R2, Rb…) or names housing",
               "radii": {k: float(v) for k, v in rad.items()}}
    return QueryResult("coverage", homes, summary=summary, table=table, color_by="n_uncovered",
                       id_column="id", status_column="status",
                       tables={"by_building": pd.DataFrame(
                           homes.drop(columns=homes.geometry.name))},
                       methods=methods)


register(QuerySpec(
    name="coverage",
    title_zh="公共服务设施覆盖",
    title_en="Service coverage",
    run=run_coverage,
    inputs=("building",),
    optional_inputs=("facility", "road"),
    description="Share of residential buildings and of their GFA within the service radius "
                "of each facility kind; maps the buildings not covered.",
    color_by="n_uncovered",
    feature_kind="building",
    status_checks={"status": "status"},
    value_columns=("dist_*_m", "n_uncovered"),
    params=(
        Param("radii", "str", _RADII_TEXT, "服务半径 (m)", "Service radii (m)",
              "KIND=METRES pairs, e.g. school=1000,clinic=1000"),
        Param("kinds", "str", None, "设施类型", "Facility kinds", "only these kinds, comma separated"),
        Param("distance", "choice", "straight", "距离", "Distance",
              "straight line, or walking distance over the road network",
              choices=("straight", "network")),
    ),
))
