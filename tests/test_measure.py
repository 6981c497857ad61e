"""Measurement in the working CRS (twin.measure) against pyproj's Geod, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod

from twin.crs import WGS84, transform_xy, working_crs
from twin.errors import TwinError
from twin.measure import measure, parse_points


def _lonlat(pts):
    return transform_xy(pts[:, 0], pts[:, 1], working_crs(), WGS84)


def test_distance_along_a_polyline_matches_geod():
    pts = parse_points("489200,3955100\n490650.5,3956020.25\n491800,3954000")
    m = measure("distance", pts)
    lon, lat = _lonlat(pts)
    geod = Geod(ellps="GRS80").line_length(lon, lat)
    assert abs(m.value - geod) / geod < 0.001
    assert m.segments[0] == pytest.approx(math.hypot(1450.5, 920.25))
    assert m.value == pytest.approx(sum(m.segments))
    assert "distance = " in m.text() and "P3 E 491800.000" in m.text()


def test_area_matches_geod_and_lonlat_input():
    pts = parse_points("119.90,35.73; 119.91,35.73; 119.91,35.74; 119.90,35.74")
    m = measure("area", pts)
    area, _ = Geod(ellps="GRS80").polygon_area_perimeter([119.90, 119.91, 119.91, 119.90],
                                                         [35.73, 35.73, 35.74, 35.74])
    assert abs(m.value - abs(area)) / abs(area) < 0.001
    assert m.perimeter_m > 0


def test_height_difference():
    m = measure("height", parse_points("491000,3955000,4.5\n491030,3955040,16.0"))
    assert m.value == pytest.approx(11.5)
    assert m.slope_m == pytest.approx(math.hypot(50.0, 11.5))


@pytest.mark.parametrize("mode, text, message", [
    ("distance", "491000,3955000", "a distance needs at least 2 points, got 1"),
    ("area", "1,1\n2,2", "an area needs at least 3 points, got 2"),
    ("height", "491000,3955000\n491030,3955040", "needs H on the first and last point"),
    ("distance", "491000,3955000\nabc,1", "point 2 'abc,1' is not E,N or E,N,H"),
    ("area", "0,0\n10,10\n10,0\n0,10", "edges cross"),
    ("volume", "0,0\n1,1", "unknown measurement 'volume'"),
])
def test_bad_input_is_one_clear_line(mode, text, message):
    with pytest.raises(TwinError, match=message) as info:
        measure(mode, parse_points(text))
    assert "\n" not in str(info.value)


def test_points_array_shape():
    pts = parse_points("491000,3955000")
    assert pts.shape == (1, 3) and np.isnan(pts[0, 2])


def test_feature_point_of_picked_features():
    import shapely

    from twin.measure import feature_point, format_point

    building = {"geometry": shapely.box(0, 0, 10, 20), "base_elev_m": 4.0, "height_m": 18.0}
    x, y, h = feature_point(building)
    assert shapely.box(0, 0, 10, 20).contains(shapely.Point(x, y)) and h == 22.0
    assert feature_point({"geometry": shapely.Point(5, 6)})[:2] == (5.0, 6.0)
    assert math.isnan(feature_point({"geometry": shapely.Point(5, 6)})[2])
    assert feature_point({"geometry": shapely.Point(1, 2), "elev_m": 3.5})[2] == 3.5
    assert format_point((491000.0, 3955000.25, math.nan)) == "491000.000,3955000.250"
    assert parse_points(format_point((491000.0, 3955000.25, 7.0)))[0].tolist() == \
        [491000.0, 3955000.25, 7.0]
    with pytest.raises(TwinError, match="no geometry"):
        feature_point({"geometry": None})
