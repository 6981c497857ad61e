"""The one map on the Boli demo in AppTest, read from the deck Streamlit hands to the browser:
tooltips speak the chosen language (road classes, facility and sensor kinds, land uses,
FAR/height limits, river setbacks), the DEM is drawn as a terrain surface with the town's
site flat at 0, and the compact legend over the map is translated and carries units."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_browser import demo_store

from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_store(tmp_path_factory.mktemp("maplang"))


def _deck(at) -> dict:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    for layer in spec["layers"]:
        if isinstance(layer.get("data"), str) and layer["data"].startswith("app/static/"):
            path = STATIC / layer["data"][len("app/static/"):]
            layer["data"] = json.loads(path.read_text(encoding="utf-8"))
    return spec


def _tooltips(deck: dict) -> list[str]:
    return [o["t"] for layer in deck["layers"] if isinstance(layer.get("data"), list)
            for o in layer["data"] if isinstance(o, dict) and "t" in o]


def _codes(store: ParquetStore) -> set[str]:
    """The raw coded values a planner must not see in the Chinese tooltips."""
    codes = set()
    for info in store.layers():
        if info.kind in ("road", "facility", "sensor"):
            frame = store.read(info.name)
            col = "road_class" if info.kind == "road" else "kind"
            codes |= set(frame[col].dropna().astype(str))
    return codes


def test_map_tooltips_legend_and_terrain_in_both_languages(demo, monkeypatch):
    monkeypatch.setenv("TWIN_STORE", str(demo))
    monkeypatch.setenv("TWIN_MAP_TILES", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    deck = _deck(at)
    tips = _tooltips(deck)
    segments = {s.strip() for t in tips for s in t.split("·")}
    raw = _codes(ParquetStore(demo))
    assert {"secondary", "culture", "metro", "water_level"} <= raw
    assert not (segments & raw), sorted(segments & raw)
    text = "\n".join(tips)
    for word in ("setback", "FAR", "H≤"):
        assert word not in text, word
    for shown in ("次干路", "文化设施", "地铁线", "水位计", "居住用地 R", "容积率≤", "退让"):
        assert shown in text, shown

    # the terrain: one unpickable surface, flat just below 0 under the town, hills around
    terrain = next(layer for layer in deck["layers"] if layer["id"].endswith("::terrain"))
    assert terrain["pickable"] is False and terrain["coordinateSystem"] == "meter-offsets"
    heights = np.array([v[2] for q in terrain["data"] for v in q["p"]])
    assert heights.min() < -1 and heights.max() > 50, (heights.min(), heights.max())
    plate = terrain["data"][0]["p"]
    assert {v[2] for v in plate} == {-0.6}  # the town's site
    assert len(json.dumps(terrain["data"])) < 200_000

    legend = next(m.value for m in at.markdown if "twin-map-legend" in m.value)
    for shown in ("地形", "地块", "居住用地", "次干路", " m<"):
        assert shown in legend, shown

    at.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    text = "\n".join(_tooltips(_deck(at)))
    for shown in ("Secondary", "Culture", "Metro line", "Water level", "FAR ≤", "setback"):
        assert shown in text, shown
    legend = next(m.value for m in at.markdown if "twin-map-legend" in m.value)
    assert "Terrain" in legend or "terrain" in legend.lower(), legend[:300]


def test_query_result_map_has_its_legend_on_it(demo, monkeypatch):
    """The query result map's legend is a compact block over the map, translated (the
    status classes), with counts."""
    monkeypatch.setenv("TWIN_STORE", str(demo))
    monkeypatch.setenv("TWIN_MAP_TILES", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    at.switch_page("app_pages/queries.py").run()
    at.selectbox(key="query_name").set_value("indicators").run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.get("deck_gl_json_chart"), "no result map"
    legends = [m.value for m in at.markdown if "twin-map-legend" in m.value]
    assert len(legends) == 1, legends
    assert "达标" in legends[0] and "不达标" in legends[0], legends[0][:400]
    assert "pass" not in legends[0] and "fail" not in legends[0]


def test_a_store_holding_only_a_dem_opens_over_it(tmp_path, monkeypatch):
    import rasterio
    from rasterio.transform import from_origin

    from twin.importer import import_file

    dem = tmp_path / "dem.tif"
    hills = np.add.outer(np.arange(40.0), np.arange(40.0)).astype("float32")
    with rasterio.open(dem, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(120.10, 35.90, 0.002, 0.002)) as dst:
        dst.write(hills[None])
    store = ParquetStore(tmp_path / "layers")
    import_file(store, dem, kind="terrain", layer="terrain")
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    view = _deck(at)["initialViewState"]
    # the DEM spans 120.10–120.18 E, 35.82–35.90 N (not the default spot 119.90, 35.73)
    assert 120.10 < view["longitude"] < 120.18 and 35.80 < view["latitude"] < 35.92, view
