"""A small hand-built town committed straight into a store, for the app, render and browser
tests: parcels, roads, a river, LOD1 buildings (one of them an IFC building with BIM element
meshes), facilities, sensors and their readings. Coordinates are near Boli (119.90E, 35.73N)
in the working CRS."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.crs import transform_xy, working_crs
from twin.io.report import LayerData

__all__ = ["ORIGIN", "box_mesh", "town_layers", "build_town", "synthetic_buildings"]


def _origin():
    x, y = transform_xy([119.90], [35.73], "EPSG:4326", working_crs())
    return float(x[0]), float(y[0])


ORIGIN = _origin()


def _frame(data: dict, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=working_crs())


def box_mesh(dx: float, dy: float, dz: float) -> tuple[bytes, bytes]:
    """A box of ``dx`` × ``dy`` × ``dz`` metres as (float32 vertex bytes, uint32 face bytes)."""
    v = np.array([[x, y, z] for z in (0, dz) for y in (0, dy) for x in (0, dx)], dtype="<f4")
    f = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                  [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]], dtype="<u4")
    return v.tobytes(), f.tobytes()


def town_layers() -> list[LayerData]:
    """The layers of the small town."""
    x0, y0 = ORIGIN
    parcels = _frame({
        "id": ["P1", "P2", "P3"], "name": ["居住<地块>", "商业地块", "绿地"],
        "land_use": ["R2", "B1", "G1"], "max_far": [2.5, 0.5, 0.1],
        "max_density": [0.3, 0.4, 0.05], "max_height_m": [60.0, 12.0, 5.0],
        "min_green_ratio": [0.35, 0.2, 0.8],
    }, [shapely.box(x0, y0, x0 + 300, y0 + 200), shapely.box(x0 + 320, y0, x0 + 600, y0 + 200),
        shapely.box(x0, y0 + 220, x0 + 600, y0 + 400)])
    roads = _frame({"id": ["R1", "R2"], "name": ["滨海大道", "泊里路"],
                    "road_class": ["arterial", "branch"], "width_m": [30.0, 12.0]},
                   [shapely.LineString([(x0 - 50, y0 + 210), (x0 + 650, y0 + 210)]),
                    shapely.LineString([(x0 + 310, y0 - 50), (x0 + 310, y0 + 450)])])
    rivers = _frame({"id": ["W1"], "name": ["白马河"], "width_m": [40.0], "setback_m": [30.0]},
                    [shapely.box(x0 - 200, y0 - 200, x0 + 700, y0 - 120)])
    rows = []
    for i in range(12):
        bx, by = x0 + 20 + (i % 6) * 45, y0 + 20 + (i // 6) * 80
        rows.append((f"B{i + 1}", f"楼{i + 1}", "residential" if i < 8 else "commercial",
                     12.0 + 6 * i, 4 + 2 * i, shapely.box(bx, by, bx + 30, by + 50)))
    rows.append(("IFC-B1", "港务大楼", "public", 18.0, 5,
                 shapely.box(x0 + 400, y0 + 60, x0 + 440, y0 + 100)))
    buildings = _frame({
        "id": [r[0] for r in rows], "name": [r[1] for r in rows], "use": [r[2] for r in rows],
        "height_m": [r[3] for r in rows], "floors": [r[4] for r in rows],
        "base_elev_m": [0.0] * len(rows), "gfa_m2": [np.nan] * len(rows),
        "source": ["test"] * len(rows), "ifc_guid": [None] * (len(rows) - 1) + ["IFC-B1"],
    }, [r[5] for r in rows])
    elements = []
    specs = [("IfcSlab", "0", 0.0, (40, 40, 0.3)), ("IfcWall", "0", 0.3, (40, 0.3, 17.7)),
             ("IfcWall", "0", 0.3, (0.3, 40, 17.7)), ("IfcRoof", "R", 18.0, (40, 40, 0.5))]
    for j, (cls, storey, z, (dx, dy, dz)) in enumerate(specs):
        verts, faces = box_mesh(dx, dy, dz)
        elements.append({
            "guid": f"2O2Fr$t4X7Zf8NOew3FL{j:02d}", "ifc_class": cls, "name": f"{cls} <{j}>",
            "storey": storey, "building_id": "IFC-B1", "elev_m": z,
            "psets": json.dumps({"Pset_Common": {"IsExternal": True, "Note": "<b>x</b>"}}),
            "origin_x": x0 + 400, "origin_y": y0 + 60, "origin_z": 3.0 + z,
            "mesh_vertices": verts, "mesh_faces": faces,
            "geometry": shapely.box(x0 + 400, y0 + 60, x0 + 400 + dx, y0 + 60 + dy),
        })
    bim = gpd.GeoDataFrame(elements, geometry="geometry", crs=working_crs())
    facilities = _frame({"id": ["F1", "F2"], "name": ["泊里小学", "卫生院"],
                         "kind": ["school", "clinic"], "capacity": [1200.0, 80.0]},
                        [shapely.Point(x0 + 150, y0 + 300), shapely.Point(x0 + 500, y0 + 300)])
    sensors = _frame({"id": ["S1", "S2"], "kind": ["water_level", "rain"], "unit": ["m", "mm"],
                      "threshold": [2.5, 50.0]},
                     [shapely.Point(x0 + 100, y0 - 160), shapely.Point(x0 + 500, y0 - 160)])
    times = pd.date_range("2026-07-01", periods=6, freq="h").strftime("%Y-%m-%dT%H:%M:%S")
    readings = pd.DataFrame({
        "sensor_id": ["S1"] * 6 + ["S2"] * 6, "time": list(times) * 2,
        "value": [1.8, 2.0, 2.2, 2.4, 2.6, 2.9, 0, 5, 10, 3, 1, 0],
    })
    return [LayerData("parcels", "parcel", parcels), LayerData("roads", "road", roads),
            LayerData("rivers", "river", rivers), LayerData("buildings", "building", buildings),
            LayerData("bim", "bim_element", bim), LayerData("facilities", "facility", facilities),
            LayerData("sensors", "sensor", sensors),
            LayerData("readings", "sensor_reading", readings)]


def build_town(store):
    """Commit the small town into ``store``; returns the store."""
    store.commit(town_layers(), report={"source": "tests/small_town.py"}, note="small town")
    return store


def synthetic_buildings(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` rectangular LOD1 buildings on a 40 m grid (for payload and speed benchmarks)."""
    rng = np.random.default_rng(seed)
    x0, y0 = ORIGIN
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    gx = (i % side) * 40.0 + x0
    gy = (i // side) * 40.0 + y0
    w = rng.uniform(10, 25, n)
    d = rng.uniform(10, 25, n)
    uses = np.array(["residential", "commercial", "public", "industrial"])[rng.integers(0, 4, n)]
    return gpd.GeoDataFrame({
        "id": [f"B{k}" for k in range(n)], "name": [None] * n, "use": uses,
        "height_m": np.round(rng.uniform(6, 80, n), 1), "floors": rng.integers(2, 25, n),
        "base_elev_m": np.zeros(n), "gfa_m2": np.full(n, np.nan), "source": ["synthetic"] * n,
        "ifc_guid": [None] * n,
    }, geometry=shapely.box(gx, gy, gx + w, gy + d), crs=working_crs())
