"""The Key projects page (项目管家): projects by state on the map, the 4D timeline slider
hiding a project (and the building it delivers) before its start, the charts and the
delayed list; in AppTest and in headless Chromium."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from small_town import ORIGIN, build_town
from streamlit.testing.v1 import AppTest

from twin.crs import working_crs
from twin.io.report import LayerData
from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path):
    st = build_town(ParquetStore(tmp_path / "layers"))
    x0, y0 = ORIGIN
    projects = gpd.GeoDataFrame({
        "id": ["KP1", "KP2"], "name": ["港务综合体", "滨海公园"], "owner": ["港务", "镇政府"],
        "sector": ["commerce", "ecology"], "investment_cny": [3.5e9, 2.5e8],
        "start_date": ["2025-01-01", "2022-01-01"], "finish_date": ["2027-01-01", "2023-06-30"],
        "progress_pct": [20.0, 80.0], "status": ["under_construction", "under_construction"],
        "building_ids": ["IFC-B1", ""]},
        geometry=[shapely.box(x0 + 330, y0 + 10, x0 + 590, y0 + 190),
                  shapely.box(x0 + 10, y0 + 230, x0 + 200, y0 + 390)], crs=working_crs())
    st.commit([LayerData("projects", "project", projects)], note="projects")
    return st


def _deck_ids(at) -> list[str]:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return [layer["id"] for layer in spec["layers"]]


def test_portfolio_page_and_4d_slider(store, monkeypatch):
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    monkeypatch.setenv("TWIN_INLINE_MAP_DATA", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/portfolio.py")
    at.run()
    assert not at.exception, at.exception
    at.slider(key="pf_date").set_value(dt.date(2026, 6, 30)).run()
    ids = _deck_ids(at)
    assert any(i.startswith("pf_under_construction") for i in ids), ids
    spec = at.get("deck_gl_json_chart")[0].proto.json
    assert "港务综合体" in spec and "IFC-B1" not in at.caption[0].value
    assert "1 栋" not in at.caption[0].value
    # both projects late on 2026-06-30: KP1 (20 % of a 2-year job half done), KP2 past finish
    delayed = at.dataframe[0].value
    assert list(delayed.iloc[:, 0]) == ["KP1", "KP2"]
    assert len(at.get("vega_lite_chart")) >= 2  # investment by sector, progress
    # before KP1's start: it is not drawn, and the building it delivers is hidden
    at.slider(key="pf_date").set_value(dt.date(2024, 6, 30)).run()
    assert not at.exception, at.exception
    spec = at.get("deck_gl_json_chart")[0].proto.json
    assert "港务综合体" not in spec
    assert "1 栋建筑已隐藏" in at.caption[0].value


def _orange(png: bytes) -> int:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return int(np.sum((r > 200) & (g > 110) & (g < 175) & (b < 80)))


@pytest.mark.browser
@pytest.mark.slow
def test_4d_slider_in_chromium(store, tmp_path):
    from app_server import CHROMIUM, browser, streamlit_app, wait_for_map

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="pip install playwright")
    shots = ROOT / "tests" / "_screenshots"
    shots.mkdir(exist_ok=True)
    with streamlit_app(store.root, log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(f"{url}/portfolio")
        wait_for_map(page, timeout_s=90)
        page.wait_for_timeout(2000)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        now = chart.screenshot()
        (shots / "portfolio_now.png").write_bytes(page.screenshot())
        assert _orange(now) > 2000, _orange(now)  # KP1 under construction today
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("Home")  # the first date on the timeline, before KP1's start
        page.get_by_text("1 栋建筑已隐藏", exact=False).wait_for(timeout=30000)
        page.wait_for_timeout(2500)
        before = chart.screenshot()
        (shots / "portfolio_before_start.png").write_bytes(page.screenshot())
        assert _orange(before) < _orange(now) / 10, (_orange(before), _orange(now))
        assert outside == [], outside
