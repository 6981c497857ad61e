"""shadows and sunlight: shadow length h / tan(altitude) and 大寒日 hours, hand-checked."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pvlib
import pytest
import shapely
from query_frames import X0, Y0, buildings

import twin.query as q
from twin.crs import WGS84, transform_xy, working_crs
from twin.query.solar import major_cold, solar_times
from twin.query.sunlight import facade_points, shadow_polygons


def _lonlat(x, y):
    lon, lat = transform_xy([x], [y], working_crs(), WGS84)
    return float(lon[0]), float(lat[0])


def test_shadow_length_is_h_over_tan_altitude():
    b = buildings([{"id": "T", "use": "B1", "height_m": 30.0, "box": (0, 0, 10, 10)}])
    when = "2026-01-20T10:00:00+08:00"
    res = q.run("shadows", {"building": b}, when=when)
    lon, lat = _lonlat(X0 + 5, Y0 + 5)
    pos = pvlib.solarposition.get_solarposition(pd.DatetimeIndex([pd.Timestamp(when)]), lat, lon)
    alt = float(pos["apparent_elevation"].iloc[0])
    az = float(pos["azimuth"].iloc[0])
    expected = 30.0 / np.tan(np.radians(alt))
    assert res.layer.iloc[0]["shadow_length_m"] == pytest.approx(expected, rel=0.01)
    # measure on the polygon: how far the shadow reaches beyond the footprint, away from the sun
    away = np.radians(az + 180.0)
    u = np.array([np.sin(away), np.cos(away)])
    shadow = np.asarray(res.layer.geometry.iloc[0].exterior.coords)
    foot = np.asarray(b.geometry.iloc[0].exterior.coords)
    reach = (shadow @ u).max() - (foot @ u).max()
    assert reach == pytest.approx(expected, rel=0.01)
    assert res.summary["altitude_deg"] == pytest.approx(alt, abs=0.05)
    # in the morning the shadow falls to the north-west of the building
    c = res.layer.geometry.iloc[0].centroid
    assert c.x < X0 + 5 and c.y > Y0 + 5


def test_concave_footprint_sweeps_every_edge():
    ell = shapely.Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 30), (0, 30)])
    out = shadow_polygons(np.array([ell]), np.array([20.0]), np.array([25.0]))[0]
    assert out.is_valid
    assert out.contains(ell.buffer(-0.01))
    assert out.contains(shapely.affinity.translate(ell, 20, 25).buffer(-0.01))
    # the notch of the L is swept over; the notch of the moved L is not (a hull would be)
    assert out.contains(shapely.Point(20, 20))
    assert not out.contains(shapely.Point(38, 42))
    assert shapely.convex_hull(out).contains(shapely.Point(38, 42))


def test_major_cold_dates():
    assert major_cold(2026) == dt.date(2026, 1, 20)
    assert major_cold(2025) == dt.date(2025, 1, 20)
    assert major_cold(2020) == dt.date(2020, 1, 20)


def test_south_facade_sampling():
    x, y, owner, normal = facade_points(np.array([shapely.box(0, 0, 20, 10)]), spacing_m=6.0)
    assert len(x) == 3 and set(owner) == {0}
    assert np.allclose(normal, 180.0)
    assert np.allclose(y, -0.1) and np.allclose(x, [20 / 6, 10, 20 - 20 / 6])
    diamond = shapely.Polygon([(0, 0), (10, -10), (20, 0), (10, 10)])
    _x, _y, _o, normal = facade_points(np.array([diamond]), spacing_m=100)
    assert sorted(np.round(normal)) == [135.0, 225.0]


def _expected_hours_behind_wall(day, d, wall_h, z, lon, lat, step_min=10.0):
    times = solar_times(day, lon, 8.0, 16.0, step_min)
    pos = pvlib.solarposition.get_solarposition(times, lat, lon)
    alt = pos["apparent_elevation"].to_numpy()
    az = pos["azimuth"].to_numpy()
    off = np.radians(az - 180.0)
    t = d / np.cos(off)                       # horizontal distance along the ray to the wall
    clear = (alt > 0) & (z + t * np.tan(np.radians(alt)) >= wall_h)
    return clear.sum() * step_min / 60.0


def test_sunlight_hours_behind_a_long_wall_match_a_hand_calculation():
    # a home whose south facade is at y = 0 and an 800 m long wall 30 m to the south
    b = buildings([
        {"id": "HOME", "use": "R2", "height_m": 9.0, "box": (0, 0, 20, 10)},
        {"id": "WALL", "use": "M", "height_m": 18.0, "box": (-390, -31, 410, -30)},
    ])
    res = q.run("sunlight", {"building": b})
    assert list(res.layer["id"]) == ["HOME"]
    day = major_cold(2026)
    lon, lat = res.summary["lon"], res.summary["lat"]
    expected = _expected_hours_behind_wall(day, 30.1, 18.0, 0.9, lon, lat)
    row = res.layer.iloc[0]
    assert 0 < expected < 8
    assert row["sun_hours_min"] == pytest.approx(expected, abs=1 / 6 + 1e-9)
    assert row["status"] == ("fail" if row["sun_hours_min"] < 2 else "pass")
    assert res.summary["date"] == "2026-01-20"


def test_open_home_gets_all_hours_and_a_tall_block_flags_it():
    home = {"id": "HOME", "use": "住宅", "height_m": 9.0, "box": (0, 0, 20, 10)}
    res = q.run("sunlight", {"building": buildings([home])})
    assert res.layer.iloc[0]["sun_hours_min"] == pytest.approx(8.0)
    assert res.layer.iloc[0]["status"] == "pass"
    tower = {"id": "TOWER", "use": "B1", "height_m": 100.0, "box": (-20, -40, 40, -15)}
    res = q.run("sunlight", {"building": buildings([home, tower])})
    row = res.layer.iloc[0]
    assert row["sun_hours_min"] < 2 and row["status"] == "fail"
    assert res.summary["flagged"] == 1
    pts = res.extra_layers["sample_points"]
    assert len(pts) == row["sample_points"] == 3


def test_convex_ray_test_agrees_with_shapely():
    from twin.query.sunlight import _ConvexEdges

    rng = np.random.default_rng(5)
    centres = rng.uniform(0, 100, (60, 2))
    polys = [shapely.convex_hull(shapely.multipoints(c + rng.normal(0, 6, (7, 2))))
             for c in centres]
    polys.append(shapely.box(40, 40, 60, 60))
    polys.append(shapely.Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 30), (0, 30)]))
    edges = _ConvexEdges(np.array(polys, dtype=object))
    assert edges.row[-1] == -1 and (edges.row[:-1] >= 0).all()   # the L is not convex
    n = 4000
    obs = rng.integers(0, len(polys) - 1, n)
    near = np.array([shapely.get_coordinates(shapely.centroid(p))[0] for p in polys])[obs]
    x, y = near[:, 0] + rng.normal(0, 15, n), near[:, 1] + rng.normal(0, 15, n)
    ang = rng.uniform(0, 2 * np.pi)
    ux, uy = np.sin(ang), np.cos(ang)
    length = rng.uniform(0, 80, n)
    rays = shapely.linestrings(np.stack([np.column_stack([x, y]),
                                         np.column_stack([x + ux * length, y + uy * length])],
                                        axis=1))
    expected = shapely.intersects(rays, np.array(polys, dtype=object)[obs])
    got = edges.hits(obs, x, y, ux, uy, length)
    assert 200 < expected.sum() < n - 200
    assert (got == expected).all()
    # a ray that just touches the box's corner counts, as shapely.intersects counts it
    assert edges.hits(np.array([len(polys) - 2]), np.array([30.0]), np.array([30.0]),
                      np.sqrt(0.5), np.sqrt(0.5), np.array([10 * np.sqrt(2)]))[0]
