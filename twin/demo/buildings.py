"""LOD1 buildings for the demo: footprints that fit inside their parcels, keep off roads,
rivers and blue-line setbacks, and whose floors keep each parcel under its limits — except
for the few violations planted on purpose (see :func:`plant_violations`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box
from shapely.ops import unary_union

from .layout import Plan
from .terrain import DEM

__all__ = ["TYPOLOGIES", "Typology", "setback_zone", "make_buildings", "plant_violations",
           "far_by_parcel"]


@dataclass(frozen=True)
class Typology:
    """How one kind of parcel is built up: footprint sizes, gaps, floors and storey height."""

    use: str
    detail: str
    length: tuple[float, float]
    depth: tuple[float, float]
    gap: tuple[float, float]
    floors: tuple[int, int]
    storey_m: float
    margin: float
    max_count: int
    label: str
    far_fill: tuple[float, float] = (0.6, 0.9)


TYPOLOGIES = {
    "resettle": Typology("R", "resettlement apartments", (40, 60), (13, 15), (14, 36), (11, 18),
                         3.0, 10, 24, "号楼"),
    "residential": Typology("R", "apartments", (30, 48), (12, 14), (12, 28), (6, 11), 3.0, 10,
                            30, "号楼"),
    "oldtown": Typology("R", "old town houses", (10, 16), (8, 12), (4, 5), (2, 4), 3.2, 5, 70,
                        "号院"),
    "village": Typology("R", "village houses", (10, 14), (9, 11), (6, 8), (1, 3), 3.2, 6, 34,
                        "号院"),
    "commercial": Typology("B", "shops and offices", (30, 50), (20, 30), (16, 16), (3, 8), 4.2,
                           8, 12, "号商业楼"),
    "office": Typology("A", "government offices", (40, 60), (18, 22), (20, 20), (4, 6), 3.8,
                       10, 4, "号办公楼"),
    "civic": Typology("A", "culture centre", (30, 40), (20, 25), (30, 30), (2, 2), 4.5, 10, 0,
                      "号馆"),
    "school": Typology("A", "school buildings", (50, 60), (14, 16), (24, 30), (3, 4), 3.8, 10,
                       4, "号教学楼"),
    "hospital": Typology("A", "hospital", (50, 70), (18, 22), (20, 25), (5, 8), 4.0, 10, 5,
                         "号病房楼"),
    "industrial": Typology("M", "industrial sheds", (60, 140), (30, 60), (20, 20), (1, 1), 14.0,
                           12, 10, "号厂房", (0.5, 0.8)),
    "warehouse": Typology("W", "warehouses", (80, 140), (40, 60), (20, 25), (1, 1), 10.0, 10,
                          8, "号仓库", (0.5, 0.8)),
    "utility": Typology("U", "utility buildings", (15, 30), (12, 20), (15, 15), (1, 2), 4.5, 10,
                        5, "号站房"),
    "park": Typology("G", "park pavilions", (8, 12), (8, 12), (60, 60), (1, 1), 4.0, 10, 2,
                     "号亭"),
}


def setback_zone(plan: Plan):
    """The union of every river's blue-line setback zone (centre line ± width/2 + setback)."""
    return unary_union([g.buffer(w / 2 + s) for g, w, s in
                        zip(plan.rivers.geometry, plan.rivers.width_m, plan.rivers.setback_m)])


def _candidates(area, t: Typology, rng: np.random.Generator):
    """Footprint boxes on a jittered grid inside ``area`` (a polygon)."""
    if area.is_empty:
        return []
    minx, miny, maxx, maxy = area.bounds
    cw, ch = t.length[1] + t.gap[0], t.depth[1] + t.gap[1]
    ox, oy = rng.uniform(0, t.gap[0]), rng.uniform(0, t.gap[1])
    xs = np.arange(minx + ox, maxx, cw)
    ys = np.arange(miny + oy, maxy, ch)
    if not len(xs) or not len(ys):
        return []
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    n = len(gx)
    ln = rng.uniform(*t.length, n)
    dp = rng.uniform(*t.depth, n)
    jx = rng.uniform(0, 1, n) * (t.length[1] - ln)
    jy = rng.uniform(0, 1, n) * (t.depth[1] - dp)
    boxes = shapely.box(np.round(gx + jx, 2), np.round(gy + jy, 2),
                        np.round(gx + jx + ln, 2), np.round(gy + jy + dp, 2))
    shapely.prepare(area)
    return list(boxes[shapely.contains_properly(area, boxes)])


def make_buildings(plan: Plan, dem: DEM, rng: np.random.Generator,
                   reserved: dict[str, object],
                   reserved_gfa: dict[str, float] | None = None) -> gpd.GeoDataFrame:
    """Generate LOD1 buildings in local metres.

    ``reserved`` maps a parcel id to a polygon (an IFC building's planned footprint) that
    other buildings keep 15 m away from; ``reserved_gfa`` gives that building's floor area,
    which counts against the parcel's FAR.
    """
    reserved_gfa = reserved_gfa or {}
    blue = setback_zone(plan)
    rows = []
    for parcel in plan.parcels.itertuples():
        t = TYPOLOGIES.get(parcel.typology)
        if t is None or t.max_count == 0 or parcel.max_far <= 0:
            continue
        area = parcel.geometry.buffer(-t.margin, join_style="mitre")
        area = area.difference(blue)
        if parcel.id in reserved:
            area = area.difference(reserved[parcel.id].buffer(15.0))
        boxes = _candidates(area, t, rng)
        if not boxes:
            continue
        if len(boxes) > t.max_count:
            keep = np.sort(rng.choice(len(boxes), t.max_count, replace=False))
            boxes = [boxes[i] for i in keep]
        parcel_area = parcel.geometry.area
        fp = np.array([b.area for b in boxes])
        reserved_fp = reserved[parcel.id].area if parcel.id in reserved else 0.0
        while len(fp) > 1 and (fp.sum() + reserved_fp) / parcel_area > parcel.max_density * 0.95:
            boxes, fp = boxes[:-1], fp[:-1]
        max_floors = int(min(t.floors[1], parcel.max_height_m // t.storey_m))
        if max_floors < 1:
            continue
        taken_gfa = reserved_gfa.get(parcel.id, 0.0)
        target = max(parcel.max_far * parcel_area * rng.uniform(*t.far_fill) - taken_gfa,
                     fp.sum())
        need = target / fp.sum()
        floors = np.clip(np.round(need * rng.uniform(0.85, 1.15, len(fp))), t.floors[0],
                         max_floors).astype(int)
        # Keep under the FAR limit: lower the tallest buildings first.
        while ((floors * fp).sum() + taken_gfa > parcel.max_far * parcel_area * 0.97
               and floors.max() > 1):
            floors[int(np.argmax(floors))] -= 1
        for k, (geom, f) in enumerate(zip(boxes, floors), start=1):
            rows.append({"parcel_id": parcel.id, "name": f"{parcel.name}{k}{t.label}",
                         "use": t.use, "use_detail": t.detail, "floors": int(f),
                         "storey_m": t.storey_m, "geometry": geom})
    frame = gpd.GeoDataFrame(rows, geometry="geometry")
    return _finish(frame, dem)


def _finish(frame: gpd.GeoDataFrame, dem: DEM) -> gpd.GeoDataFrame:
    """Number the buildings and derive height, GFA and base elevation."""
    frame = frame.reset_index(drop=True)
    frame.insert(0, "id", [f"B{i:05d}" for i in range(1, len(frame) + 1)])
    frame["height_m"] = np.round(frame.floors * frame.storey_m, 2)
    frame["gfa_m2"] = np.round(frame.floors * frame.geometry.area, 1)
    c = frame.geometry.centroid
    frame["base_elev_m"] = np.round(dem.sample(c.x.to_numpy(), c.y.to_numpy()), 2)
    frame["source"] = "lod1"
    frame["ifc_guid"] = pd.array([None] * len(frame), dtype="string")
    return frame


def far_by_parcel(buildings: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> pd.Series:
    """Floor-area ratio per parcel id: the GFA of its buildings over the parcel's area."""
    gfa = buildings.groupby("parcel_id").gfa_m2.sum()
    area = parcels.set_index("id").geometry.area
    return (gfa.reindex(area.index).fillna(0.0) / area).rename("far")


def plant_violations(plan: Plan, buildings: gpd.GeoDataFrame, dem: DEM,
                     reserved: dict[str, object]) -> tuple[gpd.GeoDataFrame, dict]:
    """Break the plan on purpose in three ways, and return the buildings and the record.

    - ``far``: one resettlement parcel built up to its height limit, over its FAR;
    - ``setback``: one building placed inside 横河's blue-line setback;
    - ``height``: one old-town house raised above its parcel's height limit.
    The no-school residential area comes from the layout (see :mod:`twin.demo.facilities`).
    """
    parcels = plan.parcels.set_index("id")
    b = buildings.copy()
    # FAR: the densest ordinary resettlement parcel, every building at its height limit.
    cand = parcels[(parcels.land_use_sub == "R2-resettle") & (parcels.designation == "")
                   & (parcels.zone == "dongjiakou")]
    fp = b.groupby("parcel_id").geometry.apply(lambda g: g.area.sum())
    density = (fp.reindex(cand.index).fillna(0) / cand.geometry.area).sort_values(
        ascending=False, kind="stable")
    far_parcel = str(density.index[0])
    limit = parcels.loc[far_parcel]
    sel = b.parcel_id == far_parcel
    b.loc[sel, "floors"] = int(limit.max_height_m // 3.0)
    # Setback: a two-storey shop between the river bank and the blue line of 横河.
    river = plan.rivers.set_index("name").loc["横河"]
    line = river.geometry
    inner, outer = river.width_m / 2 + 4.0, river.width_m / 2 + river.setback_m - 4.0
    taken = shapely.STRtree(b.geometry.to_numpy())
    spot = None
    near = parcels[parcels.land_use.isin(["R", "B"]) & (parcels.designation == "")
                   & (parcels.geometry.distance(line) < outer - 10)]
    for pid, p in near.sort_index().iterrows():
        area = p.geometry.buffer(-3.0, join_style="mitre")
        if pid in reserved:
            area = area.difference(reserved[pid].buffer(15.0))
        minx, miny, maxx, maxy = area.bounds
        for y in np.arange(miny, maxy - 12, 4.0):
            for x in np.arange(minx, maxx - 20, 4.0):
                cand_box = box(x, y, x + 20, y + 12)
                d = cand_box.distance(line)
                if not (inner < d < outer and area.contains(cand_box)):
                    continue
                if len(taken.query(cand_box.buffer(6.0), predicate="intersects")):
                    continue
                spot = (pid, p, cand_box)
                break
            if spot:
                break
        if spot:
            break
    if spot is None:
        raise RuntimeError("demo generator: no place found for the planted setback building")
    pid, p, geom = spot
    extra = gpd.GeoDataFrame([{"parcel_id": pid, "name": f"{p['name']}河岸商铺", "use": "B",
                               "use_detail": "riverside shop", "floors": 2, "storey_m": 4.2,
                               "geometry": geom}], geometry="geometry")
    # Height: the first old-town house of the fullest old-town parcel, raised to 9 floors.
    old = parcels[(parcels.land_use_sub == "R2-old") & (parcels.designation == "")]
    counts = b[b.parcel_id.isin(old.index)].parcel_id.value_counts().sort_index()
    hp = str(counts.idxmax())
    hi = b.index[b.parcel_id == hp][0]
    b.loc[hi, "floors"] = 9
    base = b.drop(columns=["id", "height_m", "gfa_m2", "base_elev_m", "source", "ifc_guid"])
    out = _finish(pd.concat([base, extra], ignore_index=True), dem)
    record = {
        "far_parcel": far_parcel,
        "setback_building": str(out.id.iloc[-1]),
        "setback_river": "横河",
        "height_building": str(out.id.iloc[hi]),
    }
    return out, record
