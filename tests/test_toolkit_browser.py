"""The planner's toolkit in a real headless Chromium on the Boli demo twin: searching 横河
lists the river and flies to it with the river highlighted, and a distance measured between
two typed points equals pyproj's geodesic one within 0.1 %. No request leaves localhost."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from app_server import browser, streamlit_app, wait_for_map

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("chromium")]


SHOTS = Path(__file__).resolve().parents[1] / "tests" / "_screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The Boli demo twin, built by `twin demo` into a fresh store."""
    from twin.cli import main

    root = tmp_path_factory.mktemp("toolkit")
    assert main(["--store", str(root / "layers"), "demo", "--data", str(root / "boli")]) == 0
    return root / "layers"


def colour_share(png: bytes, rgb, tol: int = 40) -> float:
    """Share of pixels within ``tol`` of ``rgb`` on every channel."""
    import io

    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    near = (np.abs(img - np.array(rgb)) <= tol).all(axis=2)
    return float(near.mean())


def test_search_flies_to_the_river_and_measure(demo, tmp_path):
    from app_pages.map_tools import HIGHLIGHT_COLOR, MEASURE_COLOR

    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(demo, log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(url)
        wait_for_map(page, timeout_s=120)
        page.wait_for_timeout(1500)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        before = chart.screenshot()
        base_share = colour_share(before, HIGHLIGHT_COLOR)
        assert base_share < 0.0005, base_share

        box = page.get_by_label("搜索地名、编号或拼音")
        box.fill("横河")
        box.press("Enter")
        hits = page.locator("[data-testid=stRadio]", has_text="找到")
        hits.wait_for(timeout=30000)
        first = hits.locator("label").nth(1)  # the first option (label 0 is the caption)
        assert first.inner_text().startswith("横河 · 河道"), first.inner_text()
        page.wait_for_timeout(4000)  # the camera flies, the layers redraw
        after = chart.screenshot()
        (SHOTS / "find_henghe.png").write_bytes(page.screenshot())
        assert after != before
        share = colour_share(after, HIGHLIGHT_COLOR)
        # the river is drawn in the highlight colour (a line ~6 px wide across the chart)
        assert share > 0.0015 and share > 10 * base_share, (share, base_share)

        # measure: two typed points (E,N in the working CRS)
        page.get_by_text("量测", exact=True).click()
        area = page.get_by_role("textbox", name="坐标点（每行一个 E,N[,H] 或 经度,纬度[,H]）")
        a, b = (489200.0, 3955100.0), (490650.5, 3956020.25)
        area.fill(f"{a[0]},{a[1]}\n{b[0]},{b[1]}")
        area.press("Control+Enter")
        metric = page.locator("[data-testid=stMetricValue]").first
        metric.wait_for(timeout=30000)
        shown = float(re.sub(r"[^\d.]", "", metric.inner_text()))
        from pyproj import Geod

        from twin.crs import WGS84, transform_xy, working_crs

        lon, lat = transform_xy([a[0], b[0]], [a[1], b[1]], working_crs(), WGS84)
        geodesic = Geod(ellps="GRS80").line_length(lon, lat)
        assert abs(shown - geodesic) / geodesic < 0.001, (shown, geodesic)
        assert abs(shown - float(np.hypot(b[0] - a[0], b[1] - a[1]))) < 0.001
        page.wait_for_timeout(3000)
        drawn = chart.screenshot()
        (SHOTS / "measure.png").write_bytes(page.screenshot())
        assert colour_share(drawn, MEASURE_COLOR) > colour_share(after, MEASURE_COLOR)
        assert outside == [], outside


def drawn_points(page, chart, n: int, *, apart_px: float = 80.0) -> list[tuple[int, int]]:
    """``n`` whole-pixel points of the chart, at least ``apart_px`` apart, where the drawn
    town is: the hover tooltip names an object there. Found on screen, from the centre
    outwards, so they follow the first view wherever it puts the town."""
    box = chart.bounding_box()
    tooltip = page.locator(".deck-tooltip")
    found: list[tuple[int, int]] = []
    steps = [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74]
    for fy in steps:
        for fx in steps:
            x, y = round(box["x"] + box["width"] * fx), round(box["y"] + box["height"] * fy)
            if any(np.hypot(x - a, y - b) < apart_px for a, b in found):
                continue
            page.mouse.move(x, y)
            page.wait_for_timeout(350)
            if tooltip.count() and tooltip.first.is_visible() and tooltip.first.inner_text():
                found.append((x, y))
                if len(found) == n:
                    page.mouse.move(box["x"] + 2, box["y"] + 2)
                    return found
    raise AssertionError(f"only {len(found)} points of the map show an object")


def test_measure_by_clicking_the_map(tmp_path):
    """Two clicks on the small town's map add two points; the distance shown is the one
    between them (and pyproj's within 0.1 %)."""
    from small_town import build_town

    from twin.measure import measure, parse_points
    from twin.store import ParquetStore

    store = build_town(ParquetStore(tmp_path / "layers"))
    with streamlit_app(store.root, log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(url)
        wait_for_map(page, timeout_s=90)
        page.wait_for_timeout(1500)
        page.get_by_text("量测", exact=True).click()
        page.get_by_text("点击地图取点").click()
        page.wait_for_timeout(2500)
        wait_for_map(page, timeout_s=60)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        area = page.get_by_role("textbox", name="坐标点（每行一个 E,N[,H] 或 经度,纬度[,H]）")

        def points_typed() -> int:
            return len([s for s in area.input_value().splitlines() if s.strip()])

        for n, (x, y) in enumerate(drawn_points(page, chart, 2), start=1):
            for _attempt in range(3):  # a click during a rerun can be lost; click again
                page.mouse.click(x, y)
                for _ in range(20):
                    page.wait_for_timeout(500)
                    if points_typed() >= n:
                        break
                if points_typed() >= n:
                    break
            page.wait_for_timeout(1000)
        text = area.input_value()
        points = parse_points(text)
        assert len(points) == 2, text
        metric = page.locator("[data-testid=stMetricValue]").first
        metric.wait_for(timeout=30000)
        shown = float(re.sub(r"[^\d.]", "", metric.inner_text()))
        expected = measure("distance", points)
        assert abs(shown - expected.value) < 0.001 and expected.check_diff < 0.001
        (SHOTS / "measure_clicks.png").write_bytes(page.screenshot())
        assert outside == [], outside
