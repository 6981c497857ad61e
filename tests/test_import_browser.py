"""The Import page on the Boli demo in a real headless Chromium: uploading a 2-building
GeoJSON as 建筑 into the town's existing building layer says, with the numbers, that a
plain commit would replace the 4,277 buildings; choosing 追加到图层 commits a new version
with the layer grown by 2. Nothing leaves localhost."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from app_server import CHROMIUM, browser, streamlit_app
from test_browser import demo_store

from twin.i18n import t
from twin.number_format import fmt_count
from twin.store import ParquetStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("playwright", reason="pip install playwright")

SHOTS = Path(__file__).resolve().parents[1] / "tests" / "_screenshots"


def _two_buildings(store: ParquetStore, path: Path) -> Path:
    """Two new 20 m blocks beside the town's first building, as an RFC 7946 GeoJSON."""
    town = store.read("building")
    x, y = shapely.get_coordinates(town.geometry.iloc[0].centroid)[0]
    boxes = [shapely.box(x + 300 + i * 40, y + 300, x + 320 + i * 40, y + 320) for i in (0, 1)]
    frame = gpd.GeoDataFrame({"id": ["UP-1", "UP-2"], "name": ["上传楼一", "上传楼二"],
                              "height_m": [18.0, 24.0]}, geometry=boxes, crs=town.crs)
    frame.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def _settle(page, timeout_s: float = 120) -> None:
    page.wait_for_selector("[data-testid=stMain]", timeout=timeout_s * 1000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                           timeout=timeout_s * 1000)
    page.wait_for_timeout(1000)


def test_import_into_an_existing_layer_warns_with_numbers_and_appends(tmp_path):
    store_path = demo_store(tmp_path)
    store = ParquetStore(store_path)
    before = len(store.read("building"))
    version = store.current_version("building")
    upload = _two_buildings(store, tmp_path / "two_buildings.geojson")
    SHOTS.mkdir(exist_ok=True)
    with streamlit_app(store_path) as url, browser() as (page, outside):
        page.goto(f"{url}/import")
        _settle(page)
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
            str(upload))
        _settle(page)
        kind_box = page.locator("[data-testid=stSelectbox]").filter(
            has_text=t("import.kind", "zh"))
        kind_box.click()
        page.get_by_role("option", name=t("kind.building", "zh"), exact=True).click()
        _settle(page)
        page.get_by_role("button", name=t("import.preview", "zh")).click()
        _settle(page)
        warning = page.locator("[data-testid=stAlertContentWarning]").first
        warning.wait_for(timeout=60_000)
        assert warning.inner_text().strip() == t(
            "import.mode.warning", "zh", layer="building", current=fmt_count(before),
            incoming="2")
        page.locator("[data-testid=stRadio]").get_by_text(
            t("import.mode.append", "zh"), exact=True).click()
        _settle(page)
        page.get_by_text(t("import.mode.result", "zh", layer="building",
                           current=fmt_count(before), result=fmt_count(before + 2))
                         ).wait_for(timeout=30_000)
        page.screenshot(path=str(SHOTS / "import_append_zh.png"), full_page=True)
        page.get_by_role("button", name=t("import.commit", "zh")).click()
        page.get_by_text(t("import.committed", "zh", versions=f"building v{version + 1}")
                         ).wait_for(timeout=120_000)
        assert outside == [], outside
    after = ParquetStore(store_path)
    assert after.current_version("building") == version + 1
    grown = after.read("building")
    assert len(grown) == before + 2
    assert {"UP-1", "UP-2"} <= set(grown["id"].astype(str))
    # nothing lost: every town building is still there, and the old version rolls back
    assert set(store.read("building", version=version)["id"].astype(str)) <= \
        set(grown["id"].astype(str))
