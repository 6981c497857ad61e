"""The Import page's check map in a real headless Chromium: a georeferenced IFC written
with ifcopenshell.api, three walls failing the Boli IDS and a slab outside any storey, is
previewed; the map paints red (failing) and green blocks, and picking SPATIAL turns the
IDS failures orange. Nothing leaves localhost."""

from __future__ import annotations

import io
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.pset
import ifcopenshell.api.spatial
import ifcopenshell.util.element as ue
import numpy as np
import pytest
from app_server import CHROMIUM, browser, streamlit_app, wait_for_map
from ifc_factory import make_test_building
from small_town import build_town

from twin.i18n import t
from twin.store import ParquetStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("playwright", reason="pip install playwright")

SHOTS = Path(__file__).resolve().parents[1] / "tests" / "_screenshots"
MAP = {"crs": "EPSG:4549", "eastings": 490_000.0, "northings": 3_955_000.0, "scale": None}


def _model(tmp_path) -> Path:
    info = make_test_building(tmp_path / "defects.ifc", storeys=1, map_conversion=MAP,
                              true_north_deg=0.0)
    model = ifcopenshell.open(info["path"])
    for wall in model.by_type("IfcWall")[:3]:
        pset = ue.get_pset(wall, "Pset_WallCommon")
        ifcopenshell.api.pset.edit_pset(model, pset=model.by_id(pset["id"]),
                                        properties={"IsExternal": None})
    ifcopenshell.api.spatial.unassign_container(model, products=[model.by_type("IfcSlab")[0]])
    model.write(info["path"])
    return Path(info["path"])


def _shares(png: bytes) -> dict[str, float]:
    """Share of the map's pixels in the check's red, orange and green (lit, so loosely)."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return {"red": float(((r > 120) & (r > 2.2 * g) & (r > 2.0 * b)).mean()),
            "orange": float(((r > 150) & (g > 0.5 * r) & (g < 0.85 * r) & (b < 0.4 * r)).mean()),
            "green": float(((g > 100) & (g > 1.4 * r) & (g > 1.4 * b)).mean())}


def _settle(page, timeout_s: float = 120) -> None:
    page.wait_for_selector("[data-testid=stMain]", timeout=timeout_s * 1000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                           timeout=timeout_s * 1000)
    page.wait_for_timeout(1000)


def test_check_map_paints_failing_elements(tmp_path):
    store = build_town(ParquetStore(tmp_path / "layers"))
    upload = _model(tmp_path)
    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(store.root) as url, browser() as (page, outside):
        page.goto(f"{url}/import")
        _settle(page)
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
            str(upload))
        _settle(page)
        page.get_by_role("button", name=t("import.preview", "zh")).click()
        _settle(page)
        page.get_by_text(t("ifcpanel.map_title", "zh")).wait_for(timeout=120_000)
        wait_for_map(page, timeout_s=90, min_share=0.003)  # one small building
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        shot = chart.screenshot(animations="disabled")
        (SHOTS / "import_check_map_zh.png").write_bytes(shot)
        first = _shares(shot)
        assert first["red"] > 0.002 and first["green"] > 0, first
        picker = page.locator("[data-testid=stSelectbox]").filter(
            has_text=t("ifcpanel.map_rule", "zh"))
        picker.click()
        page.get_by_role("option", name="SPATIAL", exact=True).click()
        _settle(page)
        wait_for_map(page, timeout_s=90, min_share=0.003)
        page.wait_for_timeout(1500)
        shot = page.locator("[data-testid=stDeckGlJsonChart]").first.screenshot(
            animations="disabled")
        (SHOTS / "import_check_map_spatial_zh.png").write_bytes(shot)
        second = _shares(shot)
        assert second["orange"] > 0.001, second
        assert second["red"] < first["red"], (first, second)  # only the slab stays red
        assert outside == [], outside
