"""Scenarios on the shared PostGIS store: saved, applied and diffed like on the embedded
store, and the base layers stay as they were."""

from __future__ import annotations

import pandas as pd
import pytest
from test_scenario_apply import make_town

from twin.scenario import (
    AddBuilding,
    FloodLevel,
    Scenario,
    apply,
    load_base,
    load_scenario,
    save_scenario,
)
from twin.scenario.diff import diff

pytestmark = [pytest.mark.postgis]


@pytest.fixture
def pg_town(make_pg_store):
    store = make_pg_store("scen")
    return store, make_town(store)


def test_scenario_on_postgis(pg_town):
    store, info = pg_town
    s = Scenario("tower", [AddBuilding(footprint=info["tower"], height_m=100, floors=30,
                                       id="T1", crs="EPSG:4549"), FloodLevel(level_m=6.0)])
    assert save_scenario(store, s) == 1
    assert load_scenario(store, "tower") == s
    before = {i.name: (i.current, i.rows) for i in store.layers()}
    buildings = store.read("building")
    base = load_base(store)
    result = diff(base, apply(base, s), params={"flood": {"level_m": 2.0}},
                  queries=["indicators", "sunlight", "flood"])
    ind = result.status_changes[result.status_changes["query"] == "indicators"]
    assert sorted(zip(ind["id"], ind["check"])) == [("P1", "far"), ("P1", "height")]
    sun = result.status_changes[(result.status_changes["query"] == "sunlight")
                                & (result.status_changes["change"] == "worse")]
    assert list(sun["id"]) == ["B2"]
    flood = result.status_changes[(result.status_changes["query"] == "flood")
                                  & (result.status_changes["change"] == "worse")]
    assert list(flood["id"]) == ["B1", "B2"]
    assert {i.name: (i.current, i.rows) for i in store.layers()} == before
    after = store.read("building")
    pd.testing.assert_frame_equal(after.drop(columns="geometry"),
                                  buildings.drop(columns="geometry"))
    assert after.geometry.equals(buildings.geometry)
