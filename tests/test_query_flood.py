"""flood: a flat DEM with one basin connected to the river floods exactly that basin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from query_frames import X0, Y0, buildings, dem_bytes, frame, rivers

import twin.query as q
from twin.errors import QueryError


def _dem():
    """20 × 20 cells of 1 m at 5 m; a river channel (column 0-1, 0 m), a basin joined to it
    (rows 5-9, cols 2-7 at 1 m) and a separate basin (rows 12-15, cols 12-15 at 1 m)."""
    elev = np.full((20, 20), 5.0)
    elev[:, 0:2] = 0.0
    elev[5:10, 2:8] = 1.0
    elev[12:16, 12:16] = 1.0
    return elev


def _layers(**more):
    # the river centreline runs down column 0.5 → x = X0 + 1 (the raster's left edge is X0)
    r = rivers([{"id": "H", "name": "横河", "width_m": 2.0, "setback_m": 5.0,
                 "coords": [(1, 0.5), (1, 19.5)]}])
    out = {"terrain": dem_bytes(_dem()), "river": r}
    out.update(more)
    return out


def _cells(rows, cols):
    # raster row r covers y from Y0 + 20 - r - 1 to Y0 + 20 - r
    return shapely.box(X0 + cols[0], Y0 + 20 - rows[1], X0 + cols[1], Y0 + 20 - rows[0])


def test_one_basin_connected_to_the_river_floods_exactly():
    res = q.run("flood", _layers(), level_m=2.0)
    area = res.extra_layers["flooded_area"]
    flooded = shapely.union_all(area.geometry.to_numpy())
    expected = shapely.union(_cells((0, 20), (0, 2)), _cells((5, 10), (2, 8)))
    assert flooded.symmetric_difference(expected).area == pytest.approx(0.0)
    assert res.summary["flooded_area_m2"] == 40 + 30
    assert res.summary["land_flooded_area_m2"] == 30  # the river channel is not land
    # the separate basin is below the level but no river reaches it: dry
    assert not flooded.intersects(_cells((12, 16), (12, 16)).buffer(-0.1))


def test_level_equal_to_ground_stays_dry_and_low_level():
    res = q.run("flood", _layers(), level_m=1.0)
    assert res.summary["flooded_area_m2"] == 40      # only the channel (0 m < 1 m)
    res = q.run("flood", _layers(), level_m=6.0)
    assert res.summary["flooded_area_m2"] == 400     # everything below 6 m is connected


def test_affected_buildings_depth_and_storeys():
    b = buildings([
        # in the connected basin: ground from the DEM (1 m)
        {"id": "IFC-1", "use": "R2", "height_m": 9, "ifc_guid": "GUID-1", "box": (3, 11, 6, 14)},
        # in the basin with an explicit base elevation above the level: not affected
        {"id": "HIGH", "use": "R2", "height_m": 9, "base_elev_m": 4.8, "box": (6.2, 11, 7.8, 14)},
        # in the separate basin: dry
        {"id": "DRY", "use": "R2", "height_m": 9, "box": (12.5, 5, 15.5, 7.5)},
    ])
    storeys = pd.DataFrame({"building_id": ["GUID-1", "GUID-1", "GUID-1"],
                            "guid": ["S0", "S1", "S2"], "name": ["1F", "2F", "3F"],
                            "elev_m": [1.0, 4.0, 7.0]})
    res = q.run("flood", _layers(building=b, storey=storeys), level_m=4.5)
    assert list(res.layer["id"]) == ["IFC-1"]
    row = res.layer.iloc[0]
    assert row["depth_m"] == pytest.approx(3.5)
    assert row["n_flooded_storeys"] == 2 and row["flooded_storeys"] == "1F,2F"
    st = res.tables["storeys"]
    assert list(st["depth_m"]) == [3.5, 0.5]
    res = q.run("flood", _layers(building=b, storey=storeys), level_m=3.0)
    assert list(res.layer["id"]) == ["IFC-1"]
    assert res.layer.iloc[0]["flooded_storeys"] == "1F"


def test_level_from_the_latest_sensor_reading_and_settings():
    sensors = frame({"id": ["WL-1"], "kind": ["water_level"], "unit": ["cm"]},
                    [shapely.Point(X0, Y0)])
    readings = pd.DataFrame({"sensor_id": ["WL-1", "WL-1", "WL-1"],
                             "time": ["2026-07-01T10:00:00+08:00", "2026-07-01T12:00:00+08:00",
                                      "2026-07-01T11:00:00+08:00"],
                             "value": [150.0, 200.0, 600.0]})
    layers = _layers(sensor=sensors, sensor_reading=readings)
    res = q.run("flood", layers, sensor="WL-1")
    assert res.summary["level_m"] == pytest.approx(2.0)   # 12:00 reading, in cm
    assert "WL-1" in res.summary["level_source"]
    res = q.run("flood", layers)                           # first water_level sensor
    assert res.summary["level_m"] == pytest.approx(2.0)
    lay = q.QueryInputs(frames=_layers(), settings={"flood_level_m": 2.0})
    assert q.run("flood", lay).summary["flooded_area_m2"] == 70
    with pytest.raises(QueryError, match="sensor 'nope' has no readings"):
        q.run("flood", layers, sensor="nope")
    with pytest.raises(QueryError, match="needs a water level"):
        q.run("flood", _layers())


def test_nodata_cells_stay_dry():
    elev = _dem()
    elev[7, 4] = -9999.0
    res = q.run("flood", {"terrain": dem_bytes(elev, nodata=-9999.0),
                          "river": _layers()["river"]}, level_m=2.0)
    assert res.summary["flooded_area_m2"] == 69


def test_footprint_smaller_than_a_cell_uses_the_cell_under_it():
    # 0.4 m × 0.4 m kiosk between cell centres, inside the connected basin
    b = buildings([{"id": "KIOSK", "use": "B1", "height_m": 3, "box": (4.05, 12.05, 4.45, 12.45)},
                   {"id": "KIOSK-DRY", "use": "B1", "height_m": 3,
                    "box": (13.05, 6.05, 13.45, 6.45)}])
    res = q.run("flood", _layers(building=b), level_m=2.0)
    assert list(res.layer["id"]) == ["KIOSK"]
    assert res.layer.iloc[0]["flooded_share"] == 1.0
    assert res.layer.iloc[0]["depth_m"] == pytest.approx(1.0)


def test_sea_below_zero_is_water_not_flooded_land():
    elev = _dem()
    elev[:, 18:20] = -3.0                     # a strip of sea along the east edge
    elev[0, 2:18] = 0.5                       # a low beach joins it to the river channel
    res = q.run("flood", {**_layers(), "terrain": dem_bytes(elev)}, level_m=2.0)
    assert res.summary["flooded_area_m2"] == 40 + 30 + 40 + 16
    assert res.summary["land_flooded_area_m2"] == 30 + 16
