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
    status = _table_with(at, "检查项")                 # the diff as the page shows it
    ind = status[status["分析"] == "控规指标"]
    assert sorted(zip(ind["编号"], ind["检查项"], ind["方案后"])) == [
        ("P1", "容积率", "不达标"), ("P1", "高度", "不达标")]
    sun = status[(status["分析"] == "大寒日日照分析") & (status["变化"] == "变差")]
    assert list(sun["编号"]) == ["B2"]
    table = _table_with(at, "指标")
    far = table[(table["编号"] == "P1") & (table["指标"] == "容积率")]
    assert far["方案后"].iloc[0] == "5.03"
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
    table = _table_with(at, "指标")
    p2 = table[(table["编号"] == "P2") & (table["指标"] == "建筑面积 (m²)")]
    assert p2["差值"].iloc[0].startswith("+"), p2        # the proposal adds floor area


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


def _scenarios_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/scenarios.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_delete_a_scenario_after_confirming_keeps_its_versions(app_town):
    store, _ = app_town
    for name in ("keep", "drop"):
        store.save_scenario(name, {"format": "twin-scenario", "schema_version": 1,
                                   "name": name, "edits": []})
    at = _scenarios_page()
    at.selectbox(key="scen_name").set_value("drop").run()
    at.button(key="scen_delete_btn").click().run()
    # nothing is deleted yet: the page asks first, naming the scenario
    assert store.scenarios() == ["drop", "keep"]
    assert any("drop" in w.value and "删除" in w.value for w in at.warning), at.warning
    at.button(key="scen_delete_no").click().run()
    assert store.scenarios() == ["drop", "keep"] and not at.warning
    at.button(key="scen_delete_btn").click().run()
    at.button(key="scen_delete_yes").click().run()
    assert not at.exception, at.exception
    assert store.scenarios() == ["keep"]
    assert [s.value for s in at.success] == ["已删除方案「drop」"]
    assert at.selectbox(key="scen_name").value == "keep"
    # its saved versions stay for audit: saving the name again continues their numbering
    assert store.save_scenario("drop", {"format": "twin-scenario", "schema_version": 1,
                                        "name": "drop", "edits": []}) == 2
    at.button(key="scen_dup_btn").click().run()     # a later action: the notice is gone
    assert not at.success


def test_scenario_errors_say_what_to_fill_and_do_not_stay(app_town):
    store, _ = app_town
    at = _scenarios_page()
    # an empty name says so instead of doing nothing
    _by_key(at.button, "scen_create").click()
    at.run()
    assert _errors(at) == ["请在「新方案名称」中填写方案名称"]
    at.text_input(key="scen_new").input("a")
    _by_key(at.button, "scen_create").click()
    at.run()
    assert store.scenarios() == ["a"] and not _errors(at)
    at.text_input(key="scen_new").input("a")
    _by_key(at.button, "scen_create").click()
    at.run()
    assert _errors(at) == ["已有名为 a 的方案"]
    at.radio(key="lang").set_value("en").run()          # a language switch clears it
    assert not _errors(at) and not at.exception
    at.text_input(key="scen_dup").input("a")
    at.button(key="scen_dup_btn").click().run()
    assert _errors(at) == ["A scenario called a already exists"]
    at.toggle(key="scen_only_changed").set_value(False).run()   # a later action clears it
    assert not _errors(at)
    at.text_input(key="scen_dup").input("")
    at.button(key="scen_dup_btn").click().run()
    assert _errors(at) == ["Enter the scenario's name in “Duplicate as”"]
    assert store.scenarios() == ["a"]


def test_a_bad_edit_line_names_the_box_not_a_flag(app_town):
    store, _ = app_town
    store.save_scenario("s", {"format": "twin-scenario", "schema_version": 1,
                              "name": "s", "edits": []})
    at = _scenarios_page()
    at.text_input(key="scen_line").input("set-parcel id=NOPE max_far=3")
    at.button(key="scen_add_line").click().run()
    (error,) = _errors(at)
    assert "NOPE" in error
    for raw in ("--", "$TWIN_", "twin scenario", "/tmp/"):
        assert raw not in error, error
    assert store.load_scenario("s")["edits"] == []


def test_the_anchor_title_follows_the_files_own_georeference(app_town, tmp_path):
    from ifc_factory import make_test_building

    store, info = app_town
    store.save_scenario("up", {"format": "twin-scenario", "schema_version": 1,
                               "name": "up", "edits": []})
    placed = _proposal_ifc(tmp_path, info)
    bare = tmp_path / "bare.ifc"
    make_test_building(bare, storeys=2)
    at = _scenarios_page()
    at.file_uploader(key="scen_ifc").upload("placed.ifc", placed.read_bytes(),
                                             "application/octet-stream")
    at.run()
    texts = [m.value for m in at.markdown]
    assert "**将模型放到别处（覆盖文件自带的 IfcMapConversion）**" in texts, texts
    assert not any("缺少地理配准" in t for t in texts)
    at.file_uploader(key="scen_ifc").upload("bare.ifc", bare.read_bytes(),
                                             "application/octet-stream")
    at.run()
    texts = [m.value for m in at.markdown]
    assert "**锚点（IFC 缺少地理配准）**" in texts, texts


def test_the_diff_tables_speak_chinese_with_readable_numbers(app_town):
    import re

    store, info = app_town
    lon, lat = transform_xy([p[0] for p in info["tower"]], [p[1] for p in info["tower"]],
                            working_crs(), "EPSG:4326")
    store.save_scenario("tower", {"format": "twin-scenario", "schema_version": 1,
                                  "name": "tower", "edits": [{
                                      "op": "add_building", "id": "T1", "height_m": 100.0,
                                      "floors": 30, "use": "R", "crs": "EPSG:4326",
                                      "footprint": [[a, b] for a, b in zip(lon, lat)]}]})
    at = _scenarios_page()
    assert not _errors(at), _errors(at)
    edits = _table_with(at, "修改")
    assert list(edits["修改"]) == [f"新建建筑：轮廓 {len(lon)} 个点，高度 100 m，层数 30，"
                                   "用途 R 居住用地，编号 T1"]
    status = _table_with(at, "检查项")
    assert list(status.columns) == ["分析", "类型", "编号", "检查项", "方案前", "方案后", "变化"]
    assert {"控规指标", "大寒日日照分析"} <= set(status["分析"])
    assert {"变差"} <= set(status["变化"]) and {"达标", "不达标"} & set(status["方案后"])
    at.toggle(key="scen_only_changed").set_value(False).run()
    table = _table_with(at, "指标")
    assert list(table.columns) == ["分析", "范围", "编号", "指标", "方案前", "方案后", "差值",
                                   "有变化"]
    gfa = table[(table["编号"] == "P1") & (table["指标"] == "建筑面积 (m²)")]
    assert gfa["方案后"].iloc[0].endswith(" m²") or gfa["方案后"].iloc[0].endswith("万m²")
    assert gfa["差值"].iloc[0].startswith("+")
    cells = " ".join(map(str, table.columns)) + " " + " ".join(
        table.astype(str).to_numpy().ravel()) + " " + " ".join(status.astype(str).to_numpy().ravel())
    assert not re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", cells)
    assert not re.search(r"\d\.\d{4,}|e[+-]\d\d", cells), "raw floats in the table"
