"""coverage: shares of residential buildings and GFA within service radii."""

from __future__ import annotations

import pytest
from query_frames import buildings, facilities

import twin.query as q
from twin.errors import QueryError


def _layers():
    b = buildings([
        # representative points: (5, 5), (905, 5), (1505, 5); offices are ignored
        {"id": "R-near", "use": "R2", "floors": 2, "box": (0, 0, 10, 10)},       # GFA 200
        {"id": "R-mid", "use": "住宅", "floors": 6, "box": (900, 0, 910, 10)},    # GFA 600
        {"id": "R-far", "use": "residential", "floors": 2, "box": (1500, 0, 1510, 10)},
        {"id": "Office", "use": "B1", "floors": 20, "box": (0, 50, 10, 60)},
    ])
    f = facilities([
        {"id": "S1", "kind": "school", "xy": (5, 5)},
        {"id": "C1", "kind": "clinic", "xy": (1505, 5)},
    ])
    return {"building": b, "facility": f}


def test_shares_of_buildings_and_gfa():
    res = q.run("coverage", _layers(), radii="school=1000,clinic=600,elderly_care=500")
    table = res.table.set_index("kind")
    assert table.loc["school", "covered"] == 2          # 0 m and 900 m ≤ 1000 m
    assert table.loc["school", "share_buildings"] == pytest.approx(2 / 3, abs=1e-4)
    assert table.loc["school", "share_gfa"] == pytest.approx(800 / 1000)
    assert table.loc["clinic", "covered"] == 2          # 600 m ≤ 600 m is covered
    assert table.loc["clinic", "share_gfa"] == pytest.approx(800 / 1000)
    assert table.loc["elderly_care", "covered"] == 0 and table.loc["elderly_care",
                                                                   "facilities"] == 0
    layer = res.layer.set_index("id")
    assert "Office" not in layer.index
    assert layer.loc["R-far", "uncovered"] == "school,elderly_care"
    assert layer.loc["R-near", "dist_school_m"] == 0
    assert layer.loc["R-mid", "dist_clinic_m"] == pytest.approx(600.0)
    assert res.summary["residential_buildings"] == 3
    assert res.summary["share_school"] == pytest.approx(0.6667, abs=1e-4)


def test_default_radii_and_kind_filter():
    res = q.run("coverage", _layers())
    assert list(res.table["kind"]) == ["school", "clinic", "elderly_care", "metro_station"]
    res = q.run("coverage", _layers(), kinds="school")
    assert list(res.table["kind"]) == ["school"]
    with pytest.raises(QueryError, match="no radius for facility kind 'zoo'"):
        q.run("coverage", _layers(), kinds="zoo")
    with pytest.raises(QueryError, match="radii takes NAME=VALUE"):
        q.run("coverage", _layers(), radii="school")


def test_network_distance_walks_round_the_block():
    from query_frames import roads

    # an L-shaped street: the school at its west end, the home at its north end
    # straight line 718 m, along the street 500 + 500 m plus 5 m and 10 m access legs
    r = roads([{"id": "S", "road_class": "branch", "width_m": 10.0,
                "coords": [(0, 0), (500, 0), (500, 500)]},
               {"id": "M", "road_class": "metro", "width_m": 10.0,
                "coords": [(0, 0), (500, 500)]}])
    b = buildings([{"id": "HOME", "use": "R2", "floors": 3, "box": (505, 495, 515, 505)}])
    f = facilities([{"id": "S1", "kind": "school", "xy": (0, -5)}])
    layers = {"building": b, "facility": f, "road": r}
    straight = q.run("coverage", layers, kinds="school")
    assert straight.layer.iloc[0]["dist_school_m"] == pytest.approx(717.7, abs=0.1)
    walk = q.run("coverage", layers, kinds="school", distance="network",
                 radii="school=1100")
    assert walk.layer.iloc[0]["dist_school_m"] == pytest.approx(1015.0, abs=0.1)
    assert walk.table.iloc[0]["covered"] == 1
    walk = q.run("coverage", layers, kinds="school", distance="network")
    assert walk.table.iloc[0]["covered"] == 0 and walk.layer.iloc[0]["uncovered"] == "school"
    with pytest.raises(QueryError, match="needs a road"):
        q.run("coverage", _layers(), distance="network")
