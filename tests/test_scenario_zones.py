"""The Scenarios map draws a river_buffer edit's zone as the setbacks query checks it: a
polygon river (its water surface) is buffered by its setback alone, a line river (its
centreline) by width/2 + setback. The page used to buffer every river by width/2 + setback."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box
from test_scenario_apply import make_town

from twin.crs import transform_xy, working_crs
from twin.io.report import LayerData
from twin.kinds import conform
from twin.query import get_query
from twin.query.inputs import QueryInputs
from twin.scenario import RiverBuffer, Scenario, apply, load_base
from twin.scenario.zones import river_buffer_zones

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def lake_town(store):
    info = make_town(store)
    x0, y0 = info["x0"], info["y0"]
    lake = box(x0 + 200, y0, x0 + 260, y0 + 40)     # a pond: the water surface itself
    frame, _ = conform(gpd.GeoDataFrame({"id": ["L1"], "name": ["荷塘"], "width_m": [10.0],
                                         "setback_m": [5.0]}, geometry=[lake],
                                        crs=working_crs()), "river")
    store.commit([LayerData("lake", "river", gpd.GeoDataFrame(frame, geometry="geometry",
                                                             crs=working_crs()))])
    return store, info, lake


def _scenario():
    return Scenario("buffers", [RiverBuffer(river="L1", distance_m=12.0),
                                RiverBuffer(river="R1", distance_m=8.0)])


def test_zones_are_the_setbacks_querys_own(lake_town):
    store, _info, lake = lake_town
    view = apply(load_base(store), _scenario())
    zones = river_buffer_zones(view).set_index("ref_id")
    assert sorted(zones.index) == ["L1", "R1"]
    assert zones.loc["L1", "required_m"] == 12.0           # setback only: a polygon river
    assert zones.loc["R1", "required_m"] == 10.0 / 2 + 8.0  # centreline: width/2 + setback
    assert zones.loc["L1", "geometry"].symmetric_difference(shapely.buffer(lake, 12.0)).area < 1e-6
    query_zones = get_query("setbacks").run(QueryInputs(view), **get_query("setbacks").defaults()
                                            ).extra_layers["zones"].set_index("ref_id")
    for rid in ("L1", "R1"):
        assert zones.loc[rid, "geometry"].equals(query_zones.loc[rid, "geometry"])


def test_the_scenarios_map_draws_the_polygon_rivers_zone_by_its_setback(lake_town,
                                                                        monkeypatch):
    from streamlit.testing.v1 import AppTest

    store, _info, lake = lake_town
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    monkeypatch.setenv("TWIN_INLINE_MAP_DATA", "1")
    store.save_scenario("buffers", _scenario().to_dict())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/scenarios.py")
    at.run()
    assert not at.exception, at.exception
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = [layer for layer in deck["layers"] if layer["id"].startswith("scen_buffer")]
    assert layers, [layer["id"] for layer in deck["layers"]]
    records = [r for layer in layers for r in layer["data"]]
    texts = sorted(r["t"] for r in records)
    assert texts == ["河道蓝线退让区 L1 · 12 m", "河道蓝线退让区 R1 · 13 m"]
    ring = next(r for r in records if "L1" in r["t"])["p"]
    ring = np.asarray(ring[0] if isinstance(ring[0][0], list) else ring, dtype=float)
    x, y = transform_xy(ring[:, 0], ring[:, 1], "EPSG:4326", working_crs())
    drawn = shapely.Polygon(np.column_stack([x, y]))
    expect = shapely.buffer(lake, 12.0)
    # lon/lat are rounded to 1e-6 degrees (about 0.1 m); the old page drew lake.buffer(17)
    assert drawn.symmetric_difference(expect).area < 0.02 * expect.area
    assert abs(drawn.area - expect.area) < abs(lake.buffer(17.0).area - expect.area) / 10
