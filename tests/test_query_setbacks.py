"""setbacks: blue and red lines, with a building exactly at the setback distance."""

from __future__ import annotations

import pytest
import shapely
from query_frames import X0, Y0, buildings, frame, rivers, roads

import twin.query as q


def _river():
    # a 20 m wide river along y = 0 with a 10 m setback: the rule is 10 + 10 = 20 m
    return rivers([{"id": "H1", "name": "横河", "width_m": 20.0, "setback_m": 10.0,
                    "coords": [(-100, 0), (300, 0)]}])


def test_building_exactly_at_river_setback_complies():
    b = buildings([
        {"id": "AT", "use": "R2", "height_m": 9, "box": (0, 20, 10, 30)},        # 20.0 m
        {"id": "IN", "use": "R2", "height_m": 9, "box": (20, 19.99, 30, 30)},    # 19.99 m
        {"id": "FAR", "use": "R2", "height_m": 9, "box": (40, 50, 50, 60)},      # 50 m
        {"id": "S", "use": "R2", "height_m": 9, "box": (60, -25, 70, -15)},      # 15 m south
    ])
    res = q.run("setbacks", {"building": b, "river": _river()})
    assert sorted(res.layer["id"]) == ["IN", "S"]
    row = res.table.set_index("building_id").loc["IN"]
    assert row["distance_m"] == pytest.approx(19.99)
    assert row["required_m"] == pytest.approx(20.0)
    assert row["shortfall_m"] == pytest.approx(0.01)
    assert row["rule"] == "river" and row["ref_name"] == "横河"
    assert res.summary["violating_buildings"] == 2


def test_polygon_river_uses_setback_from_the_polygon():
    water = shapely.box(X0 - 100, Y0 - 10, X0 + 300, Y0 + 10)
    r = rivers([{"id": "H2", "name": "湖", "width_m": 20.0, "setback_m": 10.0, "geom": water}])
    b = buildings([
        {"id": "AT", "box": (0, 20, 10, 30)},      # 10 m from the water edge: complies
        {"id": "IN", "box": (20, 15, 30, 25)},     # 5 m: inside the blue line
    ])
    res = q.run("setbacks", {"building": b, "river": r})
    assert list(res.layer["id"]) == ["IN"]
    assert res.table.iloc[0]["required_m"] == pytest.approx(10.0)


def test_road_red_line_with_class_setback():
    r = roads([
        {"id": "R1", "name": "主路", "road_class": "primary", "width_m": 30.0,
         "coords": [(-100, 0), (300, 0)]},
        {"id": "R2", "name": "支路", "road_class": "service", "width_m": 10.0,
         "coords": [(-100, 200), (300, 200)]},
    ])
    b = buildings([
        {"id": "A", "box": (0, 15, 10, 25)},      # 15 m from R1: on the red line → complies
        {"id": "B", "box": (20, 20, 30, 30)},     # 20 m from R1
        {"id": "C", "box": (40, 180, 50, 193)},   # 7 m from R2
    ])
    res = q.run("setbacks", {"building": b, "road": r})
    assert list(res.layer["id"]) == []
    res = q.run("setbacks", {"building": b, "road": r}, road_setback_m=5)   # 20 m / 10 m
    assert sorted(res.layer["id"]) == ["A", "C"]
    res = q.run("setbacks", {"building": b, "road": r},
                road_setback_by_class="primary=10,service=0")           # 25 m / 5 m
    assert sorted(res.layer["id"]) == ["A", "B"]
    assert set(res.table["rule"]) == {"road"}
    assert "zones" in res.extra_layers and len(res.extra_layers["zones"]) == 2


def test_metro_lines_have_no_red_line():
    r = roads([{"id": "M13", "name": "地铁13号线", "road_class": "metro", "width_m": 12.0,
                "coords": [(-100, 0), (300, 0)]}])
    b = buildings([{"id": "ABOVE", "box": (0, -5, 10, 5)}])
    assert len(q.run("setbacks", {"building": b, "road": r}).layer) == 0
    res = q.run("setbacks", {"building": b, "road": r}, skip_road_classes="none")
    assert list(res.layer["id"]) == ["ABOVE"]


def test_rivers_and_roads_can_be_switched_off_and_export(tmp_path):
    b = buildings([{"id": "IN", "box": (0, 5, 10, 15)}])
    layers = {"building": b, "river": _river()}
    assert len(q.run("setbacks", layers).layer) == 1
    assert len(q.run("setbacks", layers, rivers=False).layer) == 0
    res = q.run("setbacks", layers)
    out = res.export(tmp_path / "v.gpkg")
    import geopandas as gpd

    back = gpd.read_file(out)
    assert list(back["id"]) == ["IN"]
    csv = res.export(tmp_path / "v.csv", what="table")
    assert "building_id" in csv.read_text()


def test_no_buildings_frame_is_an_error():
    from twin.errors import QueryError

    with pytest.raises(QueryError, match="building"):
        q.run("setbacks", {"river": _river()})
    empty = frame({"id": []}, [])
    assert len(q.run("setbacks", {"building": buildings([{"id": "X", "box": (0, 90, 1, 91)}]),
                                  "river": _river(), "road": empty}).layer) == 0
