"""The Dashboard (一屏通览) through Streamlit's AppTest on the small town: pass/fail
colours keep their meaning in both languages, a single failing parcel is written out under
the chart and listed with no empty row, and an imported test layer changes the figures
only when the planner counts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_town import build_town

from twin.i18n import t
from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]
GREEN, RED, GREY = "#2ca25f", "#de2d26", "#bdbdbd"


@pytest.fixture
def town(tmp_path, monkeypatch):
    store = build_town(ParquetStore(tmp_path / "layers"))
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    return store


def _dashboard():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _status_scale(at, language: str) -> dict:
    """``{status label: colour}`` of the compliance chart."""
    wanted = [t(f"dash.{k}", language) for k in ("pass", "fail", "na")]
    for chart in at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart"):
        scale = json.loads(chart.proto.spec).get("encoding", {}).get("color", {}).get("scale", {})
        if scale.get("domain") == wanted:
            return dict(zip(scale["domain"], scale["range"]))
    raise AssertionError(f"no chart coloured by {wanted}")


def _expected_counts(store):
    from twin.query.indicators import parcel_indicators

    ind, _ = parcel_indicators(store.read("parcels"), store.read("buildings"),
                               roads=store.read("roads"))
    return ind


def test_pass_is_green_and_fail_red_in_both_languages(town):
    at = _dashboard()
    assert _status_scale(at, "zh") == {t("dash.pass"): GREEN, t("dash.fail"): RED,
                                       t("dash.na"): GREY}
    at.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert _status_scale(at, "en") == {t("dash.pass", "en"): GREEN,
                                       t("dash.fail", "en"): RED, t("dash.na", "en"): GREY}


def test_a_single_failing_parcel_is_written_out_and_listed(town):
    ind = _expected_counts(town)
    far = ind["far_status"].value_counts()
    assert far.get("fail", 0) == 1                  # the small town has one FAR failure
    at = _dashboard()
    captions = [c.value for c in at.caption]
    assert t("dash.compliance_counts", indicator=t("dash.ind.far"), ok=str(far.get("pass", 0)),
             bad="1", na=str(far.get("n/a", 0))) in captions, captions
    fails = ind[ind["status"] == "fail"]
    tables = [d.value for d in at.dataframe if t("col.fails") in d.value.columns]
    assert tables, "no table of the failing parcels"
    table = tables[0]
    assert sorted(table[t("col.id")]) == sorted(fails["id"].astype(str))  # no empty extra row
    assert (table.astype(str) != "").all(axis=None)


def test_an_imported_test_layer_counts_only_when_chosen(town, tmp_path):
    import time

    from twin.cli import main

    time.sleep(1.1)   # versions are stamped to the second: the test layer comes later

    test = town.read("buildings").iloc[:2].copy()
    test["id"] = ["TEST-1", "TEST-2"]
    path = tmp_path / "test_buildings.geojson"
    test.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    assert main(["--store", str(town.root), "import", str(path), "--kind", "building",
                 "--layer", "a_test_buildings"]) == 0
    town_count = len(town.read("buildings"))
    at = _dashboard()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("dash.kpi.buildings")] == str(town_count)   # the test layer is left out
    chosen = at.multiselect(key="dash_layers")
    assert "a_test_buildings" not in chosen.value
    chosen.select("a_test_buildings").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("dash.kpi.buildings")] == str(town_count + 2)
