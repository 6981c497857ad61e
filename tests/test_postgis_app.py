"""The Streamlit app on the shared PostGIS store (``TWIN_STORE=postgresql://…``): the map
draws the same layers as on the embedded store, and a query runs with push-down."""

from __future__ import annotations

import json
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
    checked = dict(metrics_pg)["buildings_checked"]
    assert int(checked.replace(",", "")) == len(pg_town.read("buildings"))
    # the same town in the embedded store draws the same layers and the same query result
    monkeypatch.setenv("TWIN_STORE", str(build_town(ParquetStore(tmp_path / "layers")).root))
    at = _run(AppTest.from_file(APP, default_timeout=120))
    assert _layer_ids(at) == on_postgis
    assert _setbacks_page(at) == (metrics_pg, rows_pg)
