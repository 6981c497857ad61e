"""An IFC file proposed as a scenario edit: read without committing, placed in the view."""

from __future__ import annotations

import json

import pytest
from ifc_factory import make_test_building
from test_scenario_apply import make_town, tree_digest

from twin.cli import main
from twin.errors import ScenarioError
from twin.scenario import AddIfc, Scenario, apply, load_base
from twin.scenario.diff import diff


@pytest.fixture
def ifc_town(store, tmp_path):
    info = make_town(store)
    path = tmp_path / "proposal.ifc"
    made = make_test_building(path, storeys=3, map_conversion={
        "crs": "EPSG:4549", "eastings": info["x0"] + 20, "northings": info["y0"] + 150})
    return store, info, path, made


def test_ifc_proposal_joins_the_view_with_its_elements(ifc_town):
    store, info, path, made = ifc_town
    before = tree_digest(store.root)
    base = load_base(store)
    view = apply(base, Scenario("ifc", [AddIfc(path=str(path), id="IFC1")]))
    b = view.read("building").set_index("id")
    assert b.loc["IFC1", "scenario_change"] == "added"
    assert b.loc["IFC1", "height_m"] == pytest.approx(made["height_m"], abs=0.05)
    # The 20 m x 10 m footprint sits at the map conversion's origin + the local offset.
    minx, miny, _, _ = b.loc["IFC1"].geometry.bounds
    assert minx == pytest.approx(info["x0"] + 22, abs=0.3)
    assert miny == pytest.approx(info["y0"] + 153, abs=0.3)
    elements = view.read("bim_element")
    assert set(elements["building_id"].astype(str)) == {"IFC1"}
    assert len(elements) >= 10
    assert set(view.read("storey")["building_id"].astype(str)) == {"IFC1"}
    assert "bim_element" not in base.kinds.values()  # the base view is untouched
    result = diff(base, view, queries=["indicators"])
    rows = result.indicators.set_index(["scope", "id", "indicator"])
    gfa = rows.loc[("parcel", "P2", "gfa_m2")]
    assert gfa["after"] - gfa["before"] == pytest.approx(made["gfa_m2"], rel=0.02)
    assert tree_digest(store.root) == before


def test_cli_pins_the_ifc_content_and_a_changed_file_is_refused(ifc_town, capsys, monkeypatch):
    store, _, path, _ = ifc_town
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    assert main(["scenario", "new", "p"]) == 0
    assert main(["scenario", "add", "p", "add-ifc", str(path), "id=IFC1"]) == 0
    capsys.readouterr()
    assert main(["scenario", "show", "p", "--json"]) == 0
    edit = json.loads(capsys.readouterr().out)["edits"][0]
    assert edit["op"] == "add_ifc" and len(edit["sha256"]) == 64
    path.write_bytes(path.read_bytes() + b"\n/* changed */\n")
    assert main(["scenario", "diff", "p", "-q", "indicators"]) == 1
    err = capsys.readouterr().err
    assert "edit 0 (add_ifc IFC1)" in err and "changed since it was added" in err
    with pytest.raises(ScenarioError, match="not found"):
        apply(store, Scenario("gone", [AddIfc(path=str(path) + ".missing")]))
