"""`twin diff LAYER V1 V2` and twin.layer_diff: added, removed and changed features between
two versions of a layer, from the store's history; bad input is one line."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from small_town import build_town

from twin.cli import main
from twin.io.report import LayerData
from twin.layer_diff import diff_versions
from twin.store import ParquetStore


@pytest.fixture
def store(tmp_path):
    """The small town, then a second version of its buildings: B1 taller, B2 moved 1 m,
    B3 demolished, tower T1 added."""
    st = build_town(ParquetStore(tmp_path / "layers"))
    b = st.read("buildings")
    b.loc[b["id"] == "B1", "height_m"] = 99.0
    i = b.index[b["id"] == "B2"][0]
    b.loc[i, "geometry"] = shapely.affinity.translate(b.loc[i, "geometry"], 1.0, 0.0)
    tower = b[b["id"] == "B4"].assign(id="T1", name="新塔楼", height_m=100.0)
    b = gpd.GeoDataFrame(pd.concat([b[b["id"] != "B3"], tower], ignore_index=True), crs=b.crs)
    st.commit([LayerData("buildings", "building", b)], note="edit")
    return st


def test_diff_versions(store):
    d = diff_versions(store, "buildings", 1, 2)
    assert d.summary() == {"layer": "buildings", "v1": 1, "v2": 2, "added": 1, "removed": 1,
                           "changed": 2, "same": 10}
    assert d.ids("added") == {"T1"} and d.ids("removed") == {"B3"}
    cols = dict(zip(d.changed["id"], d.changed["changed_columns"]))
    assert cols == {"B1": "height_m", "B2": "geometry"}
    assert diff_versions(store, "buildings", 2, 1).ids("added") == {"B3"}
    # a layer with BIM mesh bytes compares too
    assert diff_versions(store, "bim", 1, 1).summary()["same"] == 4


def test_cli_diff_text_json_and_out(store, tmp_path, capsys):
    root = str(store.root)
    assert main(["--store", root, "diff", "buildings", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert "buildings v1 → v2: 1 added, 1 removed, 2 changed, 10 unchanged" in out
    assert "新塔楼" in out and "height_m" in out
    gpkg = tmp_path / "diff.gpkg"
    assert main(["--store", root, "diff", "buildings", "1", "2", "--json",
                 "--out", str(gpkg)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(r["change"], r["id"]) for r in data["rows"]} == {
        ("added", "T1"), ("removed", "B3"), ("changed", "B1"), ("changed", "B2")}
    written = gpd.read_file(gpkg)
    assert sorted(written["change"]) == ["added", "changed", "changed", "removed"]


@pytest.mark.parametrize("args, message", [
    (["diff", "buildings", "1", "5"],
     "error: layer 'buildings' has no version 5. Hint: versions: 1, 2"),
    (["diff", "nope", "1", "2"], "no layer called 'nope'"),
    (["diff", "readings", "1", "1"], "without feature ids"),
])
def test_cli_diff_bad_input_is_one_line(store, capsys, args, message):
    assert main(["--store", str(store.root), *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_cli_diff_usage_error(store, capsys):
    assert main(["--store", str(store.root), "diff", "buildings", "one", "2"]) == 2


def _parcels(ids, codes):
    boxes = [shapely.box(i * 10, 0, i * 10 + 5, 5) for i in range(len(ids))]
    return gpd.GeoDataFrame({"id": pd.array(ids, dtype="string"),
                             "land_use_code": pd.array(codes, dtype="string")},
                            geometry=boxes, crs="EPSG:4549")


def test_text_that_looks_numeric_is_compared_as_text():
    from twin.layer_diff import diff_frames

    d = diff_frames(_parcels(["P1", "P2"], ["0101", "0202"]),
                    _parcels(["P1", "P2"], ["101", "0202"]), "id", layer="parcels", v1=1, v2=2)
    assert d.ids("changed") == {"P1"} and d.ids("added") == set() and d.ids("removed") == set()
    assert d.changed["changed_columns"].iloc[0] == "land_use_code"


@pytest.mark.parametrize("ids,message", [
    (["P1", "P2", "P2"], "has the 'id' ['P2'] more than once"),
    (["P1", None, "P3"], "1 feature(s) without an 'id'"),
])
def test_repeated_or_missing_ids_are_one_clear_error(ids, message):
    from twin.errors import SchemaError
    from twin.layer_diff import diff_frames

    good = _parcels(["P1", "P2", "P3"], ["a", "b", "c"])
    with pytest.raises(SchemaError, match=re.escape(message)) as info:
        diff_frames(good, _parcels(ids, ["a", "b", "c"]), "id", layer="parcels", v1=1, v2=2)
    assert "layer 'parcels'" in str(info.value) and "version 2" in str(info.value)
