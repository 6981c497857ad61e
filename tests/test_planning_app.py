"""The Queries page for the planning queries: the control envelope drawn as a translucent
box, the capacity massing added to a scenario with one click, the skyline chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_town import build_town
from streamlit.testing.v1 import AppTest

from twin.store import ParquetStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")
STATIC = Path(APP).parent / "static"


@pytest.fixture
def town(tmp_path, monkeypatch):
    store = build_town(ParquetStore(tmp_path / "layers"))
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    return store


def _page(query: str):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/queries.py").run()
    at.selectbox(key="query_name").set_value(query).run()
    return at


def _layers(at) -> dict:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    out = {}
    for layer in spec["layers"]:
        data = layer.get("data")
        if isinstance(data, str) and data.startswith("app/static/"):
            data = json.loads((STATIC / data[len("app/static/"):]).read_text(encoding="utf-8"))
        out[layer["id"]] = (layer, data)
    return out


def test_envelope_is_drawn_as_a_translucent_box_with_named_metrics(town):
    at = _page("envelope")
    at.button[0].click().run()
    assert not at.exception and not at.error
    layers = _layers(at)
    layer, data = layers["q-result::volume"]
    assert layer["extruded"] and layer["wireframe"]
    assert "60]" in layer["getFillColor"]  # alpha 60 of 255: see-through
    assert {d["t"].split(" · ")[0] for d in data} == {"P1", "P2", "P3"}
    heights = {d["t"].split(" · ")[0]: d["h"] for d in data}
    assert heights == {"P1": 60.0, "P2": 12.0, "P3": 5.0}
    labels = [m.label for m in at.metric]
    assert "控规盒体积 (m³)" in labels and "超出体积 (m³)" in labels


def test_capacity_massing_goes_to_a_scenario_with_one_click(town):
    at = _page("capacity")
    at.text_input(key="q::capacity::parcel").set_value("P3")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert "最大建筑面积 (m²)" in [m.label for m in at.metric]
    [name] = [t for t in at.text_input if t.label == "情景名称"]
    name.set_value("容量-P3")
    [add] = [b for b in at.button if b.label == "将体块加入情景"]
    add.click().run()
    assert not at.exception and not at.error
    assert at.success and "容量-P3" in at.success[0].value
    assert "容量-P3" in town.scenarios()
    saved = town.load_scenario("容量-P3")
    assert saved["edits"] and {e["op"] for e in saved["edits"]} == {"add_building"}


def test_skyline_shows_its_profile_chart(town):
    at = _page("skyline")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.get("vega_lite_chart")
    assert "天际线剖面（方位角 → 仰角）" in [m.value.strip("*") for m in at.markdown]
