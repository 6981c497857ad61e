"""height_limit (限高): parcel limits and protection surfaces (cone, corridor), hand-checked."""

from __future__ import annotations

import pytest
import shapely
from query_frames import X0, Y0, buildings, frame, parcels

import twin.query as q


def _surfaces():
    return frame({"id": ["AP", "VC"], "name": ["机场净空 airport cone", "望海视廊 view corridor"],
                  "surface_type": ["cone", "corridor"], "base_elev_m": [20.0, None],
                  "slope": [0.05, None], "radius_m": [2000.0, None], "width_m": [None, 40.0],
                  "start_elev_m": [None, 10.0], "end_elev_m": [None, 30.0]},
                 [shapely.Point(X0 - 1000, Y0),
                  shapely.LineString([(X0 + 1000, Y0 - 100), (X0 + 1000, Y0 + 900)])])


def test_cone_rises_with_distance_and_corridor_along_its_axis():
    b = buildings([
        # 1000 m from the cone's apex: 20 + 0.05 × 1000 = 70 m allowed; 80 m is 10 m over
        {"id": "C1", "use": "B1", "height_m": 80.0, "base_elev_m": 0.0, "box": (0, -5, 10, 5)},
        # 1500 m: 95 m allowed; 90 m passes
        {"id": "C2", "use": "B1", "height_m": 90.0, "base_elev_m": 0.0,
         "box": (500, 300, 510, 310)},
        # inside the corridor, 400-410 m along its 1000 m axis: lowest 10 + 20 × 0.4 = 18 m
        {"id": "V1", "use": "R2", "height_m": 24.0, "base_elev_m": 0.0,
         "box": (995, 300, 1005, 310)},
    ])
    p = parcels([{"id": "P", "land_use": "B1", "max_height_m": 100.0, "box": (-100, -200, 1200, 1000)}])
    res = q.run("height_limit", {"building": b, "parcel": p, "feature": _surfaces()})
    lay = res.layer.set_index("id")
    assert lay.loc["C1", "allowed_top_elev_m"] == pytest.approx(70.0)
    assert lay.loc["C1", "excess_m"] == pytest.approx(10.0)
    assert lay.loc["C1", "status"] == "fail" and lay.loc["C1", "binding"].startswith("机场")
    d2 = shapely.distance(shapely.box(X0 + 500, Y0 + 300, X0 + 510, Y0 + 310),
                          shapely.Point(X0 - 1000, Y0))
    assert lay.loc["C2", "allowed_top_elev_m"] == pytest.approx(20 + 0.05 * d2, abs=1e-3)
    assert lay.loc["C2", "status"] == "pass"
    assert lay.loc["V1", "allowed_top_elev_m"] == pytest.approx(18.0)
    assert lay.loc["V1", "status"] == "fail" and lay.loc["V1", "binding"].startswith("望海")
    assert res.summary["over_limit"] == 2 and res.summary["bound_by_surface"] == 2
    assert set(res.extra_layers["surfaces"]["surface_type"]) == {"cone", "corridor"}


def test_parcel_limit_alone_and_a_building_without_any_limit():
    b = buildings([{"id": "A", "use": "R2", "height_m": 30.0, "base_elev_m": 5.0,
                    "box": (10, 10, 20, 20)},
                   {"id": "N", "use": "R2", "height_m": 30.0, "base_elev_m": 5.0,
                    "box": (500, 500, 510, 510)}])
    p = parcels([{"id": "P", "land_use": "R2", "max_height_m": 24.0, "box": (0, 0, 100, 100)}])
    res = q.run("height_limit", {"building": b, "parcel": p})
    lay = res.layer.set_index("id")
    assert lay.loc["A", "allowed_top_elev_m"] == pytest.approx(29.0)
    assert lay.loc["A", "excess_m"] == pytest.approx(6.0) and lay.loc["A", "binding"] == "parcel"
    assert lay.loc["N", "status"] == "n/a"


@pytest.mark.parametrize("column", ["base_elev_m", "end_elev_m"])
def test_a_surface_without_its_elevation_is_refused_not_ignored(column):
    from twin.errors import QueryError

    surfaces = _surfaces()
    surfaces[column] = None          # the cone's base, or the corridor's far end
    b = buildings([{"id": "C1", "use": "B1", "height_m": 80.0, "base_elev_m": 0.0,
                    "box": (0, -5, 10, 5)}])
    p = parcels([{"id": "P", "land_use": "B1", "max_height_m": 100.0,
                  "box": (-100, -200, 1200, 1000)}])
    with pytest.raises(QueryError, match="have no elevation to limit heights by") as info:
        q.run("height_limit", {"building": b, "parcel": p, "feature": surfaces})
    assert ("'AP'" if column == "base_elev_m" else "'VC'") in str(info.value)
