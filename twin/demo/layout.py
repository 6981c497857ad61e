"""The town plan of the Boli demo: roads, rivers, metro line 13 and ~300 parcels.

Everything here is in *local* metres: x east and y north of :data:`ORIGIN`, the south-west
corner of a 6 km × 4 km town box in the working CRS (EPSG:4549). The box is centred near
35.73°N 119.90°E. Hills rise to the north and west; the coast lies south and east. The
writers in :mod:`twin.demo.build` shift to absolute coordinates and reproject to WGS84.

The plan is deterministic: a seeded :class:`numpy.random.Generator` makes every choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, box
from shapely.ops import polygonize, unary_union

__all__ = [
    "SEED",
    "ORIGIN",
    "TOWN_SIZE",
    "Plan",
    "ZONES",
    "LIMITS",
    "make_plan",
    "zone_of",
]

SEED = 20260722
ORIGIN = (488000.0, 3953600.0)
"""South-west corner of the town box in EPSG:4549 (about 35.712°N, 119.867°E)."""
TOWN_SIZE = (6000.0, 4000.0)

# Road grid: (position, name or None, class, red-line width in metres).
Y_ROADS = [
    (200, "滨海大道", "arterial", 50), (600, "临港路", "secondary", 30),
    (1000, "泊里一路", "arterial", 40), (1400, None, "branch", 20),
    (1800, "泊里二路", "secondary", 30), (2200, "泊里大街", "arterial", 40),
    (2600, None, "branch", 20), (3000, "泊里三路", "secondary", 30),
    (3400, None, "branch", 20), (3800, "北环路", "arterial", 40),
]
X_ROADS = [
    (250, None, "branch", 20), (750, None, "branch", 20), (1250, "小庄路", "arterial", 40),
    (1750, None, "branch", 20), (2250, "横河路", "secondary", 30), (2750, None, "branch", 20),
    (3250, "泊里中路", "arterial", 40), (3750, None, "branch", 20),
    (4250, "董家口路", "arterial", 40), (4750, None, "branch", 20),
    (5250, "氢能大道", "secondary", 30), (5750, "疏港路", "arterial", 50),
]

# Rivers flow from the hills (north-west) to the coast (south-east); they run past the
# town box so that the DEM valleys reach the sea.
RIVERS = [
    ("横河", 30.0, 30.0, [(300, 4300), (800, 3700), (1500, 3150), (2000, 2500), (2450, 1900),
                          (2600, 1300), (2500, 700), (2700, -400)]),
    ("辛庄河", 20.0, 20.0, [(-300, 2900), (300, 2300), (700, 1500), (1100, 900), (1500, 300),
                            (1600, -400)]),
    ("泊里河", 15.0, 15.0, [(3900, 4300), (3800, 3600), (3950, 2900), (3850, 2300), (3950, 1600),
                            (3800, 900), (3900, 300), (3850, -400)]),
    ("董家口河", 25.0, 25.0, [(4500, 4300), (4800, 3500), (5150, 2600), (5500, 1800),
                              (5900, 1200), (6450, 900)]),
]

# Metro line 13 (Qingdao → 董家口火车站) runs under 疏港路 and 泊里一路, so that its
# protection corridor stays inside road red lines; its three stations in the town.
METRO_LINE = [(5750, 4500), (5750, 1000), (-400, 1000)]
METRO_STATIONS = [("泊里站", (3250, 1000)), ("董家口港站", (5750, 1400)),
                  ("董家口火车站", (700, 1000))]

ZONES = {
    "oldtown": "泊里老城",
    "newtown": "泊里新城",
    "fengtai": "丰台/小庄/营上安置区",
    "dongjiakou": "董家口安置区",
    "lingang": "临港安置区",
    "hydrogen": "氢能产业园",
    "port": "董家口港物流区",
    "logistics": "临港物流区",
    "southwest": "西南配套区",
    "north": "北部村庄",
    "hills": "西北山地",
}

# Control limits per land-use subclass: max_far, max_density, max_height_m, min_green_ratio.
LIMITS = {
    "R2-resettle": (2.5, 0.25, 60.0, 0.35),
    "R2": (2.0, 0.28, 45.0, 0.35),
    "R2-old": (1.4, 0.45, 18.0, 0.20),
    "R3": (0.9, 0.40, 12.0, 0.15),
    "B1": (2.5, 0.45, 50.0, 0.20),
    "A1": (1.5, 0.35, 30.0, 0.35),
    "A2": (1.2, 0.35, 30.0, 0.35),
    "A33": (0.8, 0.30, 24.0, 0.35),
    "A51": (1.5, 0.35, 40.0, 0.35),
    "M1": (1.2, 0.50, 24.0, 0.15),
    "W1": (1.0, 0.55, 24.0, 0.10),
    "S4": (0.5, 0.30, 15.0, 0.20),
    "U1": (0.6, 0.35, 15.0, 0.30),
    "G1": (0.05, 0.03, 8.0, 0.70),
    "G2": (0.05, 0.03, 8.0, 0.70),
    "E2": (0.0, 0.0, 0.0, 0.0),
}

# Land-use mix of ordinary parcels per zone: {subclass: weight}.
_MIX = {
    "oldtown": {"R2-old": 0.6, "B1": 0.3, "G2": 0.1},
    "newtown": {"R2": 0.6, "B1": 0.3, "G2": 0.1},
    "fengtai": {"R2-resettle": 0.92, "G2": 0.08},
    "dongjiakou": {"R2-resettle": 0.92, "G2": 0.08},
    "lingang": {"R2-resettle": 0.92, "G2": 0.08},
    "hydrogen": {"M1": 0.9, "U1": 0.05, "G2": 0.05},
    "port": {"W1": 0.8, "S4": 0.1, "U1": 0.1},
    "logistics": {"W1": 0.5, "B1": 0.3, "G2": 0.2},
    "southwest": {"W1": 0.5, "U1": 0.2, "G2": 0.3},
    "north": {"R3": 0.55, "E2": 0.35, "G2": 0.1},
    "hills": {"E2": 0.85, "G1": 0.15},
}

# Target parcel size (m²) per zone when a block is subdivided.
_TARGET_AREA = {"hydrogen": 110_000, "port": 80_000, "hills": 150_000, "north": 70_000}
_DEFAULT_TARGET = 52_000

# Parcels with a fixed purpose: key → (target point, subclass, name, typology).
DESIGNATED = {
    "civic_centre": ((3000, 1250), "A2", "市民文化中心", "civic"),
    "school_lingang": ((3450, 480), "A33", "临港安置区小学", "school"),
    "school_central": ((2950, 2420), "A33", "泊里镇中心小学", "school"),
    "school_middle": ((3450, 2800), "A33", "泊里中学", "school"),
    "school_dongjiakou": ((4950, 1600), "A33", "董家口安置区小学", "school"),
    "school_newtown": ((2600, 420), "A33", "泊里第二小学", "school"),
    "hospital": ((3600, 2050), "A51", "泊里镇中心卫生院", "hospital"),
    "government": ((3000, 2050), "A1", "泊里镇人民政府", "office"),
    "metro_boli": ((3500, 1250), "S4", "泊里站交通枢纽", "utility"),
    "railway_square": ((700, 650), "S4", "董家口火车站站前广场", "utility"),
    "substation": ((1500, 420), "U1", "泊里110kV变电站", "utility"),
    "water_plant": ((900, 420), "U1", "泊里水厂", "utility"),
    "central_park": ((2350, 1600), "G1", "横河公园", "park"),
    "coast_park": ((4500, 420), "G1", "滨海公园", "park"),
    "ifc_apartment": ((4600, 1300), "R2-resettle", "董家口安置区1号地块", "resettle"),
}


@dataclass
class Plan:
    """The town plan in local metres: roads, rivers, metro line and parcels."""

    roads: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    metro: gpd.GeoDataFrame
    stations: list[tuple[str, tuple[float, float]]]
    parcels: gpd.GeoDataFrame
    designated: dict[str, str]
    """Designated purpose → parcel id."""


def zone_of(x: float, y: float) -> str:
    """The planning zone of a local point (a key of :data:`ZONES`)."""
    if x < 1250 and y > 3000:
        return "hills"
    if x > 4250 and y > 2200:
        return "hydrogen"
    if x > 5250:
        return "port"
    if x < 1250 and y > 1000:
        return "fengtai"
    if 4250 < x and 1000 < y:
        return "dongjiakou"
    if 2750 < x <= 4250 and y <= 1000:
        return "lingang"
    if 2250 < x <= 3750 and 1800 < y <= 3000:
        return "oldtown"
    if y > 3000:
        return "north"
    if x <= 1250 and y <= 1000:
        return "southwest"
    if x > 4250 and y <= 1000:
        return "logistics"
    return "newtown"


def _chaikin(points, rounds: int = 3) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    for _ in range(rounds):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        pts = np.vstack([pts[:1], mid, pts[-1:]])
    return np.round(pts, 2)


def _roads(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Road centre lines: grid segments between crossings, merged into runs."""
    w, h = TOWN_SIZE
    xs = [0.0] + [r[0] for r in X_ROADS] + [w]
    ys = [0.0] + [r[0] for r in Y_ROADS] + [h]
    rows = []
    branch_no = {"x": 0, "y": 0}
    for axis, table, cuts in (("x", X_ROADS, ys), ("y", Y_ROADS, xs)):
        for pos, name, cls, width in table:
            keep = []
            for a, b in zip(cuts[:-1], cuts[1:]):
                mid = (a + b) / 2
                px, py = (pos, mid) if axis == "x" else (mid, pos)
                zone = zone_of(px, py)
                drop = False
                if cls == "branch":
                    drop = zone in ("hydrogen", "hills") or (zone == "port" and axis == "y")
                    drop = drop or rng.random() < 0.08
                if cls == "secondary" and zone == "hills":
                    drop = True
                keep.append(None if drop else (a, b))
            runs, cur = [], None
            for seg in keep:
                if seg is None:
                    if cur:
                        runs.append(cur)
                    cur = None
                elif cur is None:
                    cur = list(seg)
                else:
                    cur[1] = seg[1]
            if cur:
                runs.append(cur)
            if not runs:
                continue
            if name is None:
                branch_no[axis] += 1
                label = f"规划{'经' if axis == 'x' else '纬'}{branch_no[axis]}路"
            else:
                label = name
            for a, b in runs:
                line = (LineString([(pos, a), (pos, b)]) if axis == "x"
                        else LineString([(a, pos), (b, pos)]))
                rows.append({"name": label, "road_class": cls, "width_m": float(width),
                             "municipal": name is not None, "geometry": line})
    frame = gpd.GeoDataFrame(rows, geometry="geometry")
    frame.insert(0, "id", [f"RD{i:03d}" for i in range(1, len(frame) + 1)])
    return frame


def _rivers() -> gpd.GeoDataFrame:
    rows = []
    for i, (name, width, setback, pts) in enumerate(RIVERS, start=1):
        rows.append({"id": f"RV{i}", "name": name, "width_m": width, "setback_m": setback,
                     "geometry": LineString(_chaikin(pts))})
    return gpd.GeoDataFrame(rows, geometry="geometry")


def _metro() -> gpd.GeoDataFrame:
    line = LineString(METRO_LINE)
    return gpd.GeoDataFrame([{"id": "M13", "name": "青岛地铁13号线", "road_class": "metro",
                              "width_m": 12.0, "geometry": line}], geometry="geometry")


def _split(poly, n: int):
    """Cut ``poly`` into ``n`` strips across the long side of its bounding box."""
    if n <= 1:
        return [poly]
    minx, miny, maxx, maxy = poly.bounds
    out = []
    if maxx - minx >= maxy - miny:
        edges = np.linspace(minx, maxx, n + 1)
        cells = [box(a, miny - 1, b, maxy + 1) for a, b in zip(edges[:-1], edges[1:])]
    else:
        edges = np.linspace(miny, maxy, n + 1)
        cells = [box(minx - 1, a, maxx + 1, b) for a, b in zip(edges[:-1], edges[1:])]
    for cell in cells:
        piece = poly.intersection(cell)
        out.extend(_polygons(piece))
    return out


def _polygons(geom):
    if geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]


def _parcels(roads, rivers, rng: np.random.Generator):
    w, h = TOWN_SIZE
    frame = box(0, 0, w, h)
    lines = list(roads.geometry) + [frame.exterior]
    blocks = list(polygonize(unary_union(lines)))
    road_zone = unary_union([g.buffer(wd / 2, cap_style="flat", join_style="mitre")
                             for g, wd in zip(roads.geometry, roads.width_m)])
    river_zone = unary_union([g.buffer(wd / 2 + 2.0) for g, wd in zip(rivers.geometry,
                                                                        rivers.width_m)])
    cut = unary_union([road_zone, river_zone])
    pieces = []
    blocks.sort(key=lambda p: (round(p.centroid.y), round(p.centroid.x)))
    for block in blocks:
        for piece in _polygons(block.difference(cut)):
            piece = shapely.set_precision(piece, 0.01)
            if piece.area < 1500:
                continue
            c = piece.centroid
            zone = zone_of(c.x, c.y)
            target = _TARGET_AREA.get(zone, _DEFAULT_TARGET)
            n = int(min(4, max(1, round(piece.area / target))))
            for part in _split(piece, n):
                if part.area >= 1500:
                    pieces.append((part, zone))
    rows = []
    for part, zone in pieces:
        c = part.centroid
        if part.area < 6000:
            sub = "G2"
        else:
            mix = _MIX[zone]
            keys = list(mix)
            p = np.array([mix[k] for k in keys])
            sub = keys[int(rng.choice(len(keys), p=p / p.sum()))]
        rows.append({"zone": zone, "land_use_sub": sub, "px": c.x, "py": c.y,
                     "geometry": shapely.normalize(part)})
    parcels = gpd.GeoDataFrame(rows, geometry="geometry")
    parcels = parcels.sort_values(["py", "px"], ascending=[False, True]).reset_index(drop=True)
    parcels["designation"] = ""
    parcels["name_fixed"] = ""
    parcels["typology"] = ""
    designated = {}
    taken: set[int] = set()
    for key, ((tx, ty), sub, name, typology) in DESIGNATED.items():
        d = np.hypot(parcels.px - tx, parcels.py - ty)
        big = parcels.geometry.area >= (15000 if typology != "utility" else 8000)
        order = np.argsort(np.where(big, d, d + 1e6), kind="stable")
        idx = next(int(i) for i in order if int(i) not in taken)
        taken.add(idx)
        parcels.loc[idx, ["land_use_sub", "designation", "name_fixed", "typology"]] = [
            sub, key, name, typology]
        designated[key] = idx
    parcels.insert(0, "id", [f"P{i:03d}" for i in range(1, len(parcels) + 1)])
    parcels["land_use"] = parcels.land_use_sub.str[0]
    lim = np.array([LIMITS[s] for s in parcels.land_use_sub])
    parcels["max_far"], parcels["max_density"] = lim[:, 0], lim[:, 1]
    parcels["max_height_m"], parcels["min_green_ratio"] = lim[:, 2], lim[:, 3]
    typ = {"R2-resettle": "resettle", "R2": "residential", "R2-old": "oldtown",
           "R3": "village", "B1": "commercial", "M1": "industrial", "W1": "warehouse",
           "S4": "utility", "U1": "utility", "G1": "park", "G2": "park", "E2": "none",
           "A1": "office", "A2": "civic", "A33": "school", "A51": "hospital"}
    blank = parcels.typology == ""
    parcels.loc[blank, "typology"] = parcels.loc[blank, "land_use_sub"].map(typ)
    counters: dict[str, int] = {}
    names = []
    for zone, sub, fixed in zip(parcels.zone, parcels.land_use_sub, parcels.name_fixed):
        if fixed:
            names.append(fixed)
            continue
        key = f"{zone}-{sub[0]}"
        counters[key] = counters.get(key, 0) + 1
        kind = {"G": "绿地", "E": "非建设用地"}.get(sub[0], "地块")
        names.append(f"{ZONES[zone]}{sub[0]}-{counters[key]:02d}{kind}")
    parcels["name"] = names
    parcels["area_name"] = parcels.zone.map(ZONES)
    parcels = parcels.drop(columns=["px", "py", "name_fixed"])
    cols = ["id", "name", "land_use", "land_use_sub", "max_far", "max_density",
            "max_height_m", "min_green_ratio", "zone", "area_name", "designation", "typology",
            "geometry"]
    ids = {key: parcels.id.iloc[i] for key, i in designated.items()}
    return parcels[cols], ids


def make_plan(rng: np.random.Generator) -> Plan:
    """Draw the town plan with ``rng``."""
    roads = _roads(rng)
    rivers = _rivers()
    metro = _metro()
    parcels, designated = _parcels(roads, rivers, rng)
    return Plan(roads=roads, rivers=rivers, metro=metro, stations=list(METRO_STATIONS),
                parcels=parcels, designated=designated)


def point(xy) -> Point:
    """A shapely point from an ``(x, y)`` pair (local metres)."""
    return Point(float(xy[0]), float(xy[1]))


def summary(plan: Plan) -> pd.Series:
    """Parcel counts per land-use subclass (a quick look while tuning the plan)."""
    return plan.parcels.land_use_sub.value_counts()
