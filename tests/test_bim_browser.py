"""BIM detail in a real headless Chromium: at the town overview the IFC building is a block
and no element mesh is fetched; flying close, the browser fetches the building's BIM tile,
draws its elements, and hovering one names its IFC class; clicking it fills the attribute
panel with its class and GlobalId. No request leaves localhost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_server import (
    CHROMIUM,
    browser,
    click_until_shown,
    painted_share,
    streamlit_app,
    wait_for_map,
)
from small_town import build_town

from twin.store import ParquetStore
from twin.tiles import tiles_root

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("playwright", reason="pip install playwright")

SHOTS = Path(__file__).resolve().parents[1] / "tests" / "_screenshots"
TILE = re.compile(r"/app/static/tiles/(bim_element-[^/]+)/(\d+)/(\d+)/(\d+)\.json$")


def test_zoom_into_ifc_building_draws_pickable_elements(tmp_path):
    store = ParquetStore(tmp_path / "layers")
    build_town(store)
    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(store.root, log_path=tmp_path / "st.log") as url, \
            browser() as (page, outside):
        fetched: list[tuple[str, int]] = []

        def on_response(response):
            match = TILE.search(response.url)
            if match and response.status == 200:
                fetched.append((match.group(1), int(match.group(2))))

        page.on("response", on_response)
        page.goto(url)
        wait_for_map(page, timeout_s=90)
        page.wait_for_timeout(1500)
        assert fetched, "the BIM block tile was not fetched"
        key = fetched[0][0]
        manifest = (tiles_root() / key / "tileset.json").read_text("utf-8")
        detail = int(re.search(r'"maxzoom":(\d+)', manifest).group(1))
        assert {z for _, z in fetched} == {detail - 1}, fetched  # blocks only, no meshes

        page.locator("[data-testid=stSelectbox]", has_text="视角").click()
        page.get_by_role("option", name="IFC 建筑 IFC-B1").click()
        for _ in range(60):
            if any(z == detail for _, z in fetched):
                break
            page.wait_for_timeout(500)
        assert any(z == detail for _, z in fetched), fetched  # element meshes now
        page.wait_for_timeout(2500)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        assert painted_share(chart.screenshot()) > 0.05
        box = chart.bounding_box()
        tooltip = page.locator(".deck-tooltip")
        seen, spot = "", None
        for fy in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
            for fx in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
                px, py = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
                page.mouse.move(px, py)
                page.wait_for_timeout(200)
                text = tooltip.first.inner_text().strip() if tooltip.count() else ""
                if re.match(r"Ifc(Wall|Slab|Roof) · ", text):
                    seen, spot = text, (px, py)
                    break
            if spot:
                break
        assert spot, "no IFC element under the cursor"
        (SHOTS / "bim_hover.png").write_bytes(page.screenshot())
        ifc_class = seen.split(" · ")[0]
        click_until_shown(page, *spot, page.locator(
            "td", has_text=re.compile(r"^2O2Fr\$t4X7Zf8NOew3FL0\d$")).first, timeout_ms=20000)
        page.locator("td", has_text=re.compile(rf"^{ifc_class}$")).first.wait_for(
            timeout=10000)
        (SHOTS / "bim_picked.png").write_bytes(page.screenshot())
        assert outside == [], outside
