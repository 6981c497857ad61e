"""Public facilities of the demo town: schools, hospital, clinics, 25 elderly-care stations,
parks, the civic culture centre, the town government and the three metro line 13 stations.

Schools keep more than 1 km from every home in 丰台/小庄/营上安置区: that resettlement area
is the planted "residential area without a school within 1 km".
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from .layout import Plan

__all__ = ["make_facilities", "NO_SCHOOL_ZONE", "farthest_points"]

NO_SCHOOL_ZONE = "fengtai"
"""The zone whose homes are planted without a school within 1 km."""


def farthest_points(xy: np.ndarray, n: int, start: int = 0) -> list[int]:
    """Indices of ``n`` points of ``xy`` spread out by greedy farthest-point sampling."""
    if len(xy) == 0:
        return []
    chosen = [start]
    dist = np.hypot(*(xy - xy[start]).T)
    while len(chosen) < min(n, len(xy)):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.hypot(*(xy - xy[i]).T))
    return chosen


def _main_building(buildings, parcel_id):
    sub = buildings[buildings.parcel_id == parcel_id]
    if sub.empty:
        return None
    return sub.geometry.iloc[int(np.argmax(sub.geometry.area.to_numpy()))].centroid


def make_facilities(plan: Plan, buildings: gpd.GeoDataFrame, ifc_places,
                    rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Facility points in local metres with ``id, name, kind, capacity`` and a few extras."""
    parcels = plan.parcels.set_index("id")
    ifc_by_parcel = {p.parcel_id: p for p in ifc_places}
    rows = []

    def add(name, kind, capacity, geom, parcel_id=None, **extra):
        rows.append({"name": name, "kind": kind, "capacity": float(capacity),
                     "parcel_id": parcel_id, "geometry": geom, **extra})

    def spot(pid):
        if pid in ifc_by_parcel:
            p = ifc_by_parcel[pid]
            return shapely.Point(p.x, p.y)
        return _main_building(buildings, pid) or parcels.loc[pid].geometry.point_on_surface()

    capacities = {"泊里中学": 1800, "泊里镇中心小学": 1350}
    for key, pid in plan.designated.items():
        name = parcels.loc[pid, "name"]
        if key.startswith("school_"):
            level = "middle" if "中学" in name else "primary"
            add(name, "school", capacities.get(name, 1080), spot(pid), pid, level=level)
        elif key == "hospital":
            add(name, "hospital", 120, spot(pid), pid)
        elif key == "civic_centre":
            add(name, "culture", 1200, spot(pid), pid)
        elif key == "government":
            add(name, "government", 0, spot(pid), pid)
    for name, (x, y) in plan.stations:
        add(name, "metro_station", 30000, shapely.Point(x, y), None, line="13号线")
    # Parks: every green parcel big enough; small ones are pocket parks.
    green = parcels[(parcels.land_use == "G")]
    for pid, p in green.sort_index().iterrows():
        a = p.geometry.area
        if a < 4000:
            continue
        sub = "park" if a >= 15000 else "pocket_park"
        add(p["name"].replace("绿地", "公园") if sub == "park" else p["name"].replace("绿地", "口袋公园"),
            "park", round(a / 10.0), p.geometry.point_on_surface(), pid, subtype=sub,
            area_m2=round(a, 1))
    # Homes: residential buildings outside the planted no-school zone host clinics and
    # elderly care; the no-school zone gets its share of elderly care too.
    homes = buildings[buildings.use == "R"].reset_index(drop=True)
    c = homes.geometry.centroid
    xy = np.column_stack([c.x.to_numpy(), c.y.to_numpy()])
    areas = parcels.area_name.reindex(homes.parcel_id).to_numpy()
    for k, i in enumerate(farthest_points(xy, 6, start=int(np.argmin(xy[:, 0]))), 1):
        add(f"{areas[i]}社区卫生服务站{k}", "clinic", int(rng.integers(8, 20)),
            shapely.Point(xy[i]), homes.parcel_id[i])
    care = farthest_points(xy, 25, start=int(np.argmax(xy[:, 1])))
    for k, i in enumerate(care, 1):
        centre = k <= 5
        label = "社区居家养老服务中心" if centre else f"社区居家养老服务驿站{k - 5:02d}"
        cap = int(rng.integers(40, 61)) if centre else int(rng.integers(10, 21))
        add(f"{areas[i]}{label}", "elderly_care", cap, shapely.Point(xy[i]),
            homes.parcel_id[i], subtype="centre" if centre else "station")
    frame = gpd.GeoDataFrame(rows, geometry="geometry")
    frame.insert(0, "id", [f"F{i:03d}" for i in range(1, len(frame) + 1)])
    return frame
