"""``select`` and ``setbacks`` give the same answers on both backends: the embedded
GeoParquet store (shapely STRtree) and PostGIS (ST_DWithin pushed down to the server)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from postgis_server import fresh_postgis_store

from twin.io.report import LayerData
from twin.query import get_query
from twin.query.inputs import QueryInputs
from twin.store import ParquetStore

pytestmark = pytest.mark.postgis

X0, Y0 = 491_000.0, 3_954_000.0


def synthetic_town(n: int = 1500, seed: int = 7) -> list[LayerData]:
    """Buildings on a 2 × 2 km grid with jitter, two rivers (a centreline and a water
    polygon), roads of three classes, and buildings placed exactly on a setback line."""
    rng = np.random.default_rng(seed)
    x = X0 + rng.uniform(0, 2000, n)
    y = Y0 + rng.uniform(0, 2000, n)
    w = rng.uniform(8, 30, n)
    h = rng.uniform(8, 20, n)
    geoms = list(shapely.box(x, y, x + w, y + h))
    ids = [f"B{i:05d}" for i in range(n)]
    # on the line: the river centreline is x = X0 + 1000, width 20, setback 30 → 40 m
    geoms += [shapely.box(X0 + 1040, Y0 + 500, X0 + 1060, Y0 + 520),      # exactly 40: complies
              shapely.box(X0 + 1039.999, Y0 + 600, X0 + 1060, Y0 + 620)]  # 1 mm inside
    ids += ["EDGE-OK", "EDGE-BAD"]
    m = len(geoms)
    uses = np.array(["R", "B", "M", "A"])[rng.integers(0, 4, m)]
    buildings = gpd.GeoDataFrame({
        "id": ids, "name": [f"楼{i}" for i in range(m)], "use": uses,
        "height_m": np.round(rng.uniform(6, 80, m), 1),
        "floors": pd.array(rng.integers(1, 25, m), dtype="Int64"),
        "base_elev_m": np.zeros(m), "gfa_m2": np.round(rng.uniform(100, 9000, m), 1),
        "source": ["synthetic"] * m, "ifc_guid": pd.array([None] * m, dtype="string"),
    }, geometry=geoms, crs="EPSG:4549")
    rivers = gpd.GeoDataFrame({
        "id": ["W1", "W2"], "name": ["白马河", "横河"], "width_m": [20.0, np.nan],
        "setback_m": [30.0, 15.0]},
        geometry=[shapely.LineString([(X0 + 1000, Y0 - 10), (X0 + 1000, Y0 + 2010)]),
                  shapely.Polygon([(X0, Y0 + 1500), (X0 + 800, Y0 + 1450),
                                   (X0 + 800, Y0 + 1480), (X0, Y0 + 1540)])],
        crs="EPSG:4549")
    roads = gpd.GeoDataFrame({
        "id": ["R1", "R2", "R3"], "name": ["泊里大道", "港湾路", "滨河路"],
        "road_class": ["primary", "secondary", "local"], "width_m": [40.0, 24.0, 12.0]},
        geometry=[shapely.LineString([(X0 - 10, Y0 + 700), (X0 + 2010, Y0 + 760)]),
                  shapely.LineString([(X0 + 300, Y0 - 10), (X0 + 350, Y0 + 2010)]),
                  shapely.LineString([(X0 + 1200, Y0 + 100), (X0 + 1900, Y0 + 1900)])],
        crs="EPSG:4549")
    # a second building layer (as an IFC's LOD1 footprints would be)
    extra = buildings.iloc[:40].copy()
    extra["id"] = [f"IFC{i}" for i in range(40)]
    extra["source"] = "ifc"
    extra = extra.reset_index(drop=True)
    return [LayerData("building", "building", buildings), LayerData("river", "river", rivers),
            LayerData("road", "road", roads), LayerData("ifc_lod1", "building", extra)]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same town in a parquet store and in a PostGIS store."""
    town = synthetic_town()
    parquet = ParquetStore(tmp_path_factory.mktemp("town") / "layers")
    parquet.commit(town)
    pg = fresh_postgis_store("p")
    pg.commit(town)
    yield parquet, pg
    pg.destroy()
    pg.close()


def _same(a, b) -> None:
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.layer, b.layer)
    pd.testing.assert_frame_equal(a.table.reset_index(drop=True), b.table.reset_index(drop=True))


SETBACK_PARAMS = [
    {},
    {"road_setback_m": 5.0},
    {"road_setback_by_class": "primary=10,secondary=5", "rivers": False},
    {"roads": False},
]


@pytest.mark.parametrize("params", SETBACK_PARAMS, ids=lambda p: ",".join(p) or "defaults")
def test_setbacks_identical_on_both_backends(both, params):
    parquet, pg = both
    spec = get_query("setbacks")
    a = spec.run(QueryInputs(parquet), **{**spec.defaults(), **params})
    b = spec.run(QueryInputs(pg), **{**spec.defaults(), **params})
    assert "PostGIS ST_DWithin" in b.methods["engine"]
    assert "PostGIS" not in a.methods["engine"]
    assert a.summary["violating_buildings"] > 0
    _same(a, b)
    if params.get("rivers", True):
        ids = set(a.layer["id"])
        assert "EDGE-BAD" in ids and "EDGE-OK" not in ids


SELECT_PARAMS = [
    {"near": "river", "distance_m": 50.0},
    {"near": "river:横河", "distance_m": 80.0, "where": "height_m > 24"},
    {"near": "road", "predicate": "intersects", "keyword": "楼1"},
    {"near": "POLYGON ((491100 3954100, 491900 3954100, 491900 3954900, 491100 3954900, "
             "491100 3954100))", "predicate": "within"},
    {"near": "POINT (491500 3955500)", "predicate": "dwithin", "distance_m": 300.0},
    {"near": "POINT (492050 3954510)", "predicate": "contains"},  # inside EDGE-OK
    {"layer": "ifc_lod1", "near": "road", "distance_m": 200.0},
]


@pytest.mark.parametrize("params", SELECT_PARAMS, ids=range(len(SELECT_PARAMS)))
def test_select_identical_on_both_backends(both, params):
    parquet, pg = both
    spec = get_query("select")
    a = spec.run(QueryInputs(parquet), **{**spec.defaults(), **params})
    b = spec.run(QueryInputs(pg), **{**spec.defaults(), **params})
    assert "PostGIS ST_DWithin" in b.methods["engine"]
    assert a.summary == b.summary and a.summary["matched"] > 0
    pd.testing.assert_frame_equal(a.layer, b.layer)


def test_pushdown_reads_only_candidates_and_can_be_turned_off(both, monkeypatch):
    parquet, pg = both
    spec = get_query("setbacks")
    b = spec.run(QueryInputs(pg), **spec.defaults())
    read = int(b.methods["engine"].split("(")[1].split(" of ")[0])
    assert read < b.summary["buildings_checked"] / 2
    monkeypatch.setenv("TWIN_PUSHDOWN", "0")
    c = spec.run(QueryInputs(pg), **spec.defaults())
    assert "PostGIS" not in c.methods["engine"]
    _same(b, c)


def test_scenario_frames_and_bbox_take_the_embedded_path(both):
    _, pg = both
    spec = get_query("setbacks")
    edited = pg.read("building").iloc[:100]
    res = spec.run(QueryInputs(pg, frames={"building": edited}), **spec.defaults())
    assert "PostGIS" not in res.methods["engine"]
    assert res.summary["buildings_checked"] == 100
    res = spec.run(QueryInputs(pg, bbox=(X0, Y0, X0 + 500, Y0 + 500)), **spec.defaults())
    assert "PostGIS" not in res.methods["engine"]


def test_dwithin_rows_match_shapely(both):
    _, pg = both
    frame = pg.read("building")
    refs = [shapely.Point(X0 + 700, Y0 + 700), shapely.LineString([(X0, Y0), (X0 + 50, Y0 + 900)])]
    got = pg.dwithin_rows("building", refs, [120.0, 35.0])
    tree = shapely.STRtree(frame.geometry.to_numpy())
    _, expect = tree.query(np.array(refs, dtype=object), predicate="dwithin",
                           distance=np.array([120.0, 35.0]))
    assert list(got) == sorted(set(expect.tolist()))
    polygon = [shapely.box(X0 + 900, Y0 + 900, X0 + 1300, Y0 + 1200)]
    _, touching = tree.query(np.array(polygon, dtype=object), predicate="intersects")
    assert list(pg.intersects_rows("building", polygon)) == sorted(touching.tolist())
    rows = pg.read_rows("building", got[:5])
    assert list(rows.index) == list(got[:5])
    assert list(rows["id"]) == list(frame["id"].iloc[got[:5]])


# -- the Boli demo twin on both backends ---------------------------------------------------
@pytest.fixture(scope="module")
def demo_both(tmp_path_factory):
    """``twin demo`` into a parquet store and, from the same sources, into PostGIS."""
    from twin.cli import main

    pg = fresh_postgis_store("demo")
    root = tmp_path_factory.mktemp("demo")
    assert main(["--store", str(root / "layers"), "demo", "--data", str(root / "boli")]) == 0
    assert main(["--store", pg.url, "demo", "--data", str(root / "boli")]) == 0
    yield ParquetStore(root / "layers"), pg
    pg.destroy()
    pg.close()


@pytest.mark.slow
def test_demo_twin_reads_the_same_from_both_backends(demo_both):
    from twin.store.postgis import data_sha256

    parquet, pg = demo_both
    assert [(i.name, i.kind, i.rows, i.bbox) for i in parquet.layers()] == [
        (i.name, i.kind, i.rows, i.bbox) for i in pg.layers()]
    assert "bim_element" in pg.layers_of_kind("bim_element")
    for info in parquet.layers():
        assert data_sha256(parquet.read(info.name)) == data_sha256(pg.read(info.name)), info.name


DEMO_SELECT = [
    {"near": "river", "distance_m": 50.0},
    {"near": "parcel:R", "predicate": "intersects"},
    {"near": "parcel", "predicate": "within", "keyword": "1"},
    {"near": "road", "distance_m": 30.0},
    {"near": "river", "distance_m": 120.0, "where": "height_m > 15"},
    {"layer": "facility", "near": "river", "distance_m": 300.0},
    {"layer": "parcel", "near": "metro", "distance_m": 500.0},
]


@pytest.mark.slow
@pytest.mark.parametrize("params", DEMO_SELECT, ids=range(len(DEMO_SELECT)))
def test_demo_select_identical_ids(demo_both, params):
    parquet, pg = demo_both
    spec = get_query("select")
    a = spec.run(QueryInputs(parquet), **{**spec.defaults(), **params})
    b = spec.run(QueryInputs(pg), **{**spec.defaults(), **params})
    assert "PostGIS ST_DWithin" in b.methods["engine"]
    assert a.summary == b.summary and a.summary["matched"] > 0
    assert list(a.layer["id"]) == list(b.layer["id"])
    pd.testing.assert_frame_equal(a.layer, b.layer)


@pytest.mark.slow
@pytest.mark.parametrize("params", SETBACK_PARAMS, ids=lambda p: ",".join(p) or "defaults")
def test_demo_setbacks_identical_ids(demo_both, params):
    parquet, pg = demo_both
    spec = get_query("setbacks")
    a = spec.run(QueryInputs(parquet), **{**spec.defaults(), **params})
    b = spec.run(QueryInputs(pg), **{**spec.defaults(), **params})
    assert "PostGIS ST_DWithin" in b.methods["engine"]
    assert list(a.layer["id"]) == list(b.layer["id"])
    _same(a, b)
