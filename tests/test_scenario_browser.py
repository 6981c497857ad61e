"""The Scenarios page in a real headless Chromium: the proposed tower is drawn (ghosted, in
the proposal colour) in the scenario view and absent from the base view; the before/after
table is on the page; no request leaves localhost."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from app_server import browser, streamlit_app, wait_for_map
from test_scenario_apply import make_town

from twin.scenario import AddBuilding, Scenario, save_scenario
from twin.store import ParquetStore

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("chromium")]


SHOTS = Path(__file__).resolve().parents[1] / "tests" / "_screenshots"


def _violet_pixels(png: bytes) -> int:
    """Pixels of the proposal colour family (PROPOSED_COLOR 150,70,230, blended)."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return int(np.sum((b > 150) & (b - g > 60) & (r - g > 20)))


def test_proposed_tower_visible_in_scenario_not_in_base(tmp_path):
    store = ParquetStore(tmp_path / "layers")
    info = make_town(store)
    save_scenario(store, Scenario("tower", [AddBuilding(
        footprint=info["tower"], height_m=100, floors=30, use="R", id="T1",
        crs="EPSG:4549")]))
    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(store.root, log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(f"{url}/scenarios")
        wait_for_map(page, timeout_s=90)
        page.get_by_text("合格状态变化的地块和建筑").wait_for(timeout=60000)
        page.wait_for_timeout(1500)  # let the extrusions settle
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        scenario_png = chart.screenshot()
        (SHOTS / "scenario.png").write_bytes(page.screenshot())
        # The edit list, the status changes and the indicator table are drawn.
        assert page.locator("[data-testid=stDataFrame]").count() >= 3

        page.get_by_text("现状", exact=True).first.click()
        page.wait_for_timeout(3000)
        base_png = chart.screenshot()
        (SHOTS / "scenario_base.png").write_bytes(page.screenshot())
        shown, absent = _violet_pixels(scenario_png), _violet_pixels(base_png)
        assert shown > 2000 and absent < 50, (shown, absent)
        assert outside == [], outside
    shutil.copy(tmp_path / "streamlit.log", SHOTS / "scenario_streamlit.log")


def test_click_to_draw_a_footprint(tmp_path):
    store = ParquetStore(tmp_path / "layers")
    make_town(store)
    save_scenario(store, Scenario("draw"))
    with streamlit_app(store.root, log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(f"{url}/scenarios")
        wait_for_map(page, timeout_s=90)
        page.get_by_text("在地块上绘制").wait_for(timeout=60000)
        box = page.locator("[data-testid=stSelectbox]", has_text="在地块上绘制")
        box.click()
        page.get_by_role("option", name="P1").click()
        page.wait_for_timeout(4000)
        wait_for_map(page, timeout_s=60)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        bounds = chart.bounding_box()
        area = page.locator("[data-testid=stTextArea] textarea").first
        clicks = 0
        for fx, fy in ((0.5, 0.5), (0.6, 0.5), (0.6, 0.6), (0.5, 0.6), (0.45, 0.45)):
            page.mouse.click(bounds["x"] + bounds["width"] * fx,
                             bounds["y"] + bounds["height"] * fy)
            page.wait_for_timeout(2500)
            clicks += 1
            if area.input_value().count(";") >= 2:
                break
        text = area.input_value()
        (SHOTS / "scenario_draw.png").write_bytes(page.screenshot())
        pts = [p for p in text.split(";") if p]
        assert len(pts) >= 2, (text, clicks)
        for p in pts:
            lon, lat = (float(v) for v in p.split(","))
            assert 119.8 < lon < 120.0 and 35.6 < lat < 35.8
        assert outside == [], outside
