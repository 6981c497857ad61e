"""The Compare page: base and a scenario side by side with one camera. In AppTest the
scenario's tower is in the right map's data only and outlined there; in headless Chromium
the tower's outline colour shows on the right map and not on the left one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from small_town import ORIGIN, build_town
from streamlit.testing.v1 import AppTest

from twin.scenario import AddBuilding, Scenario, save_scenario
from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path):
    st = build_town(ParquetStore(tmp_path / "layers"))
    x0, y0 = ORIGIN
    tower = [(x0 + 250, y0 + 300), (x0 + 290, y0 + 300), (x0 + 290, y0 + 340),
             (x0 + 250, y0 + 340)]
    save_scenario(st, Scenario("tower", [AddBuilding(footprint=tower, height_m=100, use="R",
                                                     id="T1", crs="EPSG:4549")]))
    return st


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.json) for c in at.get("deck_gl_json_chart")]


def _ids(spec) -> list[str]:
    return [layer["id"] for layer in spec["layers"]]


def test_compare_page_tower_on_the_right_only(store, monkeypatch):
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    monkeypatch.setenv("TWIN_INLINE_MAP_DATA", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/compare.py")
    at.run()
    assert not at.exception, at.exception
    left, right = _specs(at)
    assert left["initialViewState"] == right["initialViewState"]  # one camera
    assert not any("cmp_only" in i for i in _ids(left))
    assert any("cmp_only_buildings" in i for i in _ids(right))
    text = json.dumps(right, ensure_ascii=False)
    assert "T1" in text and "T1" not in json.dumps(left, ensure_ascii=False)
    table = at.dataframe[0].value
    assert list(table.iloc[0])[:3] == ["buildings", "新增", "T1"]
    # the camera flies both maps to the tower
    at.selectbox(key="cmp_camera").select("buildings|added|T1").run()
    left2, right2 = _specs(at)
    assert left2["initialViewState"] == right2["initialViewState"]
    assert left2["initialViewState"]["zoom"] > left["initialViewState"]["zoom"]
    # two versions of a layer
    at.radio(key="cmp_mode").set_value("versions").run()
    assert not at.exception, at.exception
    assert "两侧没有差异" in [c.value for c in at.caption]


def _violet(png: bytes) -> int:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return int(np.sum((b > 150) & (b - g > 60) & (r - g > 20)))


@pytest.mark.browser
@pytest.mark.slow
def test_compare_in_chromium(store, tmp_path):
    from app_server import CHROMIUM, browser, streamlit_app, wait_for_map

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="pip install playwright")
    shots = ROOT / "tests" / "_screenshots"
    shots.mkdir(exist_ok=True)
    with streamlit_app(store.root, log_path=tmp_path / "streamlit.log") as url, \
            browser(width=1500) as (page, outside):
        page.goto(f"{url}/compare")
        wait_for_map(page, timeout_s=90)
        page.wait_for_timeout(2500)
        charts = page.locator("[data-testid=stDeckGlJsonChart]")
        assert charts.count() == 2
        left, right = charts.nth(0).screenshot(), charts.nth(1).screenshot()
        (shots / "compare.png").write_bytes(page.screenshot())
        # the ghosted tower adds proposal-coloured pixels on the right only (the violet
        # of the one public building is on both sides)
        assert _violet(right) - _violet(left) > 500, (_violet(left), _violet(right))
        assert outside == [], outside


def test_compare_two_versions_of_a_layer(tmp_path, monkeypatch):
    """Two versions of the buildings layer: the added tower is ghosted on the right only,
    the demolished building on the left only, a changed one outlined on both sides."""
    import geopandas as gpd
    import pandas as pd

    from twin.io.report import LayerData

    st = build_town(ParquetStore(tmp_path / "layers"))
    b = st.read("buildings")
    b.loc[b["id"] == "B1", "height_m"] = 99.0
    tower = b[b["id"] == "B4"].assign(id="T1", name="新塔楼", height_m=100.0)
    b = gpd.GeoDataFrame(pd.concat([b[b["id"] != "B3"], tower], ignore_index=True), crs=b.crs)
    st.commit([LayerData("buildings", "building", b)], note="edit")
    monkeypatch.setenv("TWIN_STORE", str(st.root))
    monkeypatch.setenv("TWIN_INLINE_MAP_DATA", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/compare.py")
    at.run()
    at.radio(key="cmp_mode").set_value("versions").run()
    at.selectbox(key="cmp_layer").select("buildings").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="cmp_v1").value == 1 and at.selectbox(key="cmp_v2").value == 2
    left, right = _specs(at)
    assert any("cmp_only_buildings" in i for i in _ids(left))    # B3, demolished
    assert any("cmp_only_buildings" in i for i in _ids(right))   # T1, added
    assert any("cmp_before_buildings" in i for i in _ids(left))  # B1 before
    assert any("cmp_changed_buildings" in i for i in _ids(right))  # B1 after
    rows = at.dataframe[0].value
    assert sorted(zip(rows.iloc[:, 1], rows.iloc[:, 2])) == [("删除", "B3"), ("变更", "B1"),
                                                             ("新增", "T1")]
