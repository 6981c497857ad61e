"""The one map's first impression on the Boli demo, in headless Chromium: the first view fills
at least 70 % of the map with the town and its terrain, the map takes the page's width, the
DEM is drawn (hiding it empties part of the frame), and a compact translated legend with
units sits over the map's corner. No request leaves localhost."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from app_server import browser, streamlit_app, wait_for_map
from test_browser import demo_store

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("chromium")]

SHOTS = Path(__file__).resolve().parents[1] / "tests" / "_screenshots"
BACKGROUND = (0xEE, 0xF0, 0xEA)  # static/map-style.json


def map_share(png: bytes) -> float:
    """Share of the chart's pixels that are not the empty map background."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return float((np.abs(img - np.array(BACKGROUND)).max(axis=2) > 10).mean())


def sea_share(png: bytes) -> float:
    """Share of pixels in the terrain's sea tint (light blue, shaded; the river lines are
    a stronger blue)."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return float(((b > r + 25) & (b > g) & (g > r) & (r > 80)).mean())


def test_first_view_fills_the_map_with_the_town_on_its_terrain(tmp_path):
    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(demo_store(tmp_path), log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(url)
        wait_for_map(page, timeout_s=120)
        page.wait_for_timeout(2500)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        first = chart.screenshot()
        (SHOTS / "first_view_fitted.png").write_bytes(page.screenshot())
        share = map_share(first)
        assert share >= 0.70, share  # the acceptance: 70 % of the map area

        # the map uses the page's width (the tools are above it, not beside it)
        main = page.locator("[data-testid=stMainBlockContainer]").first.bounding_box()
        box = chart.bounding_box()
        assert box["width"] >= 0.93 * main["width"], (box, main)

        # the legend under the map: translated, with units, terrain included
        legend = page.locator(".twin-map-legend").first
        legend.wait_for(timeout=10000)
        text = legend.inner_text()
        for expected in ("地形", "地块", "建筑", "道路", " m"):
            assert expected in text, text
        # over the map's top-left corner (where the tilted view leaves sky), and it folds
        at = legend.bounding_box()
        assert box["x"] <= at["x"] < box["x"] + 40 and box["y"] <= at["y"] < box["y"] + 40, \
            (at, box)
        assert at["width"] < 0.75 * box["width"] and at["height"] < 0.3 * box["height"], at
        legend.locator("summary").click()
        page.wait_for_timeout(300)
        assert legend.bounding_box()["height"] < 30
        legend.locator("summary").click()

        # the terrain is really drawn: hiding it takes the sea and the hills away
        sea = sea_share(first)
        assert sea > 0.03, sea
        sidebar = page.locator("[data-testid=stSidebar]")
        sidebar.get_by_text("地形 · terrain").click()
        sidebar.locator("[data-testid=stCheckbox]").filter(has_text="显示").last.click()
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60000)
        page.wait_for_timeout(3000)
        bare = chart.screenshot()
        (SHOTS / "first_view_no_terrain.png").write_bytes(page.screenshot())
        assert sea_share(bare) < sea / 3, (sea, sea_share(bare))
        assert map_share(bare) < share - 0.05, (share, map_share(bare))
        assert "地形" not in page.locator(".twin-map-legend").first.inner_text()
        assert outside == [], outside
