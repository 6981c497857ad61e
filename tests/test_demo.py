"""The Boli demo twin: built once per module through ``twin demo`` (the real readers and
store), then checked layer by layer. The checks here are written independently of the
generator's own self-check, on the layers as read back from the store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from twin.cli import main
from twin.demo import build
from twin.demo.build import PLANTED
from twin.demo.layout import SEED as PLANTED_SEED
from twin.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The default demo: sources in ``data``, imported into the store ``store``."""
    root = tmp_path_factory.mktemp("demo")
    data, store = root / "boli", root / "layers"
    assert main(["--store", str(store), "demo", "--data", str(data)]) == 0
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    return {"data": data, "store": open_store(store), "url": str(store), "manifest": manifest}


def _layers_json(url, capsys) -> dict:
    capsys.readouterr()
    assert main(["--store", url, "layers", "--json"]) == 0
    return {item["name"]: item for item in json.loads(capsys.readouterr().out)}


def test_twin_layers_lists_every_kind_with_expected_counts(demo, capsys):
    layers = _layers_json(demo["url"], capsys)
    kinds = {item["kind"] for item in layers.values()}
    assert {"parcel", "road", "river", "building", "bim_element", "facility", "sensor",
            "sensor_reading", "terrain", "storey"} <= kinds
    counts = demo["manifest"]["counts"]
    assert layers["parcel"]["rows"] == counts["parcels"]
    assert 250 <= counts["parcels"] <= 350
    assert layers["building"]["rows"] == counts["buildings"]
    assert 3000 <= counts["buildings"] <= 5000
    assert layers["river"]["rows"] == 4
    assert layers["road"]["rows"] == counts["roads"]
    assert layers["metro"]["kind"] == "road"
    assert layers["facility"]["rows"] == counts["facilities"]
    assert layers["sensor"]["rows"] == counts["sensors"]
    assert layers["sensor_reading"]["rows"] == counts["sensors"] * 7 * 96
    assert layers["terrain"]["rows"] == 1
    assert layers["ifc_building"]["rows"] == 3
    assert layers["bim_element"]["rows"] > 300


def test_plan_content(demo):
    store = demo["store"]
    parcels = store.read("parcel")
    assert set(parcels.land_use) == set("RABMWSUGE")
    assert (parcels[parcels.land_use != "E"].max_far > 0).all()
    areas = set(parcels.area_name)
    assert {"泊里老城", "董家口安置区", "临港安置区", "丰台/小庄/营上安置区", "氢能产业园"} <= areas
    assert {"市民文化中心", "临港安置区小学"} <= set(parcels.name)
    roads = store.read("road")
    assert set(roads.road_class) == {"arterial", "secondary", "branch"}
    named = set(roads.name[roads.municipal.astype(bool)])
    assert len(named) == 13 and "泊里一路" in named
    assert (roads.width_m[roads.road_class == "arterial"] >= 40).all()
    rivers = store.read("river")
    assert {"横河", "辛庄河"} <= set(rivers.name)
    assert (rivers.setback_m > 0).all() and (rivers.width_m > 0).all()
    fac = store.read("facility")
    assert (fac.kind == "elderly_care").sum() == 25
    stations = set(fac.name[fac.kind == "metro_station"])
    assert stations == {"泊里站", "董家口港站", "董家口火车站"}
    assert "临港安置区小学" in set(fac.name[fac.kind == "school"])
    assert {"clinic", "hospital", "park"} <= set(fac.kind)
    sensors = store.read("sensor")
    assert {"water_level", "rain", "gas", "video"} <= set(sensors.kind)
    readings = store.read("sensor_reading")
    assert set(readings.sensor_id) == set(sensors.id)
    times = pd.to_datetime(readings.time, format="ISO8601")
    assert (times.max() - times.min()) >= pd.Timedelta(days=6, hours=23)
    # Every water-level gauge stands in a river.
    gauges = sensors[sensors.kind == "water_level"]
    assert gauges.geometry.apply(lambda p: rivers.distance(p).min()).max() < 1.0


def test_sources_are_wgs84_geojson_and_synthetic(demo):
    data = demo["data"]
    doc = json.loads((data / "parcels.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 119.8 < lon < 120.0 and 35.65 < lat < 35.8
    readme = (data / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "public descriptions" in readme
    centre = gpd.read_file(data / "parcels.geojson").to_crs(4326).union_all().centroid
    assert abs(centre.x - 119.90) < 0.02 and abs(centre.y - 35.73) < 0.02


def test_terrain_valleys_hills_and_coast(demo):
    path = demo["store"].raster_path("terrain")
    rivers = demo["store"].read("river")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4549
        assert abs(src.res[0] - 10.0) < 1e-6
        z = src.read(1)
        left, bottom, right, top = src.bounds
        lower = []
        for line in rivers.geometry:
            pts = shapely.line_interpolate_point(line, np.linspace(0.1, 0.9, 9), normalized=True)
            xs, ys = shapely.get_x(pts), shapely.get_y(pts)
            bed = np.array([v[0] for v in src.sample(zip(xs, ys))])
            east = np.array([v[0] for v in src.sample(zip(xs + 150, ys))])
            west = np.array([v[0] for v in src.sample(zip(xs - 150, ys))])
            lower.append(np.mean(np.minimum(east, west) - bed))
    assert min(lower) > 1.0  # each river runs below both of its banks
    rows, cols = z.shape
    north_west = z[: rows // 3, : cols // 3].mean()
    south_east = z[-rows // 3:, -cols // 3:].mean()
    assert north_west > south_east + 20
    assert z[-1, :].min() < 0  # the sea at the southern edge


def test_buildings_fit_their_parcels_and_keep_off_roads_and_rivers(demo):
    store = demo["store"]
    b, parcels = store.read("building"), store.read("parcel")
    joined = b.set_index("id").join(parcels.set_index("id").geometry.rename("parcel_geom"),
                                    on="parcel_id")
    inside = shapely.contains(shapely.buffer(joined.parcel_geom.to_numpy(), 0.05),
                              joined.geometry.to_numpy())
    assert inside.all()
    roads = store.read("road")
    red = shapely.union_all(shapely.buffer(roads.geometry.to_numpy(), roads.width_m / 2,
                                           cap_style="flat"))
    assert not shapely.intersects(b.geometry.to_numpy(), red).any()
    rivers = store.read("river")
    water = shapely.union_all(shapely.buffer(rivers.geometry.to_numpy(), rivers.width_m / 2))
    assert not shapely.intersects(b.geometry.to_numpy(), water).any()
    assert ((b.gfa_m2 - b.floors * b.geometry.area).abs() / b.gfa_m2).max() < 1e-3
    assert b.base_elev_m.notna().all()


def test_ifc_buildings_sit_on_their_parcels_within_1m_of_plan(demo):
    store = demo["store"]
    ifc = store.read("ifc_building").set_index("name")
    parcels = store.read("parcel").set_index("id")
    planned = demo["manifest"]["ifc"]
    assert len(planned) == 3
    for item in planned:
        row = ifc.loc[item["name"]]
        centre = row.geometry.centroid
        assert abs(centre.x - item["easting"]) < 1.0 and abs(centre.y - item["northing"]) < 1.0
        assert parcels.loc[item["parcel_id"]].geometry.contains(row.geometry)
        assert row.floors == item["storeys"]
        assert row.gfa_m2 == pytest.approx(item["gfa_m2"], rel=0.01)
    names = {item["name"] for item in planned}
    assert {"临港安置区小学教学楼", "市民文化中心"} <= names
    elements = store.read("bim_element")
    assert {"IfcWall", "IfcSlab", "IfcWindow", "IfcDoor"} <= set(elements.ifc_class)


def test_planted_violations_are_found_by_simple_checks(demo):
    store = demo["store"]
    parcels = store.read("parcel")
    lod1 = store.read("building")
    ifc = store.read("ifc_building")
    both = pd.concat([lod1[["id", "gfa_m2", "geometry"]], ifc[["id", "gfa_m2", "geometry"]]],
                     ignore_index=True)
    both = gpd.GeoDataFrame(both, geometry="geometry", crs=lod1.crs)
    # FAR: the GFA of buildings whose centroid lies in the parcel over the parcel's area.
    pts = both.set_geometry(both.geometry.representative_point())
    hit = gpd.sjoin(pts, parcels[["id", "max_far", "geometry"]], predicate="within",
                    lsuffix="b", rsuffix="p")
    far = hit.groupby("id_p").gfa_m2.sum() / parcels.set_index("id").geometry.area
    over = far[far > parcels.set_index("id").max_far.reindex(far.index)].dropna()
    assert list(over.index) == [PLANTED["far_parcel"]]
    # Blue line: a building nearer the river's centre line than width/2 + setback.
    rivers = store.read("river")
    inside = set()
    for r in rivers.itertuples():
        d = lod1.distance(r.geometry)
        inside |= set(lod1.id[d < r.width_m / 2 + r.setback_m])
    assert inside == {PLANTED["setback_building"]}
    # Schools: the homes of the planted area have none within 1 km; other areas do.
    schools = store.read("facility").query("kind == 'school'")
    homes = lod1[lod1.use == "R"].merge(parcels[["id", "area_name"]],
                                        left_on="parcel_id", right_on="id",
                                        suffixes=("", "_p"))
    nearest = homes.geometry.apply(lambda g: schools.distance(g).min())
    by_area = nearest.groupby(homes.area_name).min()
    assert by_area[PLANTED["no_school_area"]] > 1000
    assert by_area["临港安置区"] < 1000 and by_area["董家口安置区"] < 1000
    # Height: the planted house is the only building over its parcel's limit.
    limit = parcels.set_index("id").max_height_m.reindex(lod1.parcel_id).to_numpy()
    assert list(lod1.id[lod1.height_m.to_numpy() > limit]) == [PLANTED["height_building"]]


def test_sensor_week_has_the_planted_events(demo):
    store = demo["store"]
    sensors = store.read("sensor").set_index("id")
    peak = store.read("sensor_reading").groupby("sensor_id").value.agg(["min", "max"])
    over = sorted(peak.index[peak["max"] > sensors.threshold.reindex(peak.index)])
    assert over == sorted([PLANTED["water_alarm_sensor"], PLANTED["gas_alarm_sensor"]])
    video = peak[sensors.kind.reindex(peak.index) == "video"]
    assert list(video.index[video["min"] < 1]) == [PLANTED["offline_camera"]]
    # Water levels are heights above the 1985 datum, above each gauge's river bed.
    gauges = sensors[sensors.kind == "water_level"]
    assert (peak.loc[gauges.index, "min"] > gauges.bed_elev_m).all()


def test_build_regenerates_missing_sources_only(demo, tmp_path):
    """An existing, current folder is imported as is; a missing file triggers generation."""
    from twin.demo.build import _stale

    assert _stale(demo["data"], PLANTED_SEED) == ""
    assert _stale(tmp_path, PLANTED_SEED) == "missing"


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_is_deterministic(demo, tmp_path):
    """A second build with --force into a fresh store: the same files, the same layers."""
    (tmp_path / "boli").mkdir()
    (tmp_path / "boli" / "stale.txt").write_text("replaced by --force")
    again = build(tmp_path / "boli", tmp_path / "layers", force=True)
    assert again["generated"] and not again["skipped"]
    assert _digest(tmp_path / "boli") == _digest(demo["data"])
    assert json.loads((tmp_path / "boli" / "planted.json").read_text()) == PLANTED
    first, second = demo["store"], open_store(tmp_path / "layers")
    names = [i.name for i in first.layers()]
    assert names == [i.name for i in second.layers()]
    for name in names:
        a, b = first.read(name), second.read(name)
        if isinstance(a, bytes):
            assert a == b, name
            continue
        key = "guid" if "guid" in a.columns and "id" not in a.columns else None
        if key:
            a, b = a.sort_values(key, ignore_index=True), b.sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), check_exact=True,
                                      obj=name)
