"""AppTest for every page: no exception, the key widgets present, the map's deck JSON, picking,
camera presets with BIM detail, language switch, and an upload imported end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from small_town import build_town
from streamlit.testing.v1 import AppTest

from twin.io.report import LayerData
from twin.store import ParquetStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 120


@pytest.fixture
def town(tmp_path, monkeypatch):
    """A small town store, opened by the app through TWIN_STORE. These tests read the map's
    layer data from the deck, so they draw every layer whole (``TWIN_MAP_TILES=0``); the
    tiled map has its own tests (tests/test_tiles*.py)."""
    store = build_town(ParquetStore(tmp_path / "layers"))
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    monkeypatch.setenv("TWIN_MAP_TILES", "0")
    return store


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


STATIC = Path(APP).parent / "static"


def _deck(at) -> dict:
    """The deck spec of the page's first map, with layer data files read back in."""
    charts = at.get("deck_gl_json_chart")
    assert charts, "no pydeck chart on the page"
    spec = json.loads(charts[0].proto.json)
    for layer in spec["layers"]:
        if isinstance(layer.get("data"), str):
            assert layer["data"].startswith("app/static/cache/"), layer["data"]
            path = STATIC / layer["data"][len("app/static/"):]
            layer["data"] = json.loads(path.read_text(encoding="utf-8"))
    return spec


def _layer_ids(deck: dict) -> list[str]:
    return [layer["id"] for layer in deck["layers"]]


def _no_errors(at) -> None:
    assert not at.exception, at.exception
    assert not [e.value for e in at.error]


def test_map_page_draws_every_layer_with_panel(town):
    at = _app()
    _no_errors(at)
    deck = _deck(at)
    ids = _layer_ids(deck)
    for name in ("parcels", "roads", "rivers", "buildings", "facilities", "sensors"):
        assert any(i.startswith(name + "::") for i in ids), (name, ids)
    # local style only: nothing leaves the server
    assert deck["mapStyle"] == "app/static/map-style.json"
    # one visibility checkbox and one opacity slider per drawn layer (7 incl. bim)
    keys = {c.key for c in at.checkbox}
    assert {"vis::parcels", "vis::buildings", "vis::bim", "vis::sensors"} <= keys
    assert {"op::parcels", "op::buildings"} <= {s.key for s in at.slider}
    assert at.selectbox(key="view_preset").options == ["全镇总览", "IFC 建筑 IFC-B1"]
    # legends carry the GB 50137 name of the land use
    assert any("二类居住用地" in m.value for m in at.markdown)
    # compact JSON without indentation, and small: the data are served as files
    chart = at.get("deck_gl_json_chart")[0].proto
    assert "\n" not in chart.json and len(chart.json) < 20_000
    # the hover tooltip Streamlit hands to deck.gl: one field, escaped by the browser
    assert json.loads(chart.tooltip)["html"].count("{") == 1


def test_switching_a_layer_off_and_colouring_by_height(town):
    at = _app()
    at.checkbox(key="vis::buildings").uncheck().run()
    _no_errors(at)
    assert not any(i.startswith("buildings::") for i in _layer_ids(_deck(at)))
    at.checkbox(key="vis::buildings").check().run()
    at.radio(key="color_by").set_value("height").run()
    _no_errors(at)
    assert any("m" in m.value and "–" in m.value for m in at.markdown)  # height-bin legend
    fill = next(layer["getFillColor"] for layer in _deck(at)["layers"]
                if layer["id"] == "buildings::solid")
    assert "[37,52,148," in fill or "[65,182,196," in fill  # the height ramp


def test_bim_detail_drawn_by_default_when_small(town):
    at = _app()
    assert at.toggle(key="bim_all").value is True  # 48 triangles: under the budget
    deck = _deck(at)
    assert "bim::IFC-B1" in _layer_ids(deck)
    lod1 = [o["t"] for layer in deck["layers"] if layer["id"] == "buildings::polygon"
            for o in layer["data"]]
    assert not any("港务大楼" in t for t in lod1)  # its LOD1 block gives way


def test_hiding_the_bim_layer_brings_back_the_buildings_block(town):
    at = _app()
    at.checkbox(key="vis::bim").uncheck().run()
    _no_errors(at)
    deck = _deck(at)
    assert "bim::IFC-B1" not in _layer_ids(deck)
    lod1 = [o["t"] for layer in deck["layers"] if layer["id"] == "buildings::polygon"
            for o in layer["data"]]
    assert any("港务大楼" in t for t in lod1)  # neither gone: its block is drawn again


def test_view_is_stable_across_reruns_and_presets_fly(town):
    at = _app()
    at.toggle(key="bim_all").set_value(False).run()
    assert "bim::IFC-B1" not in _layer_ids(_deck(at))
    first = _deck(at)["initialViewState"]
    at.slider(key="op::parcels").set_value(0.4).run()
    assert _deck(at)["initialViewState"] == first  # an unrelated widget does not move it
    at.selectbox(key="view_preset").set_value("bim:IFC-B1").run()
    _no_errors(at)
    deck = _deck(at)
    assert deck["initialViewState"]["zoom"] > first["zoom"]
    # BIM detail of the IFC building is drawn, and its LOD1 block is not
    bim = [layer for layer in deck["layers"] if layer["id"] == "bim::IFC-B1"]
    assert bim and bim[0]["@@type"] == "SolidPolygonLayer"
    assert bim[0]["coordinateSystem"] == "meter-offsets"
    assert len(bim[0]["data"]) == 4 * 12  # four boxes of twelve triangles
    lod1 = [o for layer in deck["layers"] if layer["id"] == "buildings::polygon"
            for o in layer["data"]]
    assert len(lod1) == 12 and not any("港务大楼" in o["t"] for o in lod1)


def test_pick_opens_escaped_attribute_panel(town):
    at = _app()
    at.session_state["map"] = {"selection": {
        "indices": {"parcels::polygon": [0]},
        "objects": {"parcels::polygon": [{"k": 0, "t": "x"}]}}}
    at.run()
    _no_errors(at)
    panel = [m.value for m in at.markdown if "<table" in m.value]
    assert panel and "居住&lt;地块&gt;" in panel[0] and "<地块>" not in panel[0]
    # the camera flies to another preset: the old pick is no longer shown
    at.selectbox(key="view_preset").set_value("bim:IFC-B1").run()
    assert not [m.value for m in at.markdown if "<table" in m.value]
    at.selectbox(key="view_preset").set_value("overview").run()
    # picking the IFC building's LOD1 block shows its BIM elements instead
    at.toggle(key="bim_all").set_value(False).run()
    assert "bim::IFC-B1" not in _layer_ids(_deck(at))
    at.session_state["map"] = {"selection": {
        "indices": {"buildings::polygon": [0]},
        "objects": {"buildings::polygon": [{"k": 12}]}}}
    at.run()
    assert "bim::IFC-B1" in _layer_ids(_deck(at))
    # picking a BIM element shows GlobalId, class, storey and escaped psets
    at.session_state["map"] = {"selection": {
        "indices": {"bim::IFC-B1": [0]}, "objects": {"bim::IFC-B1": [{"k": 1}]}}}
    at.run()
    _no_errors(at)
    panel = [m.value for m in at.markdown if "<table" in m.value][0]
    assert "2O2Fr$t4X7Zf8NOew3FL01" in panel and "IfcWall" in panel
    assert "Pset_Common.Note" in panel and "&lt;b&gt;x&lt;/b&gt;" in panel


def test_english_switch(town):
    at = _app()
    at.radio(key="lang").set_value("en").run()
    _no_errors(at)
    assert any("One map" in s.value for s in at.subheader)
    assert at.selectbox(key="view_preset").options[0] == "Town overview"


def test_empty_store_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_STORE", str(tmp_path / "empty"))
    at = _app()
    assert any("twin demo" in i.value for i in at.info)


def test_dashboard_page(town):
    at = _app()
    at.switch_page("app_pages/dashboard.py").run()
    _no_errors(at)
    labels = {m.label: m.value for m in at.metric}
    assert labels["建筑数"] == "13"
    assert labels["感知报警"] == "1"  # S1 ends at 2.9 m over its 2.5 m threshold
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def _parcels_geojson(path: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {"id": ["N1", "N2"], "name": ["新地块一", "新地块二"], "land_use": ["R2", "B1"],
         "max_far": [2.0, 3.0], "max_height_m": [45.0, 60.0]},
        geometry=[shapely.box(119.905, 35.735, 119.907, 35.737),
                  shapely.box(119.908, 35.735, 119.910, 35.737)], crs="EPSG:4326")
    frame.to_file(path, driver="GeoJSON")
    return path


def test_import_page_upload_preview_commit_and_rollback(town, tmp_path):
    data = _parcels_geojson(tmp_path / "new_parcels.geojson").read_bytes()
    before = len(town.read("parcels"))
    at = _app()
    at.switch_page("app_pages/import_page.py").run()
    _no_errors(at)
    at.file_uploader(key="upload").set_value(("new_parcels.geojson", data,
                                              "application/geo+json")).run()
    at.selectbox(key="import_kind").set_value("parcel")
    at.text_input(key="import_layer").set_value("parcels").run()
    at.button(key="import_preview").click().run()
    _no_errors(at)
    assert at.get("deck_gl_json_chart"), "preview map missing"
    assert town.current_version("parcels") == 1  # nothing written by the preview
    # the layer holds data: the page says what a plain commit would replace, with numbers
    warning = " ".join(w.value for w in at.warning)
    assert f"已有 {before} 个要素" in warning and "替换现有的" in warning, warning
    assert at.radio(key="import_mode").value == "new"  # default: a new layer
    at.radio(key="import_mode").set_value("append").run()
    assert any(f"{before} → {before + 2} 个要素" in c.value for c in at.caption)
    at.button(key="import_commit").click().run()
    _no_errors(at)
    assert town.current_version("parcels") == 2
    assert len(town.read("parcels")) == before + 2  # appended, nothing lost
    assert any("parcels v2" in s.value for s in at.success)
    # roll back through the page
    at.selectbox(key="versions_layer").set_value("parcels").run()
    at.selectbox(key="rollback_version").set_value(1).run()
    at.button(key="rollback_button").click().run()
    _no_errors(at)
    assert town.current_version("parcels") == 1
    # export the current version from the page, as `twin export` would
    at.selectbox(key="export_format").set_value("GeoJSON").run()
    at.button(key="export_button").click().run()
    _no_errors(at)
    buttons = at.get("download_button")
    assert buttons and "parcels.geojson" in buttons[0].proto.label


def test_import_page_defaults_to_a_new_layer_named_after_the_file(town, tmp_path):
    data = _parcels_geojson(tmp_path / "new_parcels.geojson").read_bytes()
    before = len(town.read("parcels"))
    at = _app()
    at.switch_page("app_pages/import_page.py").run()
    at.file_uploader(key="upload").set_value(("new_parcels.geojson", data,
                                              "application/geo+json")).run()
    at.selectbox(key="import_kind").set_value("parcel")
    at.text_input(key="import_layer").set_value("parcels").run()
    at.button(key="import_preview").click().run()
    names = [w for w in at.text_input if w.key.startswith("import_new_layer")]
    assert names and names[0].value == "new_parcels"
    at.button(key="import_commit").click().run()
    _no_errors(at)
    assert len(town.read("new_parcels")) == 2
    assert town.current_version("parcels") == 1 and len(town.read("parcels")) == before
    # replace is a choice made on purpose, and it says how many features go
    at.file_uploader(key="upload").set_value(("new_parcels.geojson", data,
                                              "application/geo+json")).run()
    at.button(key="import_preview").click().run()
    at.radio(key="import_mode").set_value("replace").run()
    assert any(f"将删除图层「parcels」当前的 {before} 个要素" in w.value for w in at.warning)
    at.button(key="import_commit").click().run()
    _no_errors(at)
    assert len(town.read("parcels")) == 2 and town.current_version("parcels") == 2


def test_import_page_takes_sensor_readings_as_csv(town, tmp_path):
    data = b"sensor_id,time,value\nWL1,2026-07-13T00:00:00+08:00,3.2\n"
    at = _app()
    at.switch_page("app_pages/import_page.py").run()
    at.file_uploader(key="upload").set_value(("readings.csv", data, "text/csv")).run()
    at.selectbox(key="import_kind").set_value("sensor_reading").run()
    at.button(key="import_preview").click().run()
    _no_errors(at)
    at.button(key="import_commit").click().run()
    _no_errors(at)
    assert "sensor_reading" in {info.kind for info in town.layers()}


def test_import_page_refuses_files_over_the_limit(town, monkeypatch):
    monkeypatch.setenv("TWIN_UPLOAD_LIMIT_MB", "0.001")  # about 1 KB
    at = _app()
    at.switch_page("app_pages/import_page.py").run()
    at.file_uploader(key="upload").set_value(("big.geojson", b" " * 5000,
                                              "application/geo+json")).run()
    assert at.error and "big.geojson" in at.error[0].value
    assert not at.button  # no preview offered


def test_queries_page_runs_a_registered_query(town):
    at = _app()
    at.switch_page("app_pages/queries.py").run()
    _no_errors(at)
    assert at.selectbox(key="query_name").options  # every registered query is offered
    at.selectbox(key="query_name").set_value("indicators").run()
    at.button[0].click().run()
    _no_errors(at)
    from twin.query import run

    expected = run("indicators", town)
    status = dict(zip(expected.layer[expected.id_column], expected.layer[expected.status_column],
                      strict=True))
    # the map: one feature per parcel, coloured by its status (pass and fail differ)
    deck = _deck(at)
    [result] = [layer for layer in deck["layers"] if layer["id"].startswith("q-result::")
                and not layer["id"].endswith("::outline")]  # the outline draws the same data
    colour = {feature["t"].split(" · ")[0]: feature["c"] for feature in result["data"]}
    assert set(colour) == set(status) == {"P1", "P2", "P3"}
    for a in colour:
        for b in colour:
            assert (colour[a] == colour[b]) == (status[a] == status[b]), (a, b)
    # the summary: one metric per summary value, counts shown as they are
    summary = expected.summary_json()
    assert len(at.metric) == len(summary)
    for (key, value), metric in zip(summary.items(), at.metric, strict=True):
        if isinstance(value, int):
            assert re.sub(r"[^0-9]", "", metric.value) == str(value), (key, metric.value)
    # the table: a row per parcel, in the query's order
    table = at.dataframe[0].value  # headers from the catalogue (id → 编号), values as text
    assert table["编号"].tolist() == expected.layer[expected.id_column].tolist()
    assert "far_status" not in table.columns and "容积率" in table.columns
    # a new version of an input makes the old result stale: it is no longer shown
    town.commit([LayerData("parcels", "parcel", town.read("parcels"))], note="stale test")
    at.run()
    _no_errors(at)
    charts = at.get("deck_gl_json_chart")
    assert not charts or not any(layer["id"].startswith("q-result::")
                                 for layer in _deck(at)["layers"])
    assert not at.metric
    # the review report, as `twin report --parcel P1` writes it
    at.text_input(key="report_parcels").set_value("P1")
    at.button(key="report_build").click().run()
    _no_errors(at)
    buttons = at.get("download_button")
    assert buttons and buttons[0].proto.label == "下载报告 (HTML)"


def test_import_page_ifc_without_georeference_asks_for_an_anchor(town, tmp_path):
    from ifc_factory import make_test_building

    path = tmp_path / "plain.ifc"
    make_test_building(path, storeys=1)  # no IfcMapConversion, no RefLatitude
    at = _app()
    at.switch_page("app_pages/import_page.py").run()
    at.file_uploader(key="upload").set_value(("plain.ifc", path.read_bytes(),
                                              "application/octet-stream")).run()
    at.button(key="import_preview").click().run()
    assert not at.exception, at.exception
    assert at.error and "anchor" in at.error[0].value.lower()
    at.number_input(key="anchor_lon").set_value(119.905)
    at.number_input(key="anchor_lat").set_value(35.735)
    at.button(key="anchor_apply").click().run()
    at.button(key="import_preview").click().run()
    _no_errors(at)
    before = {info.name for info in town.layers()}
    at.button(key="import_commit").click().run()
    _no_errors(at)
    added = {info.name for info in town.layers()} - before
    kinds = {town.kind_of(name) for name in added}
    assert "bim_element" in kinds, added
    # the map offers a camera preset for the new IFC building
    at.switch_page("app_pages/map.py").run()
    _no_errors(at)
    assert len(at.selectbox(key="view_preset").options) >= 3


def test_import_page_anchor_overrides_a_far_georeference_and_shows_the_check(town, tmp_path):
    from ifc_factory import make_test_building

    path = tmp_path / "karlsruhe.ifc"
    make_test_building(path, storeys=1, ref_latlon=(49.0069, 8.4037))  # RefLatitude: Germany
    at = _app()
    at.switch_page("app_pages/import_page.py").run()
    at.file_uploader(key="upload").set_value(("karlsruhe.ifc", path.read_bytes(),
                                              "application/octet-stream")).run()
    at.button(key="import_preview").click().run()
    assert not at.exception, at.exception
    assert at.error and "--anchor" in at.error[0].value  # outside EPSG:4549: one line
    at.radio(key="anchor_mode").set_value("point")
    at.number_input(key="anchor_x").set_value(2.0)
    at.number_input(key="anchor_y").set_value(3.0)
    at.number_input(key="anchor_lon").set_value(119.905)
    at.number_input(key="anchor_lat").set_value(35.735)
    at.button(key="anchor_apply").click().run()
    at.button(key="import_preview").click().run()
    _no_errors(at)
    # the overridden georeference is named, and the check table is shown before commit
    assert any("IfcSite.RefLatitude" in w.value and "km" in w.value for w in at.warning)
    rules = {v for d in at.dataframe for v in d.value.astype(str).to_numpy().ravel()}
    assert "GUID-UNIQUE unique GlobalIds" in rules and "GRF-EPSG EPSG present and valid" in rules
    at.checkbox(key="ifc_check_strict").check().run()
    assert at.button(key="import_commit").disabled  # GRF-EPSG fails: strict blocks it
    at.checkbox(key="ifc_check_strict").uncheck().run()
    before = {info.name for info in town.layers()}
    at.button(key="import_commit").click().run()
    _no_errors(at)
    added = {info.name for info in town.layers()} - before
    elements = next(n for n in added if town.kind_of(n) == "bim_element")
    report = town.versions(elements)[-1].report
    assert report["extra"]["model_check"]["failures"] >= 1
    assert report["extra"]["georeferencing"]["source"] == "anchor point"
