"""window_sunlight (GB 50180 窗户日照): windows per floor or from IFC, hours against a
brute-force sun-vector loop on pvlib positions, the standard by zone and city, and what a
proposal takes from its neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest
from query_frames import X0, Y0, buildings

import twin.query as q
from twin.crs import WGS84, transform_xy, working_crs
from twin.query.common import location_lonlat
from twin.query.solar import grid_north_offset, major_cold
from twin.query.sunlight_standard import standard_for


def _brute_hours(x, y, z, normal_az, boxes, day, lon, lat, start_h=8.0, end_h=16.0):
    """Minutes of sun, one pvlib position per minute of true solar time, each ray tested
    against each box (minx, miny, maxx, maxy, top) by the slab method: plain Python."""
    doy = pd.Timestamp(day).day_of_year
    eot = float(pvlib.solarposition.equation_of_time_spencer71(doy))
    minutes = np.arange(int((end_h - start_h) * 60)) + 0.5
    utc_h = start_h + minutes / 60.0 - lon / 15.0 - eot / 60.0
    times = pd.DatetimeIndex(pd.Timestamp(day).tz_localize("UTC")
                             + pd.to_timedelta(utc_h, unit="h"))
    pos = pvlib.solarposition.get_solarposition(times, lat, lon)
    offset = grid_north_offset(lon, lat, working_crs())
    lit = 0
    for alt, az in zip(pos["apparent_elevation"], pos["azimuth"] + offset):
        if alt <= 0 or np.cos(np.radians(az - normal_az)) <= 0:
            continue
        d = np.array([np.sin(np.radians(az)) * np.cos(np.radians(alt)),
                      np.cos(np.radians(az)) * np.cos(np.radians(alt)), np.sin(np.radians(alt))])
        blocked = False
        for minx, miny, maxx, maxy, top in boxes:
            lo, hi = 0.0, np.inf
            for o, dd, a, b in ((x, d[0], minx, maxx), (y, d[1], miny, maxy), (z, d[2], -1e9, top)):
                if abs(dd) < 1e-12:
                    if not a <= o <= b:
                        lo, hi = 1, 0
                    continue
                t1, t2 = sorted(((a - o) / dd, (b - o) / dd))
                lo, hi = max(lo, t1), min(hi, t2)
            if lo <= hi:
                blocked = True
                break
        lit += not blocked
    return lit / 60.0


@pytest.mark.parametrize("gap", [20.0, 35.0])
def test_window_behind_a_30m_tower_matches_brute_force_within_5_minutes(gap):
    # the tower is due south of the home: its north face 20 m (35 m) from the window
    tower = (0.0, -gap - 20.0, 30.0, -gap)
    b = buildings([{"id": "T", "use": "B1", "height_m": 30.0, "base_elev_m": 0.0,
                    "box": tower},
                   {"id": "H", "use": "R2", "height_m": 3.0, "floors": 1, "base_elev_m": 0.0,
                    "box": (10, 0, 16, 10)}])
    res = q.run("window_sunlight", {"building": b})
    w = res.layer.iloc[0]
    assert (w.geometry.x - X0, w.geometry.y - Y0) == pytest.approx((13.0, -0.1))
    assert w["z_m"] == pytest.approx(0.9) and w["facade_azimuth_deg"] == pytest.approx(180.0)
    lon, lat = location_lonlat(b)
    box = (X0 + tower[0], Y0 + tower[1], X0 + tower[2], Y0 + tower[3], 30.0)
    brute = _brute_hours(w.geometry.x, w.geometry.y, w["z_m"], 180.0, [box],
                         major_cold(2026), lon, lat)
    assert 0.5 < brute < 7.5  # the tower takes part of the day, not all of it
    assert w["sun_hours"] == pytest.approx(brute, abs=5 / 60)
    assert res.summary["standard"] == "大寒日 ≥ 2 h (8–16 h)"
    assert w["status"] == ("pass" if w["sun_hours"] >= 2 else "fail")


def test_windows_per_floor_get_more_sun_higher_up():
    b = buildings([{"id": "T", "use": "B1", "height_m": 24.0, "base_elev_m": 0.0,
                    "box": (-10, -30, 40, -18)},
                   {"id": "H", "use": "R2", "height_m": 18.0, "floors": 6, "base_elev_m": 0.0,
                    "box": (0, 0, 18, 12)}])
    res = q.run("window_sunlight", {"building": b})
    win = res.layer
    assert len(win) == 5 * 6  # 18 m of south facade: 5 bays of 3.6 m, six floors
    assert sorted(win["floor"].unique()) == [1, 2, 3, 4, 5, 6]
    assert win["z_m"].min() == pytest.approx(0.9) and win["z_m"].max() == pytest.approx(15.9)
    by_floor = win.groupby("floor")["sun_hours"].min()
    assert by_floor.is_monotonic_increasing
    assert by_floor.iloc[0] < by_floor.iloc[-1]
    assert res.extra_layers["buildings"].iloc[0]["windows"] == 30


def test_standard_by_zone_city_and_elderly_housing():
    assert standard_for("II", "large").min_hours == 2.0
    assert standard_for("II", "small").min_hours == 3.0
    s = standard_for("V", "large")
    assert (s.day, s.min_hours, s.start_h, s.end_h) == ("winter_solstice", 1.0, 9.0, 15.0)
    old = standard_for("II", "large", elderly=True)
    assert (old.day, old.min_hours) == ("winter_solstice", 2.0)
    b = buildings([{"id": "E", "use": "R2", "name": "老年公寓", "height_m": 9.0, "floors": 3,
                    "base_elev_m": 0.0, "box": (0, 0, 10, 10)}])
    res = q.run("window_sunlight", {"building": b})
    assert set(res.layer["standard"]) == {"冬至日 ≥ 2 h (9–15 h)"}
    assert res.layer["sun_hours"].max() == pytest.approx(6.0, abs=0.01)  # nothing in the way
    assert res.summary["elderly_buildings"] == 1


def test_ifc_windows_are_used_where_the_model_has_them(tmp_path):
    import geopandas as gpd
    import shapely

    b = buildings([{"id": "IFC-H", "use": "R2", "height_m": 9.0, "floors": 3,
                    "base_elev_m": 0.0, "box": (0, 0, 20, 10)}])
    wins = gpd.GeoDataFrame({
        "guid": ["g1", "g2", "g3"], "ifc_class": ["IfcWindow"] * 3, "name": ["s1", "s2", "n"],
        "storey": ["1F", "2F", "1F"], "building_id": ["IFC-H"] * 3, "elev_m": [0.0, 3.0, 0.0],
        "z_min_m": [0.9, 3.9, 0.9], "psets": ["{}"] * 3},
        geometry=[shapely.box(X0 + 4, Y0 - 0.1, X0 + 5.5, Y0 + 0.1),
                  shapely.box(X0 + 4, Y0 - 0.1, X0 + 5.5, Y0 + 0.1),
                  shapely.box(X0 + 4, Y0 + 9.9, X0 + 5.5, Y0 + 10.1)], crs=working_crs())
    res = q.run("window_sunlight", {"building": b, "bim_element": wins})
    assert sorted(res.layer["id"]) == ["g1", "g2"]  # the north window does not face the sun
    assert set(res.layer["source"]) == {"ifc"}
    assert sorted(res.layer["z_m"]) == [0.9, 3.9]
    assert res.layer.geometry.iloc[0].y == pytest.approx(Y0 - 0.1)


def test_a_proposal_lists_hours_before_and_after_for_each_window(tmp_path):
    from twin.importer import import_file
    from twin.scenario import Scenario, apply, diff, load_base
    from twin.scenario.model import AddBuilding
    from twin.store import open_store

    b = buildings([{"id": "H", "use": "R2", "height_m": 9.0, "floors": 3, "base_elev_m": 0.0,
                    "box": (0, 0, 14, 10)},
                   {"id": "Far", "use": "R2", "height_m": 9.0, "floors": 3, "base_elev_m": 0.0,
                    "box": (500, 500, 514, 510)}])
    src = tmp_path / "b.geojson"
    b.to_file(src, driver="GeoJSON")
    store = open_store(str(tmp_path / "layers"))
    import_file(store, src, kind="building", layer="building")
    lon0, lat0 = transform_xy([X0 - 10, X0 + 24, X0 + 24, X0 - 10],
                              [Y0 - 40, Y0 - 40, Y0 - 25, Y0 - 25], working_crs(), WGS84)
    scen = Scenario("tower", edits=[AddBuilding(footprint=tuple(zip(lon0, lat0)), height_m=45.0,
                                                use="B1", id="NEW")])
    base = load_base(store)
    d = diff(base, apply(base, scen), queries=["window_sunlight"])
    rows = d.indicators[(d.indicators["query"] == "window_sunlight")
                        & (d.indicators["indicator"] == "sun_hours")]
    assert len(rows) and set(rows["id"].str.split("/").str[0]) == {"H"}
    assert (rows["after"] < rows["before"]).all()
    changed = d.status_changes[d.status_changes["query"] == "window_sunlight"]
    assert set(changed["change"]) <= {"worse"}


def test_a_run_over_max_windows_says_to_choose_a_parcel():
    from twin.errors import QueryError

    b = buildings([{"id": "H", "use": "R2", "height_m": 30.0, "floors": 10, "base_elev_m": 0.0,
                    "box": (0, 0, 36, 12)}])
    with pytest.raises(QueryError, match="100 windows.*max_windows=50") as err:
        q.run("window_sunlight", {"building": b}, max_windows=50)
    assert "--parcel" in err.value.hint
    assert len(q.run("window_sunlight", {"building": b}, max_windows=0).layer) == 100
