"""``twin scenario …`` end to end on the hand-built town."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from test_scenario_apply import make_town, tree_digest

from twin.cli import main


@pytest.fixture
def cli_town(store, monkeypatch):
    info = make_town(store)
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    return store, info


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_new_add_show_export_import(cli_town, capsys, tmp_path):
    store, info = cli_town
    fp = ";".join(f"{x},{y}" for x, y in info["tower"])
    assert _run(capsys, "scenario", "new", "tower", "-d", "a 100 m tower")[0] == 0
    code, out, err = _run(capsys, "scenario", "add", "tower", "add-building", f"footprint={fp}",
                          "height=100", "floors=30", "use=R", "id=T1", "crs=working",
                          "flood", "level=4.5")
    assert code == 0, err
    assert "0: add_building" in out and "1: flood_level level_m=4.5" in out
    code, out, _ = _run(capsys, "scenario", "show", "tower", "--json")
    doc = json.loads(out)
    assert [e["op"] for e in doc["edits"]] == ["add_building", "flood_level"]
    assert doc["schema_version"] == 1 and doc["description"] == "a 100 m tower"
    assert _run(capsys, "scenario", "remove-edit", "tower", "1")[0] == 0
    code, out, _ = _run(capsys, "scenario", "show", "tower")
    assert "0: add_building" in out and "flood" not in out
    # Export: the document, and the proposed features as a layer.
    path = tmp_path / "tower.json"
    assert _run(capsys, "scenario", "export", "tower", "--out", str(path))[0] == 0
    gpkg = tmp_path / "tower.gpkg"
    assert _run(capsys, "scenario", "export", "tower", "--out", str(gpkg))[0] == 0
    layer = gpd.read_file(gpkg)
    assert list(layer["id"]) == ["T1"] and list(layer["change"]) == ["added"]
    assert layer.geometry.iloc[0].area == pytest.approx(1600, rel=1e-6)
    assert _run(capsys, "scenario", "import", str(path), "--name", "copy")[0] == 0
    code, out, _ = _run(capsys, "scenario", "list", "--json")
    assert [s["name"] for s in json.loads(out)] == ["copy", "tower"]


def test_add_refuses_edit_on_missing_target_and_saves_nothing(cli_town, capsys):
    store, _ = cli_town
    _run(capsys, "scenario", "new", "s")
    code, _, err = _run(capsys, "scenario", "add", "s", "set-building", "id=NOPE", "height=9")
    assert code == 1
    assert err.strip().startswith("error: edit 0 (set_building NOPE): no building with id 'NOPE'")
    assert len(err.strip().splitlines()) == 1
    assert store.load_scenario("s")["edits"] == []
    code, _, err = _run(capsys, "scenario", "add", "s", "paint", "id=B1")
    assert code == 1 and "'paint' is not an edit" in err
    code, _, err = _run(capsys, "scenario", "new", "s")
    assert code == 1 and "already exists" in err


def test_diff_json_lists_the_parcel_that_flips_and_store_is_untouched(cli_town, capsys):
    store, info = cli_town
    fp = ";".join(f"{x},{y}" for x, y in info["tower"])
    _run(capsys, "scenario", "new", "tower")
    _run(capsys, "scenario", "add", "tower", "add-building", f"footprint={fp}", "height=100",
         "floors=30", "id=T1", "crs=working")
    before = tree_digest(store.root)
    code, out, err = _run(capsys, "scenario", "diff", "tower", "--json", "-q", "indicators")
    assert code == 0, err
    doc = json.loads(out)
    flips = [(r["kind"], r["id"], r["check"], r["before"], r["after"])
             for r in doc["status_changes"]]
    assert flips == [("parcel", "P1", "far", "pass", "fail"),
                     ("parcel", "P1", "height", "pass", "fail")]
    code, out2, _ = _run(capsys, "scenario", "diff", "tower", "--json", "-q", "indicators")
    assert json.loads(out2) == doc  # reproducible
    code, out, _ = _run(capsys, "scenario", "diff", "tower", "-q", "indicators")
    assert code == 0 and "P1" in out and "worse" in out
    # Two scenarios stacked in order: B's higher limit lets the tower's FAR pass.
    _run(capsys, "scenario", "new", "relax")
    _run(capsys, "scenario", "add", "relax", "set-parcel", "id=P1", "far=6")
    code, out, _ = _run(capsys, "scenario", "diff", "tower", "relax", "--json", "-q", "indicators")
    doc = json.loads(out)
    assert doc["scenario"] == "tower+relax"
    assert [(r["id"], r["check"]) for r in doc["status_changes"]] == [("P1", "height")]
    code, out, _ = _run(capsys, "scenario", "new", "both", "--from", "tower", "--from", "relax")
    code, out3, _ = _run(capsys, "scenario", "diff", "both", "--json", "-q", "indicators")
    assert json.loads(out3)["status_changes"] == doc["status_changes"]
    # Saving scenarios touched only the catalog and scenarios/; every layer file is as it was.
    def layer_files(digest):
        return {p: h for p, h in digest.items()
                if not p.startswith("scenarios/") and p != "catalog.json"}

    assert layer_files(tree_digest(store.root)) == layer_files(before)


@pytest.mark.parametrize("data,message", [
    ({"op": "add_building", "footprint": [[0, 0], [30, 0], [30, 30]], "height_m": 1e309},
     "height_m must be a finite number"),
    ({"op": "add_building", "footprint": [[0, 0], [30, 0], [30, 30]], "floors": "1e309"},
     "floors must be a finite number"),
    ({"op": "flood_level", "level_m": "abc"}, "level_m must be a number, got 'abc'"),
    ({"op": "flood_level", "level_m": True}, "level_m must be a number"),
])
def test_edit_numbers_must_be_finite(data, message):
    from twin.errors import ScenarioError
    from twin.scenario.model import edit_from_dict

    with pytest.raises(ScenarioError, match=message):
        edit_from_dict(data, index=0)
    assert edit_from_dict({"op": "flood_level", "level_m": "4.5"}).level_m == 4.5
