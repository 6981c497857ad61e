"""Import modes: a small file never silently replaces a big layer; append, merge by id and
replace are each one new version that a rollback undoes (CLI and the importer)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely

from twin.cli import main
from twin.import_modes import layer_name_from_file, plan_import
from twin.importer import read_file
from twin.store import ParquetStore


def _buildings(path: Path, ids, x0: float = 119.90) -> Path:
    frame = gpd.GeoDataFrame(
        {"id": list(ids), "name": [f"楼{i}" for i in ids], "use": ["R"] * len(ids),
         "height_m": [12.0] * len(ids)},
        geometry=[shapely.box(x0 + 0.001 * k, 35.73, x0 + 0.001 * k + 0.0004, 35.7304)
                  for k in range(len(ids))], crs="EPSG:4326")
    frame.to_file(path, driver="GeoJSON")
    return path


def _cli(store: Path, *args) -> int:
    return main(["--store", str(store), "import", *map(str, args), "--kind", "building"])


def _town(tmp_path) -> Path:
    store = tmp_path / "s"
    assert _cli(store, _buildings(tmp_path / "town.geojson", [f"B{i}" for i in range(10)])) == 0
    return store


def test_default_refuses_to_shrink_a_layer_and_writes_nothing(tmp_path, capsys):
    store = _town(tmp_path)
    small = _buildings(tmp_path / "two.geojson", ["N1", "N2"], x0=119.95)
    catalog = (store / "catalog.json").read_bytes()
    capsys.readouterr()
    assert _cli(store, small) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "replace the 10 features of layer building with 2" in err[0]
    assert "--mode append" in err[0] and "--replace" in err[0]
    assert (store / "catalog.json").read_bytes() == catalog


def test_append_merge_and_replace_are_versions_that_roll_back(tmp_path, capsys):
    store = _town(tmp_path)
    small = _buildings(tmp_path / "two.geojson", ["N1", "N2"], x0=119.95)
    assert _cli(store, small, "--mode", "append") == 0
    assert "appended 2 to 10 features" in capsys.readouterr().out
    opened = ParquetStore(store)
    assert opened.current_version("building") == 2 and len(opened.read("building")) == 12

    # appending the same ids again is refused: merge is the way to replace them
    assert _cli(store, small, "--mode", "append") == 1
    err = capsys.readouterr().err
    assert "2 id value(s)" in err and "N1" in err and "merge" in err
    assert opened.current_version("building") == 2

    # merge by id: B1 gets a new height, N9 is new, the other rows stay
    changed = gpd.read_file(_buildings(tmp_path / "m.geojson", ["B1", "N9"]))
    changed["height_m"] = [40.0, 9.0]
    changed.to_file(tmp_path / "m.geojson", driver="GeoJSON")
    assert _cli(store, tmp_path / "m.geojson", "--mode", "merge") == 0
    assert "1 replaced, 1 added, 13 in all" in capsys.readouterr().out
    frame = opened.read("building")
    assert len(frame) == 13 and set(frame["id"]) >= {"B0", "B1", "N1", "N9"}
    assert float(frame.loc[frame["id"] == "B1", "height_m"].iloc[0]) == 40.0

    # an explicit replace goes through, and every step rolls back
    assert _cli(store, small, "--replace") == 0
    assert "replaced 13 features with 2" in capsys.readouterr().out
    assert len(opened.read("building")) == 2
    assert main(["--store", str(store), "rollback", "building", "1"]) == 0
    assert len(opened.read("building")) == 10


def test_bad_mode_is_a_usage_error(tmp_path, capsys):
    store = _town(tmp_path)
    small = _buildings(tmp_path / "two.geojson", ["N1"])
    assert _cli(store, small, "--mode", "upsert") == 2
    assert "upsert" in capsys.readouterr().err


def test_plan_numbers_and_a_new_layer_name_from_the_file(tmp_path, capsys):
    store_path = _town(tmp_path)
    store = ParquetStore(store_path)
    result = read_file(_buildings(tmp_path / "新楼 two.geojson", ["N1", "N2"]), kind="building")
    plan = plan_import(store, result)[0]
    assert (plan.mode, plan.current_rows, plan.incoming_rows, plan.result_rows,
            plan.lost_rows) == ("replace", 10, 2, 2, 10)
    assert plan_import(store, result, "append")[0].result_rows == 12
    taken = {info.name for info in store.layers()}
    assert layer_name_from_file("新楼 two.geojson", taken) == "新楼_two"
    assert layer_name_from_file("building.geojson", taken, kind="building") == "building_import"
    assert layer_name_from_file("x.geojson", {"x"}) == "x_2"
    # JSON output carries the plan
    capsys.readouterr()
    assert main(["--store", str(store_path), "import", str(tmp_path / "新楼 two.geojson"),
                 "--kind", "building", "--layer", "新楼", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["plans"][0]["mode"] == "new" and out["versions"] == {"新楼": 1}
