"""Scenario acceptance on the Boli demo twin: a 100 m tower on a parcel with max_far 2.5."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_scenario_apply import tree_digest

from twin.scenario import FloodLevel, Scenario, apply, load_base
from twin.scenario.diff import diff
from twin.scenario.propose import propose_tower

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from twin.demo import build
    from twin.store import open_store

    root = tmp_path_factory.mktemp("demo")
    build(root / "data", root / "layers")
    return open_store(root / "layers")


def test_demo_tower_flips_exactly_far_and_height_and_shades_homes(demo_store):
    before_files = tree_digest(demo_store.root)
    tower, parcel = propose_tower(demo_store)
    base = load_base(demo_store)
    view = apply(base, Scenario("tower", [tower]))
    result = diff(base, view, queries=["indicators", "sunlight"])
    ind = result.status_changes[result.status_changes["query"] == "indicators"]
    assert [tuple(r) for r in ind[["kind", "id", "check", "before", "after"]].itertuples(
        index=False)] == [("parcel", parcel, "far", "pass", "fail"),
                          ("parcel", parcel, "height", "pass", "fail")]
    sun = result.status_changes[result.status_changes["query"] == "sunlight"]
    newly = sun[sun["change"] == "worse"]
    assert len(newly) >= 1
    # Every newly shaded home lies north of the tower (the sun is south at 大寒).
    b = view.frame("building").set_index("id")
    ty = b.loc[tower.id].geometry.centroid.y
    assert all(b.loc[i].geometry.centroid.y > ty for i in newly["id"])
    before, after = result.results["sunlight"]
    a = after.layer.set_index("id")
    assert (a.loc[list(newly["id"]), "sun_hours_min"] < 2.0).all()
    assert tree_digest(demo_store.root) == before_files


def test_demo_flood_level_raises_affected_count(demo_store):
    base = load_base(demo_store)
    result = diff(base, apply(base, Scenario("f", [FloodLevel(level_m=5.0)])),
                  params={"flood": {"level_m": 3.0}}, queries=["flood"])
    town = result.town().set_index("indicator")
    assert town.loc["affected_buildings", "after"] > town.loc["affected_buildings", "before"]
    newly = result.status_changes[result.status_changes["change"] == "worse"]
    added = town.loc["affected_buildings", "after"] - town.loc["affected_buildings", "before"]
    assert len(newly) == added  # a higher level keeps every building flooded at the lower one
