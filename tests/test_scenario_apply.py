"""Scenario model, edit syntax and apply, on a small hand-built town.

The town (``make_town``) is also used by the diff, CLI and app tests: two 100 m square
residential parcels side by side south→north, a small house in the south parcel, a
residential slab just north of it, a river along the west edge, and a DEM that is flat at
5 m with a 1 m basin in the south-west touching the river.
"""

from __future__ import annotations

import hashlib
import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from twin.crs import transform_xy, working_crs
from twin.errors import ScenarioError
from twin.io.report import LayerData
from twin.scenario import (
    AddBuilding,
    FloodLevel,
    RemoveBuilding,
    Scenario,
    SetBuilding,
    SetParcel,
    apply,
    edit_from_dict,
    load_base,
    load_scenario,
    parse_edits,
    save_scenario,
    stack,
)
from twin.scenario.view import CHANGE_COLUMN

LON0, LAT0 = 119.90, 35.73


def origin() -> tuple[float, float]:
    """The town's south-west corner in the working CRS (whole metres)."""
    x, y = transform_xy([LON0], [LAT0], "EPSG:4326", working_crs())
    return float(np.floor(x[0])), float(np.floor(y[0]))


def tower_footprint(x0: float, y0: float) -> list[tuple[float, float]]:
    """An 80 m x 20 m slab on parcel P1's north edge (1600 m2), in working metres."""
    return [(x0 + 10, y0 + 75), (x0 + 90, y0 + 75), (x0 + 90, y0 + 95), (x0 + 10, y0 + 95)]


def _dem_bytes(x0: float, y0: float) -> bytes:
    import rasterio
    from affine import Affine

    cell = 2.0
    n = 120  # 240 m square, starting 20 m west and south of the town's origin
    left, top = x0 - 20, y0 - 20 + n * cell
    z = np.full((n, n), 5.0, dtype="float32")
    # The basin: x0-20..x0+60, y0-20..y0+40 (rows counted from the top).
    cols = slice(0, int(80 / cell))
    rows = slice(n - int(60 / cell), n)
    z[rows, cols] = 1.0
    buf = io.BytesIO()
    with rasterio.MemoryFile() as mem:
        with mem.open(driver="GTiff", width=n, height=n, count=1, dtype="float32",
                      crs=working_crs().to_wkt(), transform=Affine(cell, 0, left, 0, -cell, top),
                      nodata=-9999.0) as ds:
            ds.write(z, 1)
        buf.write(mem.read())
    return buf.getvalue()


def make_town(store) -> dict:
    """Commit the hand-built town to ``store``; returns its coordinates for the tests."""
    crs = working_crs()
    x0, y0 = origin()
    parcels = gpd.GeoDataFrame({
        "id": ["P1", "P2"], "name": ["南地块", "北地块"], "land_use": ["R", "R"],
        "max_far": [2.5, 2.5], "max_density": [0.4, 0.4], "max_height_m": [30.0, 30.0],
        "min_green_ratio": [0.3, 0.3],
    }, geometry=[box(x0, y0, x0 + 100, y0 + 100), box(x0, y0 + 100, x0 + 100, y0 + 200)], crs=crs)
    buildings = gpd.GeoDataFrame({
        "id": ["B1", "B2", "B3"], "name": ["小楼", "北楼", "西楼"], "use": ["R", "R", "B"],
        "height_m": [15.0, 18.0, 9.0], "floors": [5, 6, 3], "base_elev_m": [5.0, 5.0, 1.0],
        "gfa_m2": [2000.0, 2400.0, 300.0], "source": ["test"] * 3, "ifc_guid": [None] * 3,
    }, geometry=[box(x0 + 75, y0 + 5, x0 + 95, y0 + 25),
                 box(x0 + 30, y0 + 110, x0 + 70, y0 + 120),
                 box(x0 + 5, y0 + 5, x0 + 15, y0 + 15)], crs=crs)
    rivers = gpd.GeoDataFrame({
        "id": ["R1"], "name": ["横河"], "width_m": [10.0], "setback_m": [5.0],
    }, geometry=[LineString([(x0 - 15, y0 - 20), (x0 - 15, y0 + 220)])], crs=crs)
    facilities = gpd.GeoDataFrame({
        "id": ["F1"], "name": ["幼儿园"], "kind": ["school"], "capacity": [300.0],
    }, geometry=[Point(x0 + 50, y0 + 150)], crs=crs)
    from twin.kinds import conform

    layers = []
    for name, kind, frame in (("parcel", "parcel", parcels), ("building", "building", buildings),
                              ("river", "river", rivers), ("facility", "facility", facilities)):
        frame, _ = conform(frame, kind)
        layers.append(LayerData(name, kind, gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)))
    layers.append(LayerData("terrain", "terrain", _dem_bytes(x0, y0)))
    store.commit(layers, report={"source": "hand-built test town"})
    return {"x0": x0, "y0": y0, "tower": tower_footprint(x0, y0)}


def tree_digest(root) -> dict[str, str]:
    """sha256 of every file under ``root`` (the store, byte for byte)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "catalog.lock"}


@pytest.fixture
def town(store):
    info = make_town(store)
    return store, info


# -- model --------------------------------------------------------------------------------------
def test_scenario_round_trips_through_json_with_schema_version():
    s = Scenario("t", [AddBuilding(footprint=[(0, 0), (1, 0), (1, 1)], height_m=10, id="X"),
                       FloodLevel(level_m=3.5), SetParcel(id="P1", max_far=2.0)])
    doc = json.loads(json.dumps(s.to_dict()))
    assert doc["format"] == "twin-scenario" and doc["schema_version"] == 1
    assert Scenario.from_dict(doc) == s


def test_newer_schema_and_unknown_ops_are_refused():
    doc = Scenario("t").to_dict()
    doc["schema_version"] = 99
    with pytest.raises(ScenarioError, match="schema version 99"):
        Scenario.from_dict(doc)
    with pytest.raises(ScenarioError, match=r"edit 2: unknown edit op 'paint'"):
        edit_from_dict({"op": "paint"}, index=2)
    with pytest.raises(ScenarioError, match=r"edit 0: set_parcel has no field\(s\) \['colour'\]"):
        edit_from_dict({"op": "set_parcel", "id": "P1", "colour": "red"}, index=0)


def test_compact_syntax_parses_every_edit_type():
    edits = parse_edits([
        "add-building", "footprint=0,0;30,0;30,30;0,30", "height=100", "floors=30", "use=R",
        "id=T1", "crs=working",
        "remove-building", "id=B1",
        "set-building", "id=B2", "height=45",
        "set-parcel", "id=P1", "land_use=B", "max_far=3.5",
        "add-road", "coords=119.9,35.73;119.91,35.73", "width=24", "name=新路",
        "river-buffer", "river=R1", "distance=30",
        "flood", "level=4.5",
        "add-facility", "119.9,35.73", "kind=clinic", "name=诊所",
        '{"op": "flood_level", "level_m": 5}',
    ])
    ops = [e.op for e in edits]
    assert ops == ["add_building", "remove_building", "set_building", "set_parcel", "add_road",
                   "river_buffer", "flood_level", "add_facility", "flood_level"]
    assert edits[0].crs == "EPSG:4549" and edits[0].floors == 30 and edits[0].height_m == 100.0
    assert edits[4].coords == ((119.9, 35.73), (119.91, 35.73)) and edits[4].crs == "EPSG:4326"
    assert (edits[7].x, edits[7].y, edits[7].kind) == (119.9, 35.73, "clinic")
    with pytest.raises(ScenarioError, match="set-building|not an edit"):
        parse_edits(["id=B1"])
    with pytest.raises(ScenarioError, match="edit 0 \\(set_parcel\\).*field 'colour'|has no field"):
        parse_edits(["set-parcel", "id=P1", "colour=red"])
    with pytest.raises(ScenarioError) as err:  # a bad number says which edit it is in
        parse_edits(["flood", "level=4.5", "set-building", "id=B2", "height=tall"])
    assert "edit 1 (set_building)" in str(err.value) and "height" in str(err.value)


# -- apply --------------------------------------------------------------------------------------
def test_add_building_in_working_crs_and_lonlat(town):
    store, info = town
    x0, y0 = info["x0"], info["y0"]
    tower = Scenario("tower", [AddBuilding(footprint=info["tower"], height_m=100, use="R",
                                           id="T1", crs="EPSG:4549")])
    view = apply(store, tower)
    b = view.read("building").set_index("id")
    assert b.loc["T1", "floors"] == 33  # 100 m / 3 m
    assert b.loc["T1", "gfa_m2"] == pytest.approx(33 * 1600)
    assert b.loc["T1", "base_elev_m"] == pytest.approx(5.0)  # sampled from the DEM
    assert b.loc["T1", CHANGE_COLUMN] == "added" and pd.isna(b.loc["B1", CHANGE_COLUMN])
    assert b.loc["T1"].geometry.area == pytest.approx(1600)
    # The same footprint in lon/lat lands in the same place (within a centimetre).
    lon, lat = transform_xy([p[0] for p in info["tower"]], [p[1] for p in info["tower"]],
                            working_crs(), "EPSG:4326")
    ll = Scenario("ll", parse_edits(["add-building", "footprint=" + ";".join(
        f"{a:.10f},{b:.10f}" for a, b in zip(lon, lat)), "height=100", "id=T1"]))
    g = apply(store, ll).read("building").set_index("id").loc["T1"].geometry
    assert g.symmetric_difference(b.loc["T1"].geometry).area < 0.01
    assert g.bounds[0] == pytest.approx(x0 + 10, abs=0.01)
    assert g.bounds[3] == pytest.approx(y0 + 95, abs=0.01)


def test_remove_set_and_parcel_edits(town):
    store, _ = town
    s = Scenario("s", [RemoveBuilding(id="B3"), SetBuilding(id="B2", floors=10, height_m=30),
                       SetParcel(id="P2", land_use="B", max_far=1.0),
                       *parse_edits(["river-buffer", "river=R1", "distance=40", "flood", "level=3"])])
    view = apply(store, s)
    b = view.read("building").set_index("id")
    assert "B3" not in b.index
    assert b.loc["B2", "height_m"] == 30.0 and b.loc["B2", "floors"] == 10
    assert b.loc["B2", "gfa_m2"] == pytest.approx(4000.0)  # 10 floors x 400 m2
    assert b.loc["B2", CHANGE_COLUMN] == "changed"
    p = view.read("parcel").set_index("id")
    assert (p.loc["P2", "land_use"], p.loc["P2", "max_far"]) == ("B", 1.0)
    assert view.read("river").set_index("id").loc["R1", "setback_m"] == 40.0
    assert view.params == {"flood": {"level_m": 3.0}}
    assert [(c.edit, c.id, c.change) for c in view.changes] == [
        (0, "B3", "removed"), (1, "B2", "changed"), (2, "P2", "changed"),
        (3, "R1", "changed"), (4, "level_m", "changed")]


def test_missing_target_names_the_edit(town):
    store, _ = town
    s = Scenario("gone", [SetBuilding(id="B2", height_m=20), RemoveBuilding(id="B1"),
                          SetBuilding(id="B1", height_m=40)])
    with pytest.raises(ScenarioError) as err:
        apply(store, s)
    text = str(err.value)
    assert text.startswith("edit 2 (set_building B1): no building with id 'B1'"), text
    with pytest.raises(ScenarioError, match=r"edit 0 \(river_buffer NOPE\): no river"):
        apply(store, Scenario("r", parse_edits(["river-buffer", "river=NOPE", "distance=3"])))
    with pytest.raises(ScenarioError, match=r"edit 0 \(add_building B1\): a building with id 'B1'"):
        apply(store, Scenario("dup", [AddBuilding(footprint=[(0, 0), (9, 0), (9, 9)],
                                                  height_m=9, id="B1", crs="EPSG:4549")]))
    with pytest.raises(ScenarioError, match="not a valid polygon"):
        apply(store, Scenario("bow", [AddBuilding(footprint=[(0, 0), (9, 9), (9, 0), (0, 9)],
                                                  height_m=9, crs="EPSG:4549")]))


def test_apply_never_changes_the_store_and_base_view(town, tmp_path):
    store, info = town
    before = tree_digest(store.root)
    base = load_base(store)
    base_buildings = base.read("building")
    s = Scenario("s", [AddBuilding(footprint=info["tower"], height_m=100, id="T1",
                                   crs="EPSG:4549"),
                       RemoveBuilding(id="B3"), SetParcel(id="P1", max_far=9.0)])
    view = apply(base, s)
    apply(store, s)
    assert len(view.read("building")) == 3
    pd.testing.assert_frame_equal(base.read("building"), base_buildings)
    assert base.read("parcel").set_index("id").loc["P1", "max_far"] == 2.5
    assert tree_digest(store.root) == before


def test_saved_scenarios_are_versioned_readable_json(town):
    store, info = town
    s = Scenario("塔楼方案", [AddBuilding(footprint=info["tower"], height_m=100, id="T1",
                                          crs="EPSG:4549")], description="a tower")
    assert save_scenario(store, s) == 1
    s.add(FloodLevel(level_m=4))
    assert save_scenario(store, s) == 2
    assert store.scenarios() == ["塔楼方案"]
    assert load_scenario(store, "塔楼方案") == s
    assert len(load_scenario(store, "塔楼方案", 1).edits) == 1
    files = sorted((store.root / "scenarios" / "塔楼方案").glob("*.json"))
    assert len(files) == 2
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    assert doc["format"] == "twin-scenario" and doc["name"] == "塔楼方案"
    with pytest.raises(ScenarioError, match="no scenario called 'nope'"):
        load_scenario(store, "nope")


def test_stacking_applies_edits_in_order(town):
    store, _ = town
    a = Scenario("a", [SetBuilding(id="B2", height_m=30)])
    b = Scenario("b", [SetBuilding(id="B2", height_m=60), FloodLevel(level_m=2)])
    ab, ba = stack(a, b), stack(b, a)
    assert ab.name == "a+b" and len(ab.edits) == 3
    h = {s.name: apply(store, s).read("building").set_index("id").loc["B2", "height_m"]
         for s in (ab, ba)}
    assert h == {"a+b": 60.0, "b+a": 30.0}


def test_pinned_base_versions_are_read(town):
    store, info = town
    s = Scenario("pinned", [SetParcel(id="P1", max_far=3.0)], base={"parcel": 1})
    frame = store.read("parcel")
    frame["max_far"] = 1.0
    store.commit([LayerData("parcel", "parcel", frame)])
    view = apply(store, s)
    assert view.versions["parcel"] == 1
    p = view.read("parcel").set_index("id")
    assert p.loc["P2", "max_far"] == 2.5  # version 1, not the new 1.0


def test_a_scenario_view_is_a_store_reader(town):
    from twin.query.inputs import as_layers
    from twin.store.base import StoreReader

    store, info = town
    view = load_base(store)
    assert isinstance(view, StoreReader) and isinstance(store, StoreReader)
    assert as_layers(view).store is view
    assert view.raster_path("terrain").read_bytes() == store.raster_path("terrain").read_bytes()
