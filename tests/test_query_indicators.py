"""indicators: exact FAR, density, height and green ratio on hand-checkable parcels."""

from __future__ import annotations

import pytest
from query_frames import X0, Y0, buildings, parcels, roads

import twin.query as q
from twin.errors import QueryError


def _square():
    # a 100 m × 100 m parcel (10 000 m²) with two buildings:
    #   B1 20 × 20 = 400 m², 5 floors → GFA 2000; B2 10 × 30 = 300 m², 10 floors → 3000
    p = parcels([{"id": "P1", "name": "方块", "land_use": "R2", "max_far": 0.5,
                  "max_density": 0.1, "max_height_m": 24.0, "min_green_ratio": 0.35,
                  "box": (0, 0, 100, 100)}])
    b = buildings([
        {"id": "B1", "use": "R2", "height_m": 15.0, "floors": 5, "box": (10, 10, 30, 30)},
        {"id": "B2", "use": "R2", "height_m": 30.0, "floors": 10, "box": (50, 50, 60, 80)},
    ])
    return p, b


def test_square_parcel_exact_far_and_density():
    p, b = _square()
    res = q.run("indicators", {"parcel": p, "building": b})
    row = res.layer.iloc[0]
    assert row["gfa_m2"] == pytest.approx(5000.0)
    assert row["far"] == pytest.approx(0.5)          # 5000 / 10000
    assert row["density"] == pytest.approx(0.07)     # 700 / 10000
    assert row["height_max_m"] == 30.0
    assert row["green_ratio"] == pytest.approx(0.93)  # estimate: unbuilt land
    assert row["green_method"] == "estimate"
    assert row["far_status"] == "pass"               # exactly at the limit passes
    assert row["density_status"] == "pass"
    assert row["height_status"] == "fail"            # 30 m > 24 m
    assert row["green_status"] == "pass"
    assert row["status"] == "fail" and row["fails"] == "height"
    assert row["building_ids"] == "B1,B2"
    ev = res.tables["evidence"]
    assert list(ev["building_id"]) == ["B1", "B2"]
    assert list(ev["gfa_m2"]) == [2000.0, 3000.0]
    assert set(ev["gfa_method"]) == {"lod1:floors×footprint"}
    assert res.summary["height_fail"] == 1 and res.summary["fail"] == 1


def test_straddling_building_is_split_by_area():
    p = parcels([
        {"id": "A", "land_use": "R2", "max_far": 1.0, "box": (0, 0, 100, 100)},
        {"id": "B", "land_use": "R2", "max_far": 1.0, "box": (100, 0, 200, 100)},
    ])
    # 40 × 10 building, 30 m in A and 10 m in B, 4 floors: GFA 1600 → 1200 / 400
    b = buildings([{"id": "S", "use": "R2", "height_m": 12.0, "floors": 4,
                    "box": (70, 0, 110, 10)}])
    res = q.run("indicators", {"parcel": p, "building": b})
    layer = res.layer.set_index("id")
    assert layer.loc["A", "gfa_m2"] == pytest.approx(1200.0)
    assert layer.loc["B", "gfa_m2"] == pytest.approx(400.0)
    assert layer.loc["A", "footprint_m2"] == pytest.approx(300.0)
    assert layer.loc["B", "footprint_m2"] == pytest.approx(100.0)
    ev = res.tables["evidence"]
    assert ev["split"].all() and ev["share"].sum() == pytest.approx(1.0)
    assert res.summary["split_buildings"] == 1


def test_ifc_gfa_and_percent_limits_and_green_attribute():
    p = parcels([{"id": "P", "land_use": "B1", "max_far": 2.0, "max_density": 30,
                  "max_height_m": 50, "min_green_ratio": 20, "green_area_m2": 1500.0,
                  "box": (0, 0, 100, 100)}])
    b = buildings([
        {"id": "IFC-1", "use": "B1", "height_m": 20.0, "floors": 5, "gfa_m2": 4321.0,
         "ifc_guid": "2O2Fr$t4X7Zf8NOew3FLOH", "gfa_method": "IfcSpace",
         "box": (10, 10, 50, 50)},
    ])
    res = q.run("indicators", {"parcel": p, "building": b})
    row = res.layer.iloc[0]
    assert row["gfa_m2"] == pytest.approx(4321.0)  # IFC GFA kept, not floors × footprint
    assert res.tables["evidence"].iloc[0]["gfa_method"] == "ifc:IfcSpace"
    assert res.tables["evidence"].iloc[0]["ifc_guid"] == "2O2Fr$t4X7Zf8NOew3FLOH"
    assert row["density"] == pytest.approx(0.16)
    assert row["density_status"] == "pass"         # 30 read as 30 %
    assert row["green_ratio"] == pytest.approx(0.15)
    assert row["green_method"] == "attribute"
    assert row["green_status"] == "fail"           # 15 % < 20 %


def test_green_estimate_subtracts_road_red_line_area():
    p = parcels([{"id": "P", "land_use": "R2", "min_green_ratio": 0.9,
                  "box": (0, 0, 100, 100)}])
    # a 20 m red line along the parcel's south edge: 10 m of it lies inside → 1000 m²
    r = roads([{"id": "R", "road_class": "primary", "width_m": 20.0,
                "coords": [(-50, 0), (150, 0)]}])
    b = buildings([{"id": "B", "use": "R2", "height_m": 9, "floors": 3,
                    "box": (20, 20, 40, 40)}])
    res = q.run("indicators", {"parcel": p, "building": b, "road": r})
    assert res.layer.iloc[0]["green_ratio"] == pytest.approx((10000 - 400 - 1000) / 10000)
    assert res.layer.iloc[0]["green_status"] == "fail"


def test_empty_parcel_and_missing_limits():
    p = parcels([{"id": "E", "land_use": "G1", "box": (0, 0, 10, 10)}])
    res = q.run("indicators", {"parcel": p, "building": buildings([])})
    row = res.layer.iloc[0]
    assert row["far"] == 0 and row["n_buildings"] == 0 and row["status"] == "n/a"


def test_single_parcel_and_unknown_parcel():
    p, b = _square()
    res = q.run("indicators", {"parcel": p, "building": b}, parcel="P1")
    assert list(res.layer["id"]) == ["P1"]
    with pytest.raises(QueryError, match="no parcel with id 'nope'"):
        q.run("indicators", {"parcel": p, "building": b}, parcel="nope")


def test_needs_parcels():
    with pytest.raises(QueryError, match="needs a parcel"):
        q.run("indicators", {"building": buildings([{"id": "B", "box": (0, 0, 1, 1)}])})


def test_origin_is_near_boli():
    assert 400_000 < X0 < 600_000 and 3_900_000 < Y0 < 4_000_000
