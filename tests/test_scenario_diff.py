"""Scenario diff acceptance: tower → FAR/height fail and newly shaded homes; flood level →
newly affected buildings; reproducible stacked scenarios; base store untouched."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import box
from test_scenario_apply import make_town, origin, tree_digest

from twin.crs import working_crs
from twin.errors import ScenarioError
from twin.io.report import LayerData
from twin.kinds import conform
from twin.scenario import (
    AddBuilding,
    FloodLevel,
    Scenario,
    apply,
    load_base,
    load_scenario,
    parse_edits,
    save_scenario,
    stack,
)
from twin.scenario.diff import diff, diff_scenario


@pytest.fixture
def town(store):
    return store, make_town(store)


def _tower(info) -> Scenario:
    return Scenario("tower", [AddBuilding(footprint=info["tower"], height_m=100, floors=30,
                                          use="R", id="T1", crs="EPSG:4549")])


def test_tower_flips_far_and_height_of_its_parcel_only(town):
    store, info = town
    base = load_base(store)
    result = diff(base, apply(base, _tower(info)))
    ind = result.status_changes[result.status_changes["query"] == "indicators"]
    assert [tuple(r) for r in ind[["kind", "id", "check", "before", "after"]].itertuples(
        index=False)] == [("parcel", "P1", "far", "pass", "fail"),
                          ("parcel", "P1", "height", "pass", "fail")]
    assert result.changed_ids("parcel") == ["P1"]
    rows = result.indicators.set_index(["query", "scope", "id", "indicator"])
    far = rows.loc[("indicators", "parcel", "P1", "far")]
    # (2000 + 300 m2 existing + 30 floors x 1600 m2) / 10000 m2
    assert far["before"] == pytest.approx(0.23) and far["after"] == pytest.approx(5.03)
    assert rows.loc[("indicators", "parcel", "P2", "far"), "changed"] == False  # noqa: E712
    assert rows.loc[("indicators", "town", "", "far_fail"), "after"] == 1


def test_tower_newly_shades_the_home_north_of_it(town):
    store, info = town
    base = load_base(store)
    result = diff(base, apply(base, _tower(info)), queries=["sunlight"])
    sun = result.status_changes
    worse = sun[(sun["query"] == "sunlight") & (sun["change"] == "worse")]
    assert list(worse["id"]) == ["B2"]  # the slab 15 m north of the tower
    before, after = result.results["sunlight"]
    b = before.layer.set_index("id")
    a = after.layer.set_index("id")
    assert b.loc["B2", "sun_hours_min"] >= 2.0 > a.loc["B2", "sun_hours_min"]
    # B1, south of the tower, keeps its sun.
    assert "B1" not in set(sun["id"])


def test_raising_the_flood_level_lists_the_newly_affected_buildings(town):
    store, _ = town
    base = load_base(store)
    params = {"flood": {"level_m": 2.0}}  # the basin (1 m) floods, the 5 m plain does not
    same = diff(base, apply(base, Scenario("f3", [FloodLevel(level_m=3.0)])), params=params,
                queries=["flood"])
    assert same.status_changes.empty
    result = diff(base, apply(base, Scenario("f6", [FloodLevel(level_m=6.0)])), params=params,
                  queries=["flood"])
    town_rows = result.town().set_index("indicator")
    assert town_rows.loc["affected_buildings", "before"] == 1  # B3 in the basin
    assert town_rows.loc["affected_buildings", "after"] == 3
    newly = result.status_changes[result.status_changes["change"] == "worse"]
    assert list(newly["id"]) == ["B1", "B2"]
    assert set(newly["after"]) == {"flooded"} and set(newly["before"]) == {"ok"}
    depth = result.indicators.set_index(["scope", "id", "indicator"])
    assert depth.loc[("building", "B3", "depth_m"), "before"] == pytest.approx(1.0)
    assert depth.loc[("building", "B3", "depth_m"), "after"] == pytest.approx(5.0)


def test_stacked_saved_scenarios_give_the_same_diff_every_time(town):
    store, info = town
    a = _tower(info)
    b = Scenario("b", parse_edits(["set-parcel", "id=P1", "max_far=6", "flood", "level=6",
                                   "remove-building", "id=B3"]))
    save_scenario(store, a)
    save_scenario(store, b)
    before = tree_digest(store.root)
    params = {"flood": {"level_m": 2.0}}
    runs = []
    for _ in range(2):
        stacked = stack(load_scenario(store, "tower"), load_scenario(store, "b"))
        runs.append(json.dumps(diff_scenario(store, stacked, params=params).to_dict(),
                               sort_keys=True))
    assert runs[0] == runs[1]
    doc = json.loads(runs[0])
    ind = {(r["id"], r["check"]) for r in doc["status_changes"] if r["query"] == "indicators"}
    assert ind == {("P1", "height")}  # max_far 6 lets the tower's FAR pass; height still fails
    removed = [r for r in doc["status_changes"] if r["id"] == "B3"]
    assert removed and all(r["after"] == "absent" for r in removed)
    # A second base read gives the identical diff; the store never changed.
    base = load_base(store)
    again = diff(base, apply(base, stack(a, b)), params=params)
    assert json.dumps(again.to_dict(), sort_keys=True) == runs[0]
    assert tree_digest(store.root) == before


def test_the_same_scenario_file_gives_the_same_diff(town, tmp_path):
    store, info = town
    stacked = stack(_tower(info), Scenario("b", parse_edits(["flood", "level=6"])))
    path = tmp_path / "stacked.json"
    path.write_text(json.dumps(stacked.to_dict(), ensure_ascii=False), encoding="utf-8")
    params = {"flood": {"level_m": 2.0}}
    first = diff_scenario(store, stacked, params=params).to_dict()
    again = Scenario.from_dict(json.loads(path.read_text(encoding="utf-8")))
    assert again == stacked
    assert diff_scenario(store, again, params=params).to_dict() == first


def test_diff_of_a_scenario_whose_target_is_gone_names_the_edit(town):
    store, info = town
    s = Scenario("late", parse_edits(["remove-building", "id=B2", "set-building", "id=B2",
                                      "height=30"]))
    with pytest.raises(ScenarioError, match=r"^edit 1 \(set_building B2\): no building"):
        diff_scenario(store, s)


def test_local_sunlight_matches_a_full_run(store):
    """Sunlight evaluated only within the changed buildings' shadow reach gives exactly the
    per-building results of full runs, on a grid of homes around a proposed tower."""
    x0, y0 = origin()
    rows, geoms = [], []
    for i in range(8):
        for j in range(8):
            rows.append({"id": f"H{i}{j}", "name": f"H{i}{j}", "use": "R", "height_m": 18.0,
                         "floors": 6, "base_elev_m": 0.0, "gfa_m2": 2400.0})
            geoms.append(box(x0 + 60 * i, y0 + 45 * j, x0 + 60 * i + 40, y0 + 45 * j + 10))
    for k in range(4):  # far away: out of every receiver's reach, masked as obstacles
        rows.append({"id": f"FAR{k}", "name": "far", "use": "R", "height_m": 60.0,
                     "floors": 20, "base_elev_m": 0.0, "gfa_m2": 8000.0})
        geoms.append(box(x0 + 3000 + 50 * k, y0 - 40, x0 + 3030 + 50 * k, y0 - 10))
    frame, _ = conform(gpd.GeoDataFrame(rows, geometry=geoms, crs=working_crs()), "building")
    store.commit([LayerData("building", "building",
                            gpd.GeoDataFrame(frame, geometry="geometry", crs=working_crs()))])
    tower = [(x0 + 190, y0 + 160), (x0 + 230, y0 + 160), (x0 + 230, y0 + 175),
             (x0 + 190, y0 + 175)]
    s = Scenario("t", parse_edits(["add-building", "footprint=" + ";".join(
        f"{a},{b}" for a, b in tower), "height=80", "id=T", "crs=working",
        "set-building", "id=H00", "height=60"]))
    base = load_base(store)
    view = apply(base, s)
    local = diff(base, view, queries=["sunlight"])
    full = diff(base, view, queries=["sunlight"], full=True)
    assert 0 < local.local["sunlight"] < 64
    assert not {"FAR0", "FAR3"} & set(local.status_changes["id"])
    assert local.status_changes.equals(full.status_changes)
    assert len(local.status_changes) >= 2  # homes north of the tower lose their sun
    per = [d.indicators[d.indicators["scope"] == "building"].reset_index(drop=True)
           for d in (local, full)]
    assert per[0].equals(per[1])
    assert set(full.town()["indicator"]) >= {"flagged"}
    assert set(local.indicators["scope"]) == {"area", "building"}
