"""The Streamlit app on the shared PostGIS store (``TWIN_STORE=postgresql://…``): the map
draws the same layers as on the embedded store, and a query runs with push-down."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from small_town import build_town
from streamlit.testing.v1 import AppTest

from twin.store import ParquetStore

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def pg_town(make_pg_store, monkeypatch):
    store = build_town(make_pg_store("app"))
    monkeypatch.setenv("TWIN_STORE", store.url)
    return store


def _layer_ids(at) -> list[str]:
    charts = at.get("deck_gl_json_chart")
    assert charts, "no pydeck chart on the page"
    return [layer["id"] for layer in json.loads(charts[0].proto.json)["layers"]]


def _run(at) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error]
    return at


def _setbacks_page(at) -> tuple[list[tuple[str, str]], list[str]]:
    """Run the setbacks query on the Queries page: its metrics and its table's rows."""
    at.switch_page("app_pages/queries.py")
    _run(at)
    at.selectbox(key="query_name").set_value("setbacks")
    _run(at)
    at.button[0].click()
    _run(at)
    table = at.dataframe[0].value
    rows = ["|".join(map(str, row)) for row in table.itertuples(index=False)]
    return [(m.label, m.value) for m in at.metric], rows


def test_map_and_queries_pages_on_postgis(pg_town, tmp_path, monkeypatch):
    at = _run(AppTest.from_file(APP, default_timeout=120))
    on_postgis = _layer_ids(at)
    assert {"parcels", "buildings", "rivers", "roads"} <= {i.split("::")[0] for i in on_postgis}
    metrics_pg, rows_pg = _setbacks_page(at)
    from twin.query import run

    keys = list(run("setbacks", pg_town).summary_json())   # the page shows them in this order
    checked = metrics_pg[keys.index("buildings_checked")][1]
    assert int(re.sub(r"[^0-9]", "", checked)) == len(pg_town.read("buildings"))
    # the same town in the embedded store draws the same layers and the same query result
    monkeypatch.setenv("TWIN_STORE", str(build_town(ParquetStore(tmp_path / "layers")).root))
    at = _run(AppTest.from_file(APP, default_timeout=120))
    assert _layer_ids(at) == on_postgis
    assert _setbacks_page(at) == (metrics_pg, rows_pg)


def test_an_ifc_proposal_uploaded_on_postgis_is_kept_by_the_store(make_pg_store, tmp_path,
                                                                  monkeypatch):
    """The Scenarios page keeps the upload in the store's attachment area (it used to write
    scenario_files/ under the working directory on PostGIS), and the scenario applies."""
    from ifc_factory import make_test_building
    from test_scenario_apply import make_town

    from twin.scenario import apply, load_base, load_scenario

    store = make_pg_store("att")
    info = make_town(store)
    monkeypatch.setenv("TWIN_STORE", store.url)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "proposal.ifc"
    make_test_building(path, storeys=3, map_conversion={
        "crs": "EPSG:4549", "eastings": info["x0"] + 20, "northings": info["y0"] + 150})
    store.save_scenario("up", {"format": "twin-scenario", "schema_version": 1, "name": "up",
                               "edits": []})
    at = _run(AppTest.from_file(APP, default_timeout=120))
    at.switch_page("app_pages/scenarios.py")
    _run(at)
    at.file_uploader(key="scen_ifc").upload("proposal.ifc", path.read_bytes(),
                                            "application/octet-stream")
    at.button(key="scen_add_ifc").click()
    _run(at)
    assert not at.error, [e.value for e in at.error]
    (key,) = store.attachments()
    assert store.read_attachment(key) == path.read_bytes()
    assert not (tmp_path / "scenario_files").exists()
    view = apply(load_base(store), load_scenario(store, "up"))
    assert view.changed_ids("building", "added")
