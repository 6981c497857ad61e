"""Sensor playback (twin.sensor_playback and the Sensors page): the reading of every sensor at
a time, colours by reading and threshold, alerts over time, the water level that drives the
flood query; the time slider changing the sensors' colours in AppTest and in Chromium."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from small_town import build_town, town_layers
from streamlit.testing.v1 import AppTest

from twin.sensor_playback import (
    ALERT_COLOR,
    OK_COLOR,
    alerts_over_time,
    reading_times,
    readings_at,
    series_of,
    water_level_at,
)
from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def town():
    layers = {item.name: item.data for item in town_layers()}
    return layers["readings"], layers["sensors"]


def test_state_at_a_time(town):
    readings, sensors = town
    times = reading_times(readings)
    assert len(times) == 6
    start = readings_at(readings, sensors, times[0]).set_index("sensor_id")
    end = readings_at(readings, sensors, times[-1]).set_index("sensor_id")
    assert start.loc["S1", "value"] == 1.8 and not start.loc["S1", "alarm"]
    assert start.loc["S1", "color"] == OK_COLOR
    assert end.loc["S1", "value"] == 2.9 and end.loc["S1", "alarm"]  # threshold 2.5
    assert end.loc["S1", "color"] == ALERT_COLOR
    # between two readings the latest one holds; before the first there is none
    mid = readings_at(readings, sensors, "2026-07-01T02:30:00Z").set_index("sensor_id")
    assert mid.loc["S1", "value"] == 2.2
    early = readings_at(readings, sensors, "2026-06-30T00:00:00Z")
    assert early["value"].isna().all() and (early["color"] == (150, 150, 150)).all()


def test_alerts_over_time_and_series(town):
    readings, sensors = town
    alerts = alerts_over_time(readings, sensors)
    assert alerts["water_level"].tolist() == [0, 0, 0, 0, 1, 1]
    series = series_of(readings, "S2")
    assert series["value"].tolist() == [0, 5, 10, 3, 1, 0]


def test_water_level_at_a_time_drives_flood(town):
    readings, sensors = town
    level, when = water_level_at(readings, sensors, "S1", "2026-07-01T03:10:00Z")
    assert level == pytest.approx(2.4) and when.startswith("2026-07-01T03:00")


@pytest.fixture
def store(tmp_path):
    return build_town(ParquetStore(tmp_path / "layers"))


def _palette(at) -> str:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layer = [x for x in spec["layers"] if x["id"] == "playback::sensors"][0]
    return json.dumps(layer["getFillColor"])


def test_sensors_page_slider_changes_colours(store, monkeypatch):
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    monkeypatch.setenv("TWIN_INLINE_MAP_DATA", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/sensors.py")
    at.run()
    assert not at.exception, at.exception
    first = _palette(at)
    assert "225,30,40" not in first  # no alert at the first reading
    slider = at.select_slider(key="sp_time")
    assert slider.options[-1] == "07-01 05:00"
    slider.set_value(reading_times(store.read("readings"))[-1]).run()
    assert not at.exception, at.exception
    assert "225,30,40" in _palette(at)  # S1 above its threshold at the last reading
    assert at.metric[0].value == "1"
    at.selectbox(key="sp_sensor").select("S2").run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 1  # the series of S2


def _red(png: bytes) -> int:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return int(np.sum((r > 190) & (g < 70) & (b < 80)))


@pytest.mark.browser
@pytest.mark.slow
def test_time_slider_changes_colours_in_chromium(store, tmp_path):
    from app_server import CHROMIUM, browser, streamlit_app, wait_for_map

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="pip install playwright")
    shots = ROOT / "tests" / "_screenshots"
    shots.mkdir(exist_ok=True)
    with streamlit_app(store.root, log_path=tmp_path / "streamlit.log") as url, \
            browser() as (page, outside):
        page.goto(f"{url}/sensors")
        wait_for_map(page, timeout_s=90)
        page.wait_for_timeout(2000)
        chart = page.locator("[data-testid=stDeckGlJsonChart]").first
        start = chart.screenshot()
        (shots / "sensors_start.png").write_bytes(page.screenshot())
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("End")
        page.get_by_text("07-01 05:00").first.wait_for(timeout=30000)
        page.wait_for_timeout(3000)
        end = chart.screenshot()
        (shots / "sensors_end.png").write_bytes(page.screenshot())
        assert end != start
        assert _red(end) > _red(start) + 100, (_red(start), _red(end))  # S1 turns red
        assert outside == [], outside


def test_flood_follows_the_gauge_at_the_chosen_time(tmp_path, monkeypatch):
    """On the demo twin: the flood panel runs the flood query at the level the chosen gauge
    read at the slider's time, and a later, higher reading floods more."""
    from twin.cli import main
    from twin.query import run

    root = tmp_path / "demo"
    assert main(["--store", str(root), "demo", "--data", str(tmp_path / "boli")]) == 0
    store = ParquetStore(root)
    readings, sensors = store.read("sensor_reading"), store.read("sensor")
    monkeypatch.setenv("TWIN_STORE", str(root))
    monkeypatch.setenv("TWIN_INLINE_MAP_DATA", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/sensors.py")
    at.run()
    at.toggle(key="sp_flood").set_value(True).run()
    at.selectbox(key="sp_gauge").select("WL12").run()
    assert not at.exception, at.exception
    series = series_of(readings, "WL12")
    low_t = series["time"].iloc[int(np.argmin(series["value"].to_numpy()))]
    high_t = series["time"].iloc[int(np.argmax(series["value"].to_numpy()))]
    found = {}
    for when in (low_t, high_t):
        at.select_slider(key="sp_time").set_value(when).run()
        assert not at.exception, at.exception
        metrics = {m.label: m.value for m in at.metric}
        level, _ = water_level_at(readings, sensors, "WL12", when)
        expected = run("flood", store, level_m=round(level * 100) / 100.0).summary
        assert metrics["受淹建筑"] == str(expected["affected_buildings"])
        found[when] = (level, expected["flooded_cells"])
    assert found[high_t][0] > found[low_t][0] and found[high_t][1] >= found[low_t][1]
