"""A placement the user states always wins: ``--anchor`` / ``--anchor-point`` over the file.

Models georeferenced far from Boli (RefLatitude in Karlsruhe, IfcMapConversion in
EPSG:25832, IFC2X3 ePSet_MapConversion, Beijing in EPSG:4548) are written with
ifcopenshell.api; each is imported with ``--anchor`` and a known wall corner must land
within 1 cm of the EPSG:4549 coordinate this test computes on its own (a pyproj geodesic
step from the anchor, then a pyproj projection), and the report must name the overridden
georeference with both positions and their distance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from ifc_factory import make_test_building
from pyproj import Geod, Transformer

from twin.cli import main
from twin.errors import GeoreferenceError
from twin.importer import read_file

WORKING = "EPSG:4549"
ANCHOR = (119.90, 35.73, 5.0, 0.0)
KARLSRUHE = (49.0069, 8.4037)  # lat, lon
BEIJING = (39.9042, 116.4074)


def _to(crs, lon, lat):
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)


def _corner_world(result, guid):
    frame = result.layers[0].data.set_index("guid")
    row = frame.loc[guid]
    verts = np.frombuffer(row["mesh_vertices"], dtype=np.float32).reshape(-1, 3)
    return verts.astype(float) + [row["origin_x"], row["origin_y"], row["origin_z"]]


def _expected(local_xyz, *, lon, lat, elev, rotation_deg, model_point=(0.0, 0.0, 0.0)):
    """pyproj.Geod step from the anchor along the rotated local offset, then EPSG:4549."""
    x, y, z = (c - o for c, o in zip(local_xyz, model_point))
    a = math.radians(rotation_deg)
    east = x * math.cos(a) + y * math.sin(a)
    north = -x * math.sin(a) + y * math.cos(a)
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(lon, lat, math.degrees(math.atan2(east, north)),
                                            math.hypot(east, north))
    tx, ty = _to(WORKING, lon2, lat2)
    return np.array([tx, ty, elev + z])


def _models(tmp_path):
    e32, n32 = _to("EPSG:25832", KARLSRUHE[1], KARLSRUHE[0])
    e48, n48 = _to("EPSG:4548", BEIJING[1], BEIJING[0])
    return {
        "karlsruhe-reflatitude": dict(ref_latlon=(*KARLSRUHE, 115.0), true_north_deg=12.0),
        "epsg25832-mapconversion": dict(unit="mm", map_conversion={
            "crs": "EPSG:25832", "eastings": e32, "northings": n32, "orthogonal_height": 115.0,
            "scale": 0.001}),
        "ifc2x3-epset": dict(schema="IFC2X3", unit="mm", map_conversion={
            "crs": "EPSG:25832", "eastings": e32, "northings": n32, "orthogonal_height": 115.0,
            "x_axis_abscissa": math.cos(0.3), "x_axis_ordinate": math.sin(0.3),
            "scale": 0.001}),
        "beijing-epsg4548": dict(map_conversion={"crs": "EPSG:4548", "eastings": e48,
                                                 "northings": n48, "orthogonal_height": 44.0}),
    }


@pytest.mark.parametrize("case", ["karlsruhe-reflatitude", "epsg25832-mapconversion",
                                  "ifc2x3-epset", "beijing-epsg4548"])
def test_anchor_overrides_the_file_georeference(tmp_path, case):
    spec = _models(tmp_path)[case]
    info = make_test_building(tmp_path / f"{case}.ifc", **spec)
    # without an anchor the file's own place is outside EPSG:4549: one line, both fixes
    with pytest.raises(GeoreferenceError) as err:
        read_file(info["path"])
    text = str(err.value)
    assert "outside the area of use" in text and "--anchor" in text and "$TWIN_CRS" in text
    assert "\n" not in text
    lon, lat, elev, rot = ANCHOR
    result = read_file(info["path"], anchor=",".join(map(str, ANCHOR)))
    expected = _expected(info["corner_local_m"], lon=lon, lat=lat, elev=elev, rotation_deg=rot)
    verts = _corner_world(result, info["corner_guid"])
    assert float(np.min(np.linalg.norm(verts - expected, axis=1))) < 0.01
    geo = result.report.extra["georeferencing"]
    assert geo["source"] == "anchor"
    (over,) = [o for o in geo["overridden"] if o["distance_m"]]
    assert over["source"].startswith(("IfcSite.RefLatitude", "IfcMapConversion",
                                      "ePSet_MapConversion"))
    assert over["anchor_lonlat"] == pytest.approx([lon, lat])
    _, _, dist = Geod(ellps="WGS84").inv(over["file_lonlat"][0], over["file_lonlat"][1],
                                         lon, lat)
    assert over["distance_m"] == pytest.approx(dist, abs=1)
    assert over["distance_m"] > 500_000  # Germany or Beijing, not Boli
    assert any("overrides the file's" in w["reason"] and "km away" in w["reason"]
               for w in result.report.warnings)
    assert geo["placed_distance_m"] < 10  # the origin is 3.6 m from the corner


def test_anchor_point_maps_a_model_point_to_the_map_point(tmp_path):
    info = make_test_building(tmp_path / "p.ifc", unit="mm", ref_latlon=(*KARLSRUHE, 0.0),
                              true_north_deg=20.0)
    point = (12.0, 8.0, 0.0)  # model metres
    lon, lat, elev = 119.905, 35.733, 4.5
    result = read_file(info["path"], anchor_point=f"12,8,0={lon},{lat},{elev}")
    geo = result.report.extra["georeferencing"]
    assert geo["source"] == "anchor point"
    # rotation from the file's true north (20° anticlockwise = +Y at azimuth 20°? no:
    # IFC TrueNorth anticlockwise from +Y equals the azimuth of +Y clockwise from north)
    expected = _expected(info["corner_local_m"], lon=lon, lat=lat, elev=elev,
                         rotation_deg=20.0, model_point=point)
    verts = _corner_world(result, info["corner_guid"])
    assert float(np.min(np.linalg.norm(verts - expected, axis=1))) < 0.01
    # the stated point itself, through the placement twin used
    from twin.crs import transformer
    from twin.ifc.georef import anchor_placement, parse_anchor_point
    from twin.ifc.units import ProjectUnits

    units = ProjectUnits("MILLIMETRE", 0.001, 1.0, 1.0)
    placement = anchor_placement(None, parse_anchor_point(f"12,8,0={lon},{lat},{elev},20"),
                                 units)
    px, py, ph = placement.local_to(np.array([12.0]), np.array([8.0]), np.array([0.0]),
                                    WORKING)
    tx, ty = transformer("EPSG:4326", WORKING).transform(lon, lat)
    assert math.hypot(float(px[0]) - tx, float(py[0]) - ty) < 0.01
    assert float(ph[0]) == pytest.approx(elev, abs=0.01)


def test_anchor_pins_far_elements_not_the_far_origin(tmp_path):
    # the building sits 1,190 km east of its project origin (map-sized local coordinates)
    info = make_test_building(tmp_path / "far.ifc", origin_m=(1_190_000.0, 40_000.0))
    result = read_file(info["path"], anchor="119.9,35.73,0,0")
    geo = result.report.extra["georeferencing"]
    assert geo["pinned"]["model_point_m"][0] == pytest.approx(1_190_000 + 10, abs=20)
    assert geo["placed_distance_m"] < 50
    assert any("--anchor-point" in w["reason"] for w in result.report.warnings)


def test_doctor_names_the_overridden_georeference(tmp_path, capsys):
    info = make_test_building(tmp_path / "k.ifc", ref_latlon=KARLSRUHE)
    assert main(["ifc", "doctor", info["path"], "--anchor", "119.9,35.73,0,0"]) == 0
    out = capsys.readouterr().out
    assert "overridden" in out and "IfcSite.RefLatitude" in out and "km" in out
    assert "lon 8.403700" in out and "lon 119.900000" in out


def test_anchor_and_anchor_point_together_are_refused(tmp_path):
    info = make_test_building(tmp_path / "a.ifc")
    with pytest.raises(GeoreferenceError, match="not both"):
        read_file(info["path"], anchor="119.9,35.73", anchor_point="0,0,0=119.9,35.73,0")
    with pytest.raises(GeoreferenceError, match="X,Y,Z=LON,LAT"):
        read_file(info["path"], anchor_point="119.9,35.73")


@pytest.mark.parametrize("schema", ["IFC2X3", "IFC4"])
def test_georef_write_reimports_to_the_same_place(tmp_path, capsys, schema):
    # a model georeferenced in Karlsruhe, placed in Boli and written back
    info = make_test_building(tmp_path / "k.ifc", schema=schema, unit="mm",
                              ref_latlon=(*KARLSRUHE, 110.0), true_north_deg=10.0)
    out = tmp_path / "placed.ifc"
    anchor = "119.9,35.73,3.2,40"
    assert main(["ifc", "georef", info["path"], "--anchor", anchor, "--write", str(out)]) == 0
    text = capsys.readouterr().out
    kind = "ePSet_MapConversion" if schema == "IFC2X3" else "IfcMapConversion"
    assert f"wrote {out}: {kind} → EPSG:4549" in text and "replaced:" in text
    result = read_file(out)
    geo = result.report.extra["georeferencing"]
    assert geo["source"] == kind and not geo["contradictions"]
    expected = _expected(info["corner_local_m"], lon=119.9, lat=35.73, elev=3.2,
                         rotation_deg=40.0)
    verts = _corner_world(result, info["corner_guid"])
    assert float(np.min(np.linalg.norm(verts - expected, axis=1))) < 0.01
    direct = read_file(info["path"], anchor=anchor)
    assert float(np.min(np.linalg.norm(_corner_world(direct, info["corner_guid"]) - expected,
                                       axis=1))) < 0.01


def test_georef_write_of_far_elements_pins_them(tmp_path, capsys):
    info = make_test_building(tmp_path / "far.ifc", origin_m=(1_190_000.0, 40_000.0))
    out = tmp_path / "placed.ifc"
    assert main(["ifc", "georef", info["path"], "--anchor", "119.9,35.73,0,0",
                 "--write", str(out)]) == 0
    assert "pinned:" in capsys.readouterr().out
    result = read_file(out)
    frame = result.layers[0].data
    tx, ty = _to(WORKING, 119.9, 35.73)
    cx, cy = frame.geometry.union_all().centroid.coords[0]
    assert math.hypot(cx - tx, cy - ty) < 50  # the building is at the anchor, not 1,190 km off
