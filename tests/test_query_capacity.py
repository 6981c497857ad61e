"""capacity (容量测算): the largest legal massing of a parcel, hand-checked, with and
without a sunlight-sensitive neighbour, and added to a scenario."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from query_frames import X0, Y0, buildings, frame, parcels

import twin.query as q


def _parcel(far=2.0, density=0.3, height=24.0, green=0.35):
    return parcels([{"id": "P1", "name": "A", "land_use": "R2", "max_far": far,
                     "max_density": density, "max_height_m": height, "min_green_ratio": green,
                     "box": (0, 0, 100, 100)}])


@pytest.mark.parametrize("far", [2.0, 3.0])
def test_empty_parcel_reaches_min_of_far_and_density_times_floors(far):
    res = q.run("capacity", {"parcel": _parcel(far=far)}, parcel="P1", setback_m=10)
    expected = min(far, 0.3 * 8)  # 24 m / 3 m = 8 floors
    assert res.summary["far"] == pytest.approx(expected, rel=0.03)
    assert res.summary["floors"] == 8 or far == 2.0
    assert res.summary["binding"] == ("far" if far < 2.4 else "density,height")
    blocks = res.layer
    env = shapely.box(X0 + 10, Y0 + 10, X0 + 90, Y0 + 90)
    assert all(env.buffer(1e-6).contains(g) for g in blocks.geometry)
    assert (blocks["height_m"] <= 24.0).all()
    assert blocks["gfa_m2"].sum() == pytest.approx(expected * 10_000, rel=0.03)
    # the massing passes the envelope and the indicators it was made under
    layers = {"parcel": _parcel(far=far), "building": blocks}
    env_res = q.run("envelope", layers, setback_m=10)
    assert env_res.layer.iloc[0]["status"] == "pass"
    ind = q.run("indicators", layers).layer.iloc[0]
    assert ind["far_status"] == "pass" and ind["density_status"] == "pass"


def test_a_height_surface_over_the_parcel_lowers_the_floors():
    cone = frame({"id": ["AP"], "name": ["机场净空"], "surface_type": ["cone"],
                  "base_elev_m": [12.0], "slope": [0.0], "radius_m": [500.0]},
                 [shapely.Point(X0 + 50, Y0 + 50)])
    res = q.run("capacity", {"parcel": _parcel(far=3.0), "feature": cone}, parcel="P1",
                setback_m=10)
    assert res.summary["floors"] == 4
    assert res.summary["far"] == pytest.approx(0.3 * 4, rel=0.03)
    assert "机场净空" in res.summary["binding"]


def test_a_sunlight_sensitive_neighbour_north_lowers_it_and_sunlight_binds():
    home = buildings([{"id": "H", "use": "R2", "height_m": 9.0, "floors": 3, "base_elev_m": 0.0,
                       "box": (0, 104, 100, 116)}])
    alone = q.run("capacity", {"parcel": _parcel(far=3.0)}, parcel="P1", setback_m=10,
                  sunlight=False)
    res = q.run("capacity", {"parcel": _parcel(far=3.0), "building": home}, parcel="P1",
                setback_m=10)
    assert res.summary["gfa_m2"] < alone.summary["gfa_m2"]
    assert res.summary["binding"] == "sunlight"
    assert res.summary["windows_checked"] > 0
    assert len(res.tables["harmed_windows"]) > 0  # what the unconstrained massing would harm
    # the answer harms none: every window of the home still meets 2 h (it did before)
    after = q.run("window_sunlight", {"building": _concat(home, res.layer)})
    mine = after.layer[after.layer["building_id"] == "H"]
    assert (mine["sun_hours"] >= 2.0).all()
    one_more = res.layer.assign(height_m=res.layer["height_m"] + 3.0)
    worse = q.run("window_sunlight", {"building": _concat(home, one_more)}).layer
    assert (worse[worse["building_id"] == "H"]["sun_hours"] < 2.0).any()


def _concat(a, b):
    import geopandas as gpd
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat([a, b], ignore_index=True), geometry="geometry",
                            crs=a.crs)


def test_massing_goes_into_a_scenario_in_one_call(tmp_path):
    from twin.importer import import_file
    from twin.query.capacity import add_massing_to_scenario
    from twin.scenario import apply, diff, load_base, load_scenario
    from twin.store import open_store

    store = open_store(str(tmp_path / "layers"))
    src = tmp_path / "p.geojson"
    _parcel().to_file(src, driver="GeoJSON")
    import_file(store, src, kind="parcel", layer="parcel")
    res = q.run("capacity", store, parcel="P1", setback_m=10)
    assert add_massing_to_scenario(store, "容量", res) == 1
    scen = load_scenario(store, "容量")
    assert [e.op for e in scen.edits] == ["add_building"] * len(res.layer)
    base = load_base(store)
    view = apply(base, scen)
    added = view.frame("building")
    assert np.isclose(added["height_m"].astype(float), res.layer["height_m"].iloc[0]).all()
    d = diff(base, view, queries=["indicators"])
    far = d.indicators[(d.indicators["id"] == "P1") & (d.indicators["indicator"] == "far")]
    assert far["after"].iloc[0] == pytest.approx(res.summary["far"], rel=1e-3)
    # adding it again replaces the same blocks instead of stacking them
    add_massing_to_scenario(store, "容量", res)
    assert len(load_scenario(store, "容量").edits) == len(res.layer)


def test_existing_buildings_are_kept_around_or_replaced():
    old = buildings([{"id": "OLD", "use": "R2", "height_m": 12.0, "floors": 4,
                      "base_elev_m": 0.0, "box": (20, 20, 60, 32)}])  # 480 m², 1920 m² GFA
    layers = {"parcel": _parcel(far=2.0), "building": old}
    keep = q.run("capacity", layers, parcel="P1", setback_m=10, sunlight=False)
    assert keep.summary["existing_gfa_m2"] == pytest.approx(1920.0)
    assert keep.summary["gfa_m2"] == pytest.approx(20_000 - 1920, rel=0.03)
    assert keep.summary["far"] == pytest.approx(2.0, rel=0.03)
    gap = shapely.box(X0 + 20, Y0 + 20, X0 + 60, Y0 + 32).buffer(6.0)
    assert all(g.intersection(gap).area < 0.1 for g in keep.layer.geometry)
    new = q.run("capacity", layers, parcel="P1", setback_m=10, sunlight=False,
                existing_buildings="replace")
    assert new.summary["gfa_m2"] == pytest.approx(20_000, rel=0.03)
    from twin.query.capacity import massing_edits

    ops = [e.op for e in massing_edits(new)]
    assert ops[0] == "remove_building" and ops.count("add_building") == len(new.layer)


def test_a_small_far_on_a_parcel_without_setbacks_is_not_exceeded():
    # 4 rows of 8 m-deep slabs (the narrowest building) would hold 3,200 m² a floor; the FAR
    # allows 20,000 m² over 8 floors = 2,500 m²: fewer, deeper rows keep to it
    res = q.run("capacity", {"parcel": _parcel(far=2.0)}, parcel="P1")
    assert res.summary["gfa_m2"] == pytest.approx(20_000, rel=0.005)
    assert res.summary["gfa_m2"] <= 20_000 * 1.005
    assert res.summary["binding"] == "far"
    ind = q.run("indicators", {"parcel": _parcel(far=2.0), "building": res.layer}).layer.iloc[0]
    assert ind["far_status"] == "pass"
