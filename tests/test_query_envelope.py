"""envelope (控规盒): hand-checked boxes and the volume a building puts outside them."""

from __future__ import annotations

import pytest
from query_frames import buildings, parcels, roads

import twin.query as q
from twin.cli import main


def _parcel(**extra):
    return parcels([{"id": "P1", "name": "A", "land_use": "R2", "max_far": 2.0,
                     "max_density": 0.3, "max_height_m": 24.0, "min_green_ratio": 0.35,
                     "box": (0, 0, 100, 100), **extra}])


def test_100m_parcel_with_10m_setbacks_gives_80x80x24_box():
    res = q.run("envelope", {"parcel": _parcel()}, setback_m=10)
    row = res.layer.iloc[0]
    minx, miny, maxx, maxy = row.geometry.bounds
    assert (maxx - minx, maxy - miny) == pytest.approx((80.0, 80.0))
    assert row.geometry.area == pytest.approx(6400.0)
    assert row["envelope_height_m"] == 24.0
    assert row["envelope_volume_m3"] == pytest.approx(153_600.0)
    assert row["max_gfa_m2"] == pytest.approx(20_000.0)
    assert row["max_footprint_m2"] == pytest.approx(3_000.0)
    assert row["status"] == "pass"
    assert res.summary["envelope_volume_m3"] == pytest.approx(153_600.0)


def test_road_red_lines_on_every_side_shrink_it_the_same_way():
    # four roads on the parcel's edges, 20 m red lines: 10 m of each side is road
    ring = [(0, 0), (100, 0), (100, 100), (0, 100)]
    r = roads([{"id": f"R{k}", "name": "", "road_class": "secondary", "width_m": 20.0,
                "coords": [ring[k], ring[(k + 1) % 4]]} for k in range(4)])
    res = q.run("envelope", {"parcel": _parcel(), "road": r})
    g = res.layer.geometry.iloc[0]
    assert g.area == pytest.approx(6400.0, rel=1e-6)
    assert res.layer.iloc[0]["envelope_volume_m3"] == pytest.approx(153_600.0, rel=1e-6)
    # 5 m more for secondary roads: 70 × 70
    res = q.run("envelope", {"parcel": _parcel(), "road": r},
                road_setback_by_class="secondary=5")
    assert res.layer.geometry.iloc[0].area == pytest.approx(4900.0, rel=1e-6)


def test_building_3m_over_filling_the_footprint_is_80x80x3_outside():
    b = buildings([{"id": "B1", "use": "R2", "height_m": 27.0, "floors": 9,
                    "box": (10, 10, 90, 90)}])
    res = q.run("envelope", {"parcel": _parcel(), "building": b}, setback_m=10)
    row = res.layer.iloc[0]
    assert row["volume_outside_m3"] == pytest.approx(80 * 80 * 3.0)
    assert row["status"] == "fail" and row["buildings_outside"] == 1
    out = res.extra_layers["outside"].iloc[0]
    assert out["id"] == "B1" and out["over_height_m"] == pytest.approx(3.0)
    assert out["outside_m2"] == 0.0


def test_building_over_the_setback_counts_its_footprint_outside():
    # 5 m of a 20 m tall building's 40 m wide side lies in the 10 m setback
    b = buildings([{"id": "B2", "use": "R2", "height_m": 20.0, "box": (5, 20, 45, 60)}])
    res = q.run("envelope", {"parcel": _parcel(), "building": b}, setback_m=10)
    assert res.layer.iloc[0]["volume_outside_m3"] == pytest.approx(5 * 40 * 20.0)
    inside = buildings([{"id": "B3", "use": "R2", "height_m": 24.0, "box": (10, 10, 50, 50)}])
    res = q.run("envelope", {"parcel": _parcel(), "building": inside}, setback_m=10)
    assert res.layer.iloc[0]["status"] == "pass"
    assert res.layer.iloc[0]["volume_outside_m3"] == 0.0


def test_cli_prints_the_envelope(tmp_path, capsys):
    from twin.importer import import_file

    src = tmp_path / "p.geojson"
    _parcel().to_file(src, driver="GeoJSON")
    url = str(tmp_path / "layers")
    from twin.store import open_store

    import_file(open_store(url), src, kind="parcel", layer="parcels")
    assert main(["--store", url, "query", "envelope", "--setback-m", "10"]) == 0
    out = capsys.readouterr().out
    assert "envelope_volume_m3" in out and "153600" in out.replace(",", "")
