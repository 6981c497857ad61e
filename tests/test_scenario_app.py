"""The Scenarios page through Streamlit's AppTest: create a scenario, add a building, read
the diff table."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from test_scenario_apply import make_town, tree_digest

from twin.crs import transform_xy, working_crs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_town(store, monkeypatch):
    info = make_town(store)
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    return store, info


def _by_key(elements, key):
    for el in elements:
        if getattr(el, "key", None) == key:
            return el
    raise AssertionError(f"no element with key {key!r}")


def _table_with(at, column: str):
    """The dataframe on the page that has ``column`` (AppTest dataframes carry no key)."""
    for el in at.dataframe:
        value = el.value
        if hasattr(value, "data"):  # a Styler
            value = value.data
        if column in value.columns:
            return value
    raise AssertionError(f"no table with a {column!r} column")


def test_create_scenario_add_tower_and_read_diff(app_town):
    from streamlit.testing.v1 import AppTest

    store, info = app_town
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/scenarios.py")
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="scen_new").input("tower")
    _by_key(at.button, "scen_create").click()
    at.run()
    assert not at.exception, at.exception
    assert store.scenarios() == ["tower"]
    assert at.selectbox(key="scen_name").value == "tower"
    # Type the footprint in lon/lat, as the drawing gives it.
    lon, lat = transform_xy([p[0] for p in info["tower"]], [p[1] for p in info["tower"]],
                            working_crs(), "EPSG:4326")
    at.text_area(key="scen_fp").input(";".join(f"{a:.10f},{b:.10f}" for a, b in zip(lon, lat)))
    at.number_input(key="scen_height").set_value(100.0)
    at.number_input(key="scen_floors").set_value(30)
    at.text_input(key="scen_bid").input("T1")
    before = tree_digest(store.root / "building")
    at.button(key="scen_add_building").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    doc = store.load_scenario("tower")
    assert [e["op"] for e in doc["edits"]] == ["add_building"]
    status = _table_with(at, "check")
    ind = status[status["query"] == "indicators"]
    assert sorted(zip(ind["id"], ind["check"], ind["after"])) == [
        ("P1", "far", "fail"), ("P1", "height", "fail")]
    sun = status[(status["query"] == "sunlight") & (status["change"] == "worse")]
    assert list(sun["id"]) == ["B2"]
    table = _table_with(at, "indicator")
    far = table[(table["id"] == "P1") & (table["indicator"] == "far")]
    assert float(far["after"].iloc[0]) == pytest.approx(5.03, abs=1e-3)
    assert tree_digest(store.root / "building") == before
    # An edit typed in the compact syntax, and drawing on a parcel (its snapping grid).
    at.text_input(key="scen_line").input("flood level=6")
    at.button(key="scen_add_line").click()
    at.run()
    assert not at.exception, at.exception
    assert [e["op"] for e in store.load_scenario("tower")["edits"]] == ["add_building",
                                                                         "flood_level"]
    at.selectbox(key="scen_draw_on").set_value("P1")
    at.run()
    assert not at.exception, at.exception
    # Duplicate, then toggle to the base.
    at.text_input(key="scen_dup").input("tower2")
    at.button(key="scen_dup_btn").click()
    at.run()
    assert store.scenarios() == ["tower", "tower2"]
    assert at.selectbox(key="scen_name").value == "tower2"
    # duplicating onto an existing name is refused: it would replace that scenario
    before = store.load_scenario("tower")
    at.text_input(key="scen_dup").input("tower")
    at.button(key="scen_dup_btn").click()
    at.run()
    assert at.error and "tower" in at.error[0].value
    assert store.load_scenario("tower") == before
    at.radio(key="scen_show").set_value("base")
    at.run()
    assert not at.exception, at.exception


def test_upload_ifc_as_a_proposal(app_town, tmp_path):

    store, info = app_town
    path = _proposal_ifc(tmp_path, info)
    at = _upload_to_scenario(store, "proposal.ifc", path.read_bytes(), ifc_id="IFC1")
    assert not at.error, [e.value for e in at.error]
    edits = store.load_scenario("up")["edits"]
    assert [e["op"] for e in edits] == ["add_ifc"] and edits[0]["id"] == "IFC1"
    assert Path(edits[0]["path"]).read_bytes() == path.read_bytes()
    # the stored name comes from the content, never from the name the browser sent
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert Path(edits[0]["path"]).name == f"{digest[:32]}.ifc" and edits[0]["sha256"] == digest
    table = _table_with(at, "indicator")
    p2 = table[(table["id"] == "P2") & (table["indicator"] == "gfa_m2")]
    assert float(p2["after"].iloc[0]) > float(p2["before"].iloc[0])


def _upload_to_scenario(store, name: str, data: bytes, *, ifc_id: str = ""):
    from streamlit.testing.v1 import AppTest

    store.save_scenario("up", {"format": "twin-scenario", "schema_version": 1,
                               "name": "up", "edits": []})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/scenarios.py")
    at.run()
    at.file_uploader(key="scen_ifc").upload(name, data, "application/octet-stream")
    if ifc_id:
        at.text_input(key="scen_ifc_id").input(ifc_id)
    at.button(key="scen_add_ifc").click()
    at.run()
    assert not at.exception, at.exception
    return at


def _saved_files(store) -> list[Path]:
    return [p for p in Path(store.root).rglob("*") if p.is_file() and p.suffix == ".ifc"]


def test_ifc_upload_over_the_limit_is_refused_and_leaves_nothing(app_town, tmp_path, monkeypatch):
    from ifc_factory import make_test_building

    store, info = app_town
    path = tmp_path / "big.ifc"
    make_test_building(path, storeys=3, map_conversion={
        "crs": "EPSG:4549", "eastings": info["x0"] + 20, "northings": info["y0"] + 150})
    limit_mb = len(path.read_bytes()) / 2 / 2**20             # half the file's size
    monkeypatch.setenv("TWIN_UPLOAD_LIMIT_MB", f"{limit_mb:.6f}")
    at = _upload_to_scenario(store, "../../big.ifc", path.read_bytes())
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "big.ifc" in errors[0], errors
    assert store.load_scenario("up")["edits"] == []
    assert _saved_files(store) == []


def test_refused_ifc_upload_leaves_no_file_behind(app_town):
    store, _ = app_town
    broken = b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n#1=IFCWALL(;\nENDSEC;\nEND-ISO-10303-21;\n"
    at = _upload_to_scenario(store, "broken.ifc", broken)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "broken.ifc" in errors[0] and "FILE_SCHEMA" in errors[0], errors
    assert "scenario_files" not in errors[0]             # not where the page kept it
    assert store.load_scenario("up")["edits"] == []
    assert _saved_files(store) == []


def test_an_uploaded_proposal_lives_in_the_store_and_travels_with_a_copy(app_town, tmp_path):
    import shutil

    from twin.scenario import apply, load_base, load_scenario
    from twin.store import ParquetStore
    from twin.store.copy import copy_store

    store, info = app_town
    path = _proposal_ifc(tmp_path, info)
    at = _upload_to_scenario(store, "proposal.ifc", path.read_bytes())
    assert not at.error, [e.value for e in at.error]
    (edit,) = store.load_scenario("up")["edits"]
    assert store.attachments() == [Path(edit["path"]).name]
    assert Path(edit["path"]).resolve().is_relative_to(Path(store.root).resolve())
    copy = ParquetStore(tmp_path / "copy")
    assert copy_store(store, copy)["attachments"] == 1
    shutil.rmtree(store.root)                      # the original twin is gone
    view = apply(load_base(copy), load_scenario(copy, "up"))
    added = view.changed_ids("building", "added")
    assert added and set(added) <= set(view.frame("building")["id"].astype(str))


def _proposal_ifc(tmp_path, info) -> Path:
    """A three-storey IFC building georeferenced onto the north parcel of the town."""
    from ifc_factory import make_test_building

    path = tmp_path / "proposal.ifc"
    make_test_building(path, storeys=3, map_conversion={
        "crs": "EPSG:4549", "eastings": info["x0"] + 20, "northings": info["y0"] + 150})
    return path
