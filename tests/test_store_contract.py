"""The store contract, run against BOTH backends: the embedded GeoParquet store (a temporary
folder) and the PostGIS store (a fresh schema on ``$TWIN_TEST_PG`` per test).

Parquet-only behaviour (SIGKILL mid-write, concurrent importers on a folder) is in
test_store_parquet.py; PostGIS concurrency and kills are in test_postgis_concurrency.py.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from twin.errors import SchemaError, StoreError
from twin.io.report import LayerData
from twin.store import ParquetStore
from twin.store.copy import copy_store
from twin.store.postgis import PostGISStore, data_sha256

X0, Y0 = 491_000.0, 3_954_000.0


def buildings(n: int, *, height: float = 10.0, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` square buildings scattered over 5 × 4 km of Boli, with every building column."""
    rng = np.random.default_rng(seed)
    xs = X0 + rng.uniform(0, 5000, n)
    ys = Y0 + rng.uniform(0, 4000, n)
    return gpd.GeoDataFrame(
        {
            "id": [f"b{i}" for i in range(n)],
            "name": [f"楼{i}" for i in range(n)],
            "use": pd.array(["R", "B", None, "M"] * (n // 4) + ["R"] * (n % 4), dtype="string"),
            "height_m": np.full(n, height),
            "floors": pd.array([3, None] * (n // 2) + [3] * (n % 2), dtype="Int64"),
            "base_elev_m": rng.uniform(2, 8, n),
            "gfa_m2": np.where(np.arange(n) % 5 == 0, np.nan, 300.0),
            "source": ["test"] * n,
            "ifc_guid": pd.array([None] * n, dtype="string"),
        },
        geometry=[box(x, y, x + 10, y + 12) for x, y in zip(xs, ys)],
        crs="EPSG:4549",
    )


def bim_elements(n: int = 4) -> gpd.GeoDataFrame:
    """BIM elements with binary mesh columns (float32 vertices, uint32 faces)."""
    verts = [np.arange(9 * (i + 1), dtype=np.float32).tobytes() for i in range(n)]
    faces = [np.array([0, 1, 2] * (i + 1), dtype=np.uint32).tobytes() for i in range(n)]
    faces[0] = b""  # an element without faces still round-trips
    return gpd.GeoDataFrame(
        {
            "guid": [f"2O2Fr$t4X7Zf8NOew3FL{i:02d}" for i in range(n)],
            "ifc_class": ["IfcWall"] * n,
            "name": [f"墙{i}" for i in range(n)],
            "storey": ["1F"] * n,
            "building_id": ["b0"] * n,
            "elev_m": np.arange(n, dtype=float),
            "psets": [json.dumps({"Pset_WallCommon": {"IsExternal": bool(i % 2)}}) for i in range(n)],
            "mesh_vertices": verts,
            "mesh_faces": faces,
        },
        geometry=[box(X0 + i, Y0, X0 + i + 0.2, Y0 + 5) for i in range(n)],
        crs="EPSG:4549",
    )


def roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["r1", "r2"], "name": ["泊里大道", "港湾路"], "road_class": ["primary", "local"],
         "width_m": [30.0, 12.0]},
        geometry=[LineString([(X0, Y0), (X0 + 5000, Y0 + 10)]),
                  LineString([(X0, Y0 + 2000), (X0 + 10, Y0 + 4000)])],
        crs="EPSG:4549",
    )


def storeys() -> pd.DataFrame:
    return pd.DataFrame({"building_id": ["b0", "b0"], "guid": ["s1", "s2"],
                         "name": ["1F", "2F"], "elev_m": [0.0, 3.3]})


def terrain_bytes() -> bytes:
    """A real little GeoTIFF made with rasterio."""
    import rasterio
    from rasterio.io import MemoryFile
    from rasterio.transform import from_origin

    data = np.arange(16, dtype=np.float32).reshape(4, 4)
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=4, height=4, count=1, dtype="float32",
                      crs="EPSG:4549", transform=from_origin(X0, Y0 + 40, 10, 10)) as dst:
            dst.write(data, 1)
        raw = mem.read()
    with rasterio.MemoryFile(raw) as mem, mem.open() as src:
        assert src.read(1)[0, 1] == 1.0
    return raw


def leftovers(store) -> list[str]:
    """Data written but referenced by no version: orphan files or unreferenced tables."""
    if isinstance(store, ParquetStore):
        return [str(p) for p in store.orphans()]
    import psycopg

    with psycopg.connect(store._dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (store.data_schema,))}
        known = set()
        if conn.execute("SELECT to_regclass(%s)", (f'"{store.schema}".versions',)).fetchone()[0]:
            known = {r[0] for r in conn.execute(
                f'SELECT table_name FROM "{store.schema}".versions')}
    return sorted(tables - known)


def snapshot(store) -> list:
    """What a reader of the store sees: layers, every version's metadata, scenarios."""
    out = [[i.to_dict() for i in store.layers()], store.scenarios()]
    for info in store.layers():
        out.append([v.to_dict() for v in store.versions(info.name)])
    return out


# -- round trips -------------------------------------------------------------------------
def test_geometry_layer_round_trips_exactly(any_store):
    gdf = buildings(50)
    assert any_store.commit([LayerData("building", "building", gdf)],
                            report={"source": "b.geojson", "source_sha256": "ab" * 32}) == {
        "building": 1}
    got = any_store.read("building")
    pd.testing.assert_frame_equal(got, gdf)
    assert got.crs.to_epsg() == 4549
    assert data_sha256(got) == data_sha256(gdf)
    [info] = any_store.layers()
    assert (info.name, info.kind, info.current, info.versions, info.rows) == (
        "building", "building", 1, 1, 50)
    assert info.bbox == [round(float(v), 3) for v in gdf.total_bounds]
    assert info.source == "b.geojson"
    assert any_store.kind_of("building") == "building"
    assert any_store.layers_of_kind("building") == ["building"]


def test_tables_rasters_and_lines_round_trip(any_store):
    raw = terrain_bytes()
    versions = any_store.commit([
        LayerData("storey", "storey", storeys()),
        LayerData("terrain", "terrain", raw),
        LayerData("road", "road", roads()),
    ])
    assert versions == {"storey": 1, "terrain": 1, "road": 1}
    pd.testing.assert_frame_equal(any_store.read("storey"), storeys())
    assert any_store.read("terrain") == raw
    assert any_store.raster_path("terrain").read_bytes() == raw
    pd.testing.assert_frame_equal(any_store.read("road"), roads())
    assert [i.name for i in any_store.layers()] == ["road", "storey", "terrain"]


def test_bim_meshes_round_trip_as_bytes(any_store):
    elems = bim_elements()
    any_store.commit([LayerData("bim_element", "bim_element", elems)])
    got = any_store.read("bim_element")
    pd.testing.assert_frame_equal(got, elems)
    verts = np.frombuffer(got.loc[2, "mesh_vertices"], dtype=np.float32)
    assert verts.shape == (27,) and verts[-1] == 26.0
    assert got.loc[0, "mesh_faces"] == b""
    if isinstance(any_store, PostGISStore):  # meshes are bytea next to their rows
        import psycopg

        with psycopg.connect(any_store._dsn) as conn:
            types = dict(conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s", (any_store.data_schema,)).fetchall())
            table = any_store.table_name("bim_element").split(".")[1].strip('"')
            srid, gtype = conn.execute(
                "SELECT srid, type FROM geometry_columns WHERE f_table_schema = %s "
                "AND f_table_name = %s", (any_store.data_schema, table)).fetchone()
            indexes = [r[0] for r in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                (any_store.data_schema, table))]
        assert types["mesh_vertices"] == "bytea" and types["mesh_faces"] == "bytea"
        assert (srid, gtype) == (4549, "GEOMETRY")  # the working CRS
        assert any("USING gist (geometry)" in d for d in indexes), indexes


def test_empty_layer_round_trips(any_store):
    empty = buildings(4).iloc[0:0].reset_index(drop=True)
    any_store.commit([LayerData("building", "building", empty)])
    got = any_store.read("building")
    assert len(got) == 0 and list(got.columns) == list(empty.columns)
    assert any_store.layers()[0].rows == 0


@pytest.mark.postgis
def test_backends_read_identical_frames(tmp_path, pg_store):
    parquet = ParquetStore(tmp_path / "layers")
    layers = [LayerData("building", "building", buildings(120, seed=3)),
              LayerData("bim_element", "bim_element", bim_elements(3))]
    parquet.commit(layers)
    pg_store.commit(layers)
    for name in ("building", "bim_element"):
        pd.testing.assert_frame_equal(parquet.read(name), pg_store.read(name))
    bbox = (X0 + 1000, Y0 + 1000, X0 + 2500, Y0 + 2200)
    pd.testing.assert_frame_equal(parquet.read("building", bbox=bbox, columns=["height_m", "id"]),
                                  pg_store.read("building", bbox=bbox, columns=["height_m", "id"]))


# -- reads with bbox and columns ---------------------------------------------------------
def test_bbox_read_keeps_rows_whose_box_meets_it(any_store):
    gdf = buildings(300, seed=1)
    any_store.commit([LayerData("building", "building", gdf)])
    bbox = (X0 + 1000, Y0 + 500, X0 + 3000, Y0 + 2500)
    got = any_store.read("building", bbox=bbox)
    b = gdf.bounds
    meets = (b.minx <= bbox[2]) & (b.maxx >= bbox[0]) & (b.miny <= bbox[3]) & (b.maxy >= bbox[1])
    assert 0 < len(got) < len(gdf)
    assert list(got["id"]) == list(gdf.loc[meets, "id"])  # same rows, same order
    assert len(any_store.read("building", bbox=(0, 0, 1, 1))) == 0


def test_columns_read_keeps_the_order_asked_and_the_geometry(any_store):
    any_store.commit([LayerData("building", "building", buildings(10))])
    assert list(any_store.read("building", columns=["id"]).columns) == ["id", "geometry"]
    got = any_store.read("building", columns=["height_m", "name", "height_m"])
    assert list(got.columns) == ["height_m", "name", "geometry"]
    any_store.commit([LayerData("storey", "storey", storeys())])
    assert list(any_store.read("storey", columns=["name"]).columns) == ["name"]


def test_a_column_named_with_percent_reads_back_whole_and_in_a_box(any_store):
    # psycopg takes a "%" in a query with parameters as a placeholder, even quoted
    frame = buildings(6)
    frame["share_%"] = np.arange(6) * 10.0
    frame["share_pct"] = np.arange(6) * 1.0  # the SQL spelling of the first must not clash
    any_store.commit([LayerData("building", "building", frame)])
    got = any_store.read("building")
    assert got["share_%"].tolist() == [0, 10, 20, 30, 40, 50]
    assert got["share_pct"].tolist() == [0, 1, 2, 3, 4, 5]
    boxed = any_store.read("building", bbox=(X0, Y0, X0 + 5000, Y0 + 4000),
                           columns=["share_%"])
    assert sorted(boxed["share_%"]) == [0, 10, 20, 30, 40, 50]


# -- versions and rollback ---------------------------------------------------------------
def test_versions_and_rollback(any_store):
    v1 = any_store.commit([LayerData("building", "building", buildings(5, height=10))],
                          report={"source": "a.geojson", "counts": {"building": 5}}, note="first")
    v2 = any_store.commit([LayerData("building", "building", buildings(7, height=20))])
    assert (v1, v2) == ({"building": 1}, {"building": 2})
    versions = any_store.versions("building")
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].source == "a.geojson" and versions[0].note == "first"
    assert versions[0].report["counts"] == {"building": 5}
    assert versions[0].rows == 5 and len(versions[0].sha256) == 64
    assert versions[0].created.endswith("+00:00")
    assert any_store.current_version("building") == 2
    any_store.rollback("building", 1)
    assert any_store.current_version("building") == 1
    got = any_store.read("building")
    assert len(got) == 5 and got["height_m"].eq(10).all()
    assert len(any_store.read("building", version=2)) == 7  # nothing was deleted
    assert any_store.layers()[0].current == 1 and any_store.layers()[0].versions == 2
    assert any_store.commit([LayerData("building", "building", buildings(3))]) == {"building": 3}


def test_unknown_layer_version_and_column_are_store_errors(any_store):
    with pytest.raises(StoreError, match="no layer called 'nope'"):
        any_store.read("nope")
    any_store.commit([LayerData("building", "building", buildings(3))])
    with pytest.raises(StoreError, match="has no version 9"):
        any_store.read("building", version=9)
    with pytest.raises(StoreError, match="has no version 9"):
        any_store.rollback("building", 9)
    with pytest.raises(StoreError):
        any_store.read("building", columns=["no_such_column"])
    with pytest.raises(StoreError, match="no layer called"):
        any_store.versions("nope")


# -- failed commits leave nothing --------------------------------------------------------
def test_validation_error_leaves_nothing(any_store):
    any_store.commit([LayerData("building", "building", buildings(5))])
    before = snapshot(any_store)
    bad = buildings(5)
    bad.loc[3, "id"] = "b0"
    with pytest.raises(SchemaError, match="duplicate id"):
        any_store.commit([LayerData("road", "road", roads()), LayerData("building", "building", bad)])
    assert snapshot(any_store) == before
    assert leftovers(any_store) == []


def test_failure_in_the_middle_of_a_commit_leaves_nothing(any_store):
    any_store.commit([LayerData("building", "building", buildings(5))])
    before = snapshot(any_store)
    # the road layer is written first; then the second layer's kind clashes with the store
    with pytest.raises(StoreError, match="holds kind 'building', not 'road'"):
        any_store.commit([LayerData("road", "road", roads()),
                          LayerData("building", "road", roads())])
    # a raster whose data is not bytes is refused as a StoreError, before any write
    with pytest.raises(StoreError, match="'terrain' is a terrain raster, but its data is "
                                         "NoneType"):
        any_store.commit([LayerData("road", "road", roads()),
                          LayerData("terrain", "terrain", None)])
    assert snapshot(any_store) == before
    assert leftovers(any_store) == []
    assert any_store.commit([LayerData("road", "road", roads())]) == {"road": 1}


def test_bad_names_and_empty_commits_are_refused(any_store):
    with pytest.raises(StoreError, match="nothing to commit"):
        any_store.commit([])
    with pytest.raises(StoreError, match="invalid layer name"):
        any_store.commit([LayerData("../evil", "road", roads())])
    with pytest.raises(StoreError, match="names a layer twice"):
        any_store.commit([LayerData("r", "road", roads()), LayerData("r", "road", roads())])
    for bad in ("abc\n", "-rf", "a b", "x" * 300, "道" * 22):   # one rule on both stores
        with pytest.raises(StoreError, match="layer name"):
            any_store.commit([LayerData(bad, "road", roads())])
    assert any_store.layers() == []
    assert any_store.commit([LayerData("道路_2026-v2", "road", roads())]) == {"道路_2026-v2": 1}


# -- scenarios and export ----------------------------------------------------------------
def test_scenarios_are_versioned(any_store):
    assert any_store.scenarios() == []
    doc1 = {"name": "港区扩建", "edits": [{"op": "set", "id": "b1", "height_m": 30.5}]}
    doc2 = {"name": "港区扩建", "edits": []}
    assert any_store.save_scenario("harbour", doc1) == 1
    assert any_store.save_scenario("harbour", doc2) == 2
    assert any_store.save_scenario("park", {"edits": []}) == 1
    assert any_store.scenarios() == ["harbour", "park"]
    assert any_store.load_scenario("harbour") == doc2
    assert any_store.load_scenario("harbour", 1) == doc1
    metas = any_store.scenario_versions("harbour")
    assert [(m["version"], m["current"]) for m in metas] == [(1, False), (2, True)]
    with pytest.raises(StoreError, match="no scenario called"):
        any_store.load_scenario("nope")


def test_deleting_a_scenario_keeps_its_versions(any_store, monkeypatch):
    from twin.store.base import ScenarioDeletion

    assert isinstance(any_store, ScenarioDeletion)
    any_store.save_scenario("harbour", {"edits": [1]})
    any_store.save_scenario("harbour", {"edits": [1, 2]})
    any_store.save_scenario("park", {"edits": []})
    any_store.delete_scenario("harbour")
    assert any_store.scenarios() == ["park"]
    with pytest.raises(StoreError, match="no scenario called 'harbour'"):
        any_store.load_scenario("harbour")
    with pytest.raises(StoreError, match="no scenario called 'harbour'"):
        any_store.delete_scenario("harbour")
    # the versions stayed: saving the name again continues their numbering, and the old
    # documents still load by number
    assert any_store.save_scenario("harbour", {"edits": [3]}) == 3
    assert any_store.load_scenario("harbour", 1) == {"edits": [1]}
    assert any_store.load_scenario("harbour", 2) == {"edits": [1, 2]}
    assert [m["version"] for m in any_store.scenario_versions("harbour")] == [1, 2, 3]
    if isinstance(any_store, ParquetStore):
        assert leftovers(any_store) == []   # kept versions are not orphans


def test_cli_scenario_delete_says_the_versions_stay(any_store, monkeypatch):
    from typer.testing import CliRunner

    from twin.cli import app

    any_store.save_scenario("harbour", {"format": "twin-scenario", "schema_version": 1,
                                        "name": "harbour", "edits": []})
    monkeypatch.setenv("TWIN_STORE", any_store.url)
    out = CliRunner().invoke(app, ["scenario", "delete", "harbour"])
    assert out.exit_code == 0, out.output
    assert "scenario harbour deleted" in out.output
    assert any_store.scenarios() == []
    assert any_store.save_scenario("harbour", {"edits": []}) == 2      # version 1 stayed
    assert any_store.load_scenario("harbour", 1)["name"] == "harbour"


def test_attachments_are_kept_by_content_and_copied(any_store, tmp_path):
    data = b"ISO-10303-21;\n" + bytes(range(256)) * 40
    key, new = any_store.save_attachment(data, ".ifc")
    assert new and key.endswith(".ifc") and any_store.save_attachment(data, ".ifc") == (key,
                                                                                     False)
    assert any_store.attachments() == [key]
    assert any_store.read_attachment(key) == data
    assert any_store.attachment_path(key).read_bytes() == data
    import hashlib

    assert any_store.find_attachment(hashlib.sha256(data).hexdigest()) == key
    other = ParquetStore(tmp_path / "copy")
    assert copy_store(any_store, other)["attachments"] == 1
    assert other.read_attachment(key) == data
    any_store.delete_attachment(key)
    assert any_store.attachments() == []
    with pytest.raises(StoreError, match="no attachment"):
        any_store.read_attachment(key)


def test_export_from_either_store(any_store, tmp_path):
    gdf = buildings(20)
    any_store.commit([LayerData("building", "building", gdf),
                      LayerData("bim_element", "bim_element", bim_elements())])
    gpkg = any_store.export("building", tmp_path / "b.gpkg")
    back = gpd.read_file(gpkg)
    assert len(back) == 20 and back.crs.to_epsg() == 4549
    geojson = json.loads(any_store.export("building", tmp_path / "b.geojson").read_text())
    lon, lat = geojson["features"][0]["geometry"]["coordinates"][0][0]
    assert 119 < lon < 121 and 35 < lat < 36.5  # RFC 7946: WGS84
    parquet = gpd.read_parquet(any_store.export("bim_element", tmp_path / "e.parquet"))
    assert parquet["mesh_vertices"].iloc[1] == bim_elements()["mesh_vertices"].iloc[1]


# -- moving a twin between backends ------------------------------------------------------
def _fill(store) -> None:
    store.commit([LayerData("building", "building", buildings(40, height=9))],
                 report={"source": "v1.geojson"}, note="v1")
    store.commit([LayerData("building", "building", buildings(60, height=12)),
                  LayerData("bim_element", "bim_element", bim_elements()),
                  LayerData("terrain", "terrain", terrain_bytes()),
                  LayerData("storey", "storey", storeys())], report={"source": "v2.ifc"})
    store.commit([LayerData("road", "road", roads())])
    store.rollback("building", 1)
    store.save_scenario("harbour", {"edits": [1]})
    store.save_scenario("harbour", {"edits": [1, 2]})


def _same_twin(a, b) -> None:
    assert [i.to_dict() for i in a.layers()] == [i.to_dict() for i in b.layers()]
    for info in a.layers():
        va, vb = a.versions(info.name), b.versions(info.name)
        strip = [{k: v for k, v in x.to_dict().items() if k != "sha256"} for x in va]
        assert strip == [{k: v for k, v in x.to_dict().items() if k != "sha256"} for x in vb]
        for v in va:
            da, db = a.read(info.name, version=v.version), b.read(info.name, version=v.version)
            if isinstance(da, bytes):
                assert da == db
            else:
                pd.testing.assert_frame_equal(da, db)
    assert a.scenarios() == b.scenarios()
    for name in a.scenarios():
        assert [(m["version"], m["created"], m["current"]) for m in a.scenario_versions(name)] \
            == [(m["version"], m["created"], m["current"]) for m in b.scenario_versions(name)]
        for m in a.scenario_versions(name):
            assert a.load_scenario(name, m["version"]) == b.load_scenario(name, m["version"])


@pytest.mark.postgis
def test_copy_parquet_to_postgis_and_back(tmp_path, pg_store):
    src = ParquetStore(tmp_path / "a")
    _fill(src)
    result = copy_store(src, pg_store)
    assert result["layers"] == {"bim_element": 1, "building": 2, "road": 1, "storey": 1,
                                "terrain": 1}
    assert result["scenarios"] == {"harbour": 2} and result["verified"]
    _same_twin(src, pg_store)
    back = ParquetStore(tmp_path / "b")
    copy_store(pg_store.url, back)
    _same_twin(src, back)
    assert back.current_version("building") == 1
    with pytest.raises(StoreError, match="already holds layer bim_element"):
        copy_store(src, back)


def test_copy_refuses_a_clash_before_writing(tmp_path, any_store):
    src = ParquetStore(tmp_path / "src")
    src.commit([LayerData("road", "road", roads()), LayerData("storey", "storey", storeys())])
    any_store.commit([LayerData("storey", "storey", storeys())])
    before = snapshot(any_store)
    with pytest.raises(StoreError, match="already holds layer storey"):
        copy_store(src, any_store)
    assert snapshot(any_store) == before


@pytest.mark.postgis
def test_cli_store_copy(tmp_path, pg_store, capsys):
    from twin.cli import main

    src = ParquetStore(tmp_path / "a")
    _fill(src)
    assert main(["store", "copy", str(src.root), pg_store.url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["layers"]["building"] == 2 and out["rows"] == 40 + 60 + 4 + 1 + 2 + 2
    assert main(["--store", pg_store.url, "layers", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {x["name"]: x["current"] for x in listed}["building"] == 1
    assert main(["store", "copy", str(src.root), pg_store.url]) == 1
    assert "already holds" in capsys.readouterr().err


def test_unreachable_server_is_one_clear_error():
    store = PostGISStore("postgresql://twin:secret@127.0.0.1:9/twin?schema=x",
                         connect_timeout=2)
    with pytest.raises(StoreError, match="cannot connect to the PostGIS server") as err:
        store.layers()
    assert "secret" not in str(err.value)


def test_points_and_multigeometries(any_store):
    fac = gpd.GeoDataFrame({"id": ["f1", "f2"], "name": ["泊里小学", "卫生院"],
                            "kind": ["school", "clinic"], "capacity": [900.0, np.nan]},
                           geometry=[Point(X0 + 1, Y0 + 2), Point(X0 + 3.25, Y0 + 4.125)],
                           crs="EPSG:4549")
    river = gpd.GeoDataFrame({"id": ["w1"], "name": ["白马河"], "width_m": [40.0],
                              "setback_m": [30.0]},
                             geometry=[box(X0, Y0, X0 + 40, Y0 + 900).union(
                                 box(X0 + 100, Y0, X0 + 140, Y0 + 900))], crs="EPSG:4549")
    any_store.commit([LayerData("facility", "facility", fac), LayerData("river", "river", river)])
    pd.testing.assert_frame_equal(any_store.read("facility"), fac)
    got = any_store.read("river")
    assert got.geometry.iloc[0].geom_type == "MultiPolygon"
    assert got.geometry.iloc[0].equals_exact(river.geometry.iloc[0], 0)


def test_more_column_types_round_trip(any_store):
    n = 4
    gdf = buildings(n)
    gdf["flag"] = [True, False, True, False]
    gdf["maybe"] = pd.array([True, None, False, None], dtype="boolean")
    gdf["small"] = pd.array([1, 2, None, 4], dtype="Int32")
    gdf["f32"] = np.arange(n, dtype=np.float32) / 3
    gdf["when"] = pd.to_datetime(["2026-11-22T08:00:00+08:00"] * n, utc=True)
    gdf["fix"] = gpd.GeoSeries([Point(X0 + i, Y0) for i in range(n)], crs="EPSG:4549")
    gdf["note"] = pd.array(["a\tb", "c\nd", "\\x", None], dtype="string")
    gdf["attrs"] = [{"k": i, "名": "值"} for i in range(n)]
    any_store.commit([LayerData("building", "building", gdf)])
    got = any_store.read("building")
    pd.testing.assert_frame_equal(got, gdf)
    assert data_sha256(got) == data_sha256(gdf)


def test_a_merge_built_on_an_old_version_is_refused(any_store):
    # two imports of different buildings overlap: the second one's merge was built on
    # version 1, but the first has committed version 2 meanwhile
    from twin.errors import StoreError

    any_store.commit([LayerData("buildings", "building", buildings(5))])
    stale = LayerData("buildings", "building", buildings(5), base_version=1)
    fresh = LayerData("buildings", "building", buildings(5), base_version=1)
    any_store.commit([fresh])
    before = [(i.name, i.current, i.versions) for i in any_store.layers()]
    with pytest.raises(StoreError, match="changed during the import"):
        any_store.commit([stale])
    assert [(i.name, i.current, i.versions) for i in any_store.layers()] == before
    with pytest.raises(StoreError, match="changed during the import"):
        any_store.commit([LayerData("new_layer", "building", buildings(5), base_version=3)])
    assert "new_layer" not in {i.name for i in any_store.layers()}
