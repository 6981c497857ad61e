"""The app in a real headless Chromium: the deck.gl map paints, switching the buildings layer
off changes the picture, picking works, and no request leaves localhost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_server import (
    browser,
    click_until_shown,
    colourful_share,
    image_stats,
    streamlit_app,
    wait_for_map,
)
from small_town import build_town

from twin.store import ParquetStore

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("chromium")]


SHOTS = Path(__file__).resolve().parents[1] / "tests" / "_screenshots"


def test_map_in_chromium(tmp_path):
    store = build_town(ParquetStore(tmp_path / "layers"))
    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(store.root, log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(url)
        wait_for_map(page)
        page.wait_for_timeout(800)  # let the extruded layers settle
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        before = chart.screenshot()
        (SHOTS / "map.png").write_bytes(page.screenshot())
        variance, colours = image_stats(before)
        assert variance > 100 and colours > 12, (variance, colours)
        # parcels, roads and buildings are drawn in their colours, not black
        assert colourful_share(before) > 0.2, colourful_share(before)
        # the Chinese labels are there (fonts-noto-cjk renders them)
        assert page.get_by_text("一张图 · 三维城市信息模型").is_visible()

        # switch the buildings layer off in the layer panel
        page.get_by_text("建筑 · buildings").click()
        sidebar = page.locator("[data-testid=stSidebar]")
        box = sidebar.locator("[data-testid=stExpander]", has_text="建筑 · buildings") \
            .locator("[data-testid=stCheckbox]")
        box.click()
        page.wait_for_timeout(2500)
        after = chart.screenshot()
        (SHOTS / "map_no_buildings.png").write_bytes(page.screenshot())
        assert after != before
        var_after, _ = image_stats(after)
        assert var_after > 50

        # hover the residential parcel (buildings still off): its name "居住<地块>" shows as
        # text, HTML-escaped by the tooltip
        bounds = chart.bounding_box()
        tooltip = page.locator(".deck-tooltip")
        found = None
        for fx, fy in ((0.38, 0.53), (0.3, 0.5), (0.45, 0.57), (0.35, 0.58), (0.42, 0.48)):
            page.mouse.move(bounds["x"] + bounds["width"] * fx,
                            bounds["y"] + bounds["height"] * fy)
            page.wait_for_timeout(300)
            if tooltip.count() and "居住<地块>" in (tooltip.first.inner_text() or ""):
                found = tooltip.first.inner_html()
                break
        assert found is not None, "no tooltip for the residential parcel"
        assert "&lt;地块&gt;" in found and "<地块>" not in found

        box.click()
        page.wait_for_timeout(1500)
        # pick a building: the attribute panel fills in
        page.mouse.click(bounds["x"] + bounds["width"] * 0.30,
                         bounds["y"] + bounds["height"] * 0.55)
        page.get_by_text("编号").first.wait_for(timeout=20000)
        page.wait_for_timeout(1000)
        (SHOTS / "map_picked.png").write_bytes(page.screenshot())

        assert outside == [], outside
    shutil.copy(tmp_path / "streamlit.log", SHOTS / "streamlit.log")


DEMO = Path(__file__).resolve().parents[1] / "layers"


def demo_store(tmp_path) -> Path:
    """The Boli demo store: a snapshot of layers/ when `twin demo` has built it, else a
    fresh build through `twin demo` (what `make run` does on a fresh clone)."""
    snapshot = tmp_path / "demo"
    if (DEMO / "catalog.json").exists():
        shutil.copytree(DEMO, snapshot)
    else:
        from twin.cli import main

        assert main(["--store", str(snapshot), "demo", "--data", str(tmp_path / "boli")]) == 0
    return snapshot


def _find_building(page, chart) -> tuple[int, int, str]:
    """Zoom in (the overview draws merged blocks, ▦) and find a whole-pixel point of the
    chart where the tooltip names one block building (a real mouse is on whole pixels; a
    fractional point can pick the pixel beside the hovered one)."""
    box = chart.bounding_box()
    page.mouse.move(round(box["x"] + box["width"] * 0.45), round(box["y"] + box["height"] * 0.5))
    for _ in range(6):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(400)
    page.wait_for_timeout(4000)
    tooltip = page.locator(".deck-tooltip")
    for fy in (0.5, 0.45, 0.55, 0.4, 0.6):
        for fx in (0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65):
            x, y = round(box["x"] + box["width"] * fx), round(box["y"] + box["height"] * fy)
            page.mouse.move(x, y)
            page.wait_for_timeout(400)
            text = tooltip.first.inner_text() if tooltip.count() else ""
            if text.endswith(" m") and ("楼" in text or "院" in text) and "▦" not in text:
                return x, y, text.split(" · ")[0]
    raise AssertionError("no block building under the probed points of the demo map")


@pytest.mark.parametrize("tiles", ["1", "0"], ids=["tiled", "whole-layers"])
def test_demo_click_on_a_block_building_fills_the_panel(tmp_path, monkeypatch, tiles):
    """In software WebGL the pick at pointer-down must finish within the 250 ms a press may
    last, or the click is dropped (the demo's 4,277 extruded blocks, drawn whole, took
    ≈0.4 s); with tiles and with whole layers (TWIN_MAP_TILES=0)."""
    monkeypatch.setenv("TWIN_MAP_TILES", tiles)
    with streamlit_app(demo_store(tmp_path)) as url, browser() as (page, outside):
        page.goto(url)
        wait_for_map(page, timeout_s=120)
        page.wait_for_timeout(1000)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        x, y, name = _find_building(page, chart)
        main = page.locator("[data-testid=stMain]")
        click_until_shown(page, x, y, main.get_by_text("建筑 · building"))
        panel = main.inner_text()
        panel = panel[panel.find("属性"):]
        assert name in panel, panel[:300]
        building = ParquetStore(tmp_path / "demo").read("building")
        bid = building.loc[building["name"] == name, "id"].iloc[0]
        assert bid in panel, (bid, panel[:300])
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / "demo_picked.png").write_bytes(page.screenshot())
        assert outside == [], outside


def test_demo_map_in_chromium(tmp_path):
    snapshot = demo_store(tmp_path)
    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(snapshot) as url, browser() as (page, outside):
        page.goto(url)
        wait_for_map(page, timeout_s=120)
        page.wait_for_timeout(1000)
        png = page.locator("[data-testid=stDeckGlJsonChart]").first.screenshot()
        (SHOTS / "demo.png").write_bytes(page.screenshot())
        variance, colours = image_stats(png)
        assert variance > 100 and colours > 100, (variance, colours)
        assert colourful_share(png) > 0.2, colourful_share(png)
        assert outside == [], outside
