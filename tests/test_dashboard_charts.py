"""The dashboard's charts: land-use mix, FAR by parcel against its limit, sensor alerts over
time and the key-project portfolio with the delayed projects (AppTest on the demo twin)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from twin.cli import main
from twin.projects import delayed_projects
from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("dash") / "demo"
    assert main(["--store", str(root), "demo", "--data", str(root.parent / "boli")]) == 0
    return ParquetStore(root)


def _chart_text(at) -> str:
    """The data of every native chart on the page (Arrow tables inside the protos) as text."""
    import pyarrow as pa

    parts = []
    for chart in at.get("vega_lite_chart"):
        proto = chart.proto
        blobs = [proto.data.data] if proto.HasField("data") else []
        blobs += [d.data.data for d in proto.datasets]
        for blob in blobs:
            if blob:
                parts.append(pa.ipc.open_stream(blob).read_all().to_pandas().to_json(
                    force_ascii=False, date_format="iso"))
    return "\n".join(parts)


def test_dashboard_charts_on_the_demo(demo, monkeypatch):
    monkeypatch.setenv("TWIN_STORE", str(demo.root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/dashboard.py")
    at.run()
    assert not at.exception, at.exception
    titles = [m.value for m in at.markdown]
    for title in ("**用地构成（占地块面积 %）**", "**地块容积率与上限（最高的 25 块）**",
                  "**感知告警随时间变化（每小时超阈值设备数）**",
                  "**重点项目分行业投资（亿元）**", "**重点项目形象进度与计划进度（%）**"):
        assert title in titles, title
    assert len(at.get("vega_lite_chart")) >= 8
    specs = _chart_text(at)
    assert "P220" in specs  # the parcel planted over its FAR is among the highest
    assert "氢能产业园二期" in specs and "产业" in specs
    late = delayed_projects(demo.read("project"), dt.date.today())
    table = at.dataframe[-1].value
    assert list(table.iloc[:, 0]) == list(late["id"])
    # English
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert "**Land-use mix (% of parcel area)**" in [m.value for m in at.markdown]
