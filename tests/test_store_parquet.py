"""The embedded GeoParquet store: versions, integrity, atomicity and concurrent writers."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from twin.errors import SchemaError, StoreError
from twin.io.report import LayerData
from twin.store import ParquetStore, open_store


def _buildings(n: int, *, height: float = 10.0, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0, y0 = 491_000.0, 3_954_000.0
    xs = x0 + rng.uniform(0, 5000, n)
    ys = y0 + rng.uniform(0, 4000, n)
    return gpd.GeoDataFrame(
        {
            "id": [f"b{i}" for i in range(n)],
            "name": [f"楼{i}" for i in range(n)],
            "use": ["R"] * n,
            "height_m": np.full(n, height),
            "floors": pd.array(np.full(n, 3), dtype="Int64"),
            "base_elev_m": np.zeros(n),
            "gfa_m2": np.full(n, 300.0),
            "source": ["test"] * n,
            "ifc_guid": pd.array([None] * n, dtype="string"),
        },
        geometry=[box(x, y, x + 10, y + 10) for x, y in zip(xs, ys)],
        crs="EPSG:4549",
    )


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_commit_read_versions_and_rollback(store):
    v1 = store.commit([LayerData("building", "building", _buildings(5, height=10))],
                      report={"source": "a.geojson"})
    v2 = store.commit([LayerData("building", "building", _buildings(7, height=20))])
    assert v1 == {"building": 1} and v2 == {"building": 2}
    assert len(store.read("building")) == 7
    assert [v.version for v in store.versions("building")] == [1, 2]
    assert store.versions("building")[0].source == "a.geojson"
    store.rollback("building", 1)
    frame = store.read("building")
    assert len(frame) == 5 and frame["height_m"].eq(10).all()
    assert store.current_version("building") == 1
    assert len(store.read("building", version=2)) == 7  # nothing was deleted
    [info] = store.layers()
    assert (info.name, info.kind, info.current, info.versions, info.rows) == (
        "building", "building", 1, 2, 5)


def test_bbox_and_columns(store):
    gdf = _buildings(200)
    store.commit([LayerData("building", "building", gdf)])
    bbox = (491_000, 3_954_000, 493_000, 3_956_000)
    got = store.read("building", bbox=bbox, columns=["id"])
    expect = gdf.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
    assert set(got["id"]) == set(expect["id"])
    assert list(got.columns) == ["id", "geometry"]
    assert got.crs.to_epsg() == 4549


def test_tables_and_rasters_round_trip(store):
    readings = pd.DataFrame({"sensor_id": ["s1", "s1"], "time": ["2026-01-01T00:00", "2026-01-01T01:00"],
                             "value": [1.5, 1.7]})
    store.commit([LayerData("sensor_reading", "sensor_reading", readings),
                  LayerData("terrain", "terrain", b"II*\x00fake-tiff-bytes")])
    assert store.read("sensor_reading")["value"].tolist() == [1.5, 1.7]
    assert store.read("terrain") == b"II*\x00fake-tiff-bytes"


def test_invalid_commit_leaves_store_byte_for_byte_unchanged(store):
    store.commit([LayerData("building", "building", _buildings(3))])
    before = _tree_digest(store.root)
    wrong_crs = _buildings(3).to_crs("EPSG:4326")
    with pytest.raises(SchemaError, match="EPSG:4549"):
        store.commit([LayerData("parcel", "parcel", _parcels()),
                      LayerData("building", "building", wrong_crs)])
    with pytest.raises(StoreError, match="kind"):
        store.commit([LayerData("building", "parcel", _parcels())])
    assert _tree_digest(store.root) == before


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["p1"], "name": ["地块"], "land_use": ["R"], "max_far": [2.5],
                             "max_density": [0.3], "max_height_m": [60.0],
                             "min_green_ratio": [0.3]},
                            geometry=[box(0, 0, 100, 100)], crs="EPSG:4549")


def test_corrupt_file_is_named_and_previous_version_still_reads(store):
    store.commit([LayerData("building", "building", _buildings(3))])
    store.commit([LayerData("building", "building", _buildings(4))])
    current = store.versions("building")[-1]
    path = store.root / json.loads(store.catalog_path.read_text())["layers"]["building"][
        "versions"][-1]["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"corrupt.*twin rollback building 1"):
        store.read("building")
    assert current.version == 2
    assert len(store.read("building", version=1)) == 3
    store.rollback("building", 1)
    assert len(store.read("building")) == 3


def test_unknown_layer_and_version_errors(store):
    with pytest.raises(StoreError, match="no layer called 'nope'"):
        store.read("nope")
    store.commit([LayerData("building", "building", _buildings(1))])
    with pytest.raises(StoreError, match="no version 9"):
        store.rollback("building", 9)
    with pytest.raises(StoreError, match="invalid layer name"):
        store.commit([LayerData("../evil", "building", _buildings(1))])


def test_scenarios_are_versioned(store):
    assert store.save_scenario("tower", {"edits": []}) == 1
    assert store.save_scenario("tower", {"edits": [{"op": "flood", "level": 3}]}) == 2
    assert store.load_scenario("tower")["edits"][0]["level"] == 3
    assert store.load_scenario("tower", version=1) == {"edits": []}
    assert store.scenarios() == ["tower"]


def test_export_geojson_is_wgs84_and_gpkg_keeps_rows(store, tmp_path):
    store.commit([LayerData("building", "building", _buildings(4))])
    out = store.export("building", tmp_path / "b.geojson")
    doc = json.loads(out.read_text())
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 119 < lon < 121 and 35 < lat < 36.5
    gpkg = store.export("building", tmp_path / "b.gpkg")
    assert len(gpd.read_file(gpkg)) == 4
    with pytest.raises(StoreError, match="export format"):
        store.export("building", tmp_path / "b.xyz")


def test_open_store_uses_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TWIN_STORE", str(tmp_path / "elsewhere"))
    assert isinstance(open_store(), ParquetStore)
    assert open_store().root == tmp_path / "elsewhere"


# -- a writer killed mid-write ---------------------------------------------------------------
_SLOW_WRITER = r"""
import sys, geopandas as gpd, numpy as np
from shapely.geometry import box
from twin.io.report import LayerData
from twin.store import ParquetStore
n = 400_000
xs = 491_000 + np.arange(n) % 5000
ys = 3_954_000 + np.arange(n) // 5000
gdf = gpd.GeoDataFrame({"id": [f"k{i}" for i in range(n)], "name": "x", "use": "R",
    "height_m": 9.0, "floors": 3, "base_elev_m": 0.0, "gfa_m2": 1.0, "source": "kill",
    "ifc_guid": None}, geometry=[box(x, y, x + 1, y + 1) for x, y in zip(xs, ys)], crs="EPSG:4549")
print("writing", flush=True)
ParquetStore(sys.argv[1]).commit([LayerData("building", "building", gdf)])
print("done", flush=True)
"""


def test_sigkill_mid_write_keeps_catalog_and_previous_version(store, tmp_path):
    store.commit([LayerData("building", "building", _buildings(10))])
    catalog_before = store.catalog_path.read_bytes()
    script = tmp_path / "writer.py"
    script.write_text(_SLOW_WRITER)
    proc = subprocess.Popen([sys.executable, str(script), str(store.root)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    # Wait until the writer has a temporary data file open, then kill it hard.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.name.startswith(".tmp-") for p in (store.root / "building").iterdir()):
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert store.catalog_path.read_bytes() == catalog_before
    assert store.current_version("building") == 1
    assert len(store.read("building")) == 10
    # Whatever the killed writer left is unreferenced and reported, never read.
    assert all(p.name.startswith(".tmp-") or p.suffix == ".parquet" for p in store.orphans())
    store.commit([LayerData("building", "building", _buildings(2))])
    assert [v.version for v in store.versions("building")] == [1, 2]


# -- concurrent writers ------------------------------------------------------------------------
def _import_worker(root: str, n: int, barrier) -> None:
    barrier.wait()
    ParquetStore(root).commit([LayerData("building", "building", _buildings(n, seed=n))])


def test_two_concurrent_importers_both_recorded(store):
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_import_worker, args=(str(store.root), n, barrier))
             for n in (11, 13)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    versions = store.versions("building")
    assert [v.version for v in versions] == [1, 2]
    assert sorted(v.rows for v in versions) == [11, 13]
    assert store.orphans() == []
