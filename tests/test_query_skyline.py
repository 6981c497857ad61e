"""skyline (天际线): the elevation-angle profile from a viewpoint, hand-checked, and a tower's
change to it before/after in a scenario diff."""

from __future__ import annotations

import numpy as np
import pytest
from query_frames import X0, Y0, buildings

import twin.query as q
from twin.crs import working_crs
from twin.query.skyline import compare_profiles


def _town():
    return buildings([
        # 40 m tall, its nearest wall 100 m due north of the eye
        {"id": "N", "use": "B1", "height_m": 41.5, "base_elev_m": 0.0, "box": (-20, 100, 20, 120)},
        # 10 m tall, 50 m due east, behind it a taller one 200 m east that peeks over it
        {"id": "E1", "use": "B1", "height_m": 11.5, "base_elev_m": 0.0, "box": (50, -10, 60, 10)},
        {"id": "E2", "use": "B1", "height_m": 81.5, "base_elev_m": 0.0,
         "box": (200, -10, 220, 10)},
    ])


def test_profile_angles_are_atan_of_height_over_distance():
    res = q.run("skyline", {"building": _town()}, viewpoint=f"{X0},{Y0}", step_deg=1.0)
    prof = res.tables["profile"]
    north = prof[prof["azimuth_deg"] == 0.5].iloc[0]
    assert north["source"] == "N"
    assert north["elevation_deg"] == pytest.approx(np.degrees(np.arctan(40 / 100)), abs=0.05)
    east = prof[prof["azimuth_deg"] == 89.5].iloc[0]
    # E2: 80 m over the eye at 200 m (21.8°) beats E1: 10 m at 50 m (11.3°)
    assert east["source"] == "E2"
    assert east["elevation_deg"] == pytest.approx(np.degrees(np.arctan(80 / 200)), abs=0.05)
    south = prof[prof["azimuth_deg"] == 180.5].iloc[0]
    assert south["source"] == "" and south["elevation_deg"] == 0.0
    lay = res.layer.set_index("id")
    assert set(lay.index) == {"N", "E2", "E1"}
    assert lay.loc["N", "skyline_bins"] == pytest.approx(2 * np.degrees(np.arctan(20 / 100)),
                                                         abs=2)
    assert res.summary["max_elevation_deg"] == pytest.approx(np.degrees(np.arctan(80 / 200)),
                                                             abs=0.1)


def test_a_tower_changes_the_skyline_before_after(tmp_path):
    from twin.importer import import_file
    from twin.scenario import Scenario, apply, diff, load_base
    from twin.scenario.model import AddBuilding
    from twin.store import open_store

    src = tmp_path / "b.geojson"
    _town().to_file(src, driver="GeoJSON")
    store = open_store(str(tmp_path / "layers"))
    import_file(store, src, kind="building", layer="building")
    ring = ((X0 - 110, Y0 - 10), (X0 - 90, Y0 - 10), (X0 - 90, Y0 + 10), (X0 - 110, Y0 + 10))
    scen = Scenario("tower", edits=[AddBuilding(footprint=ring, height_m=100.0, use="B1",
                                                id="T", crs=working_crs().to_string())])
    base = load_base(store)
    vp = {"skyline": {"viewpoint": f"{X0},{Y0}", "step_deg": 1.0}}
    d = diff(base, apply(base, scen), queries=["skyline"], params=vp)
    before, after = d.results["skyline"]
    cmp = compare_profiles(before.tables["profile"], after.tables["profile"])
    west = cmp[cmp["azimuth_deg"] == 270.5].iloc[0]
    assert west["source_before"] == "" and west["source_after"] == "T"
    assert west["elevation_deg_after"] == pytest.approx(np.degrees(np.arctan(98.5 / 90)),
                                                        abs=0.1)
    assert (cmp["delta_deg"] >= 0).all() and (cmp["delta_deg"] > 0).sum() >= 10
    town = d.town().set_index("indicator")
    assert town.loc["max_elevation_deg", "after"] > town.loc["max_elevation_deg", "before"]
    rows = d.indicators[(d.indicators["id"] == "T") & (d.indicators["indicator"] ==
                                                       "skyline_bins")]
    assert rows["before"].isna().all() and rows["after"].iloc[0] > 10
