"""IFC georeferencing acceptance vectors: a known wall corner lands within 1 cm.

Each test writes a small building with ``tests.ifc_factory`` (ifcopenshell.api), imports it
with twin, and compares the known corner of a known wall with a working-CRS coordinate the
test computes itself: the IfcMapConversion formula written out here plus a pyproj
transformer, or a pyproj geodesic step from RefLatitude / the anchor.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from ifc_factory import make_test_building
from pyproj import Geod, Transformer

from twin.errors import GeoreferenceError
from twin.importer import read_file

WORKING = "EPSG:4549"
E0, N0, H0 = 490_000.0, 3_955_000.0, 4.5  # near Boli, in EPSG:4549 metres


def _element_vertices(result, guid: str) -> np.ndarray:
    frame = result.layers[0].data.set_index("guid")
    row = frame.loc[guid]
    verts = np.frombuffer(row["mesh_vertices"], dtype=np.float32).reshape(-1, 3)
    return verts.astype(float) + [row["origin_x"], row["origin_y"], row["origin_z"]]


def _nearest(result, guid: str, expected) -> float:
    verts = _element_vertices(result, guid)
    return float(np.min(np.linalg.norm(verts - np.asarray(expected, float), axis=1)))


def _expected_map(info, *, e0, n0, h0, theta_deg=0.0, scale=1.0, crs=WORKING,
                  map_to_m=1.0):
    """The IfcMapConversion formula, written out: project units → map → working CRS."""
    x, y, z = (c / info["unit_to_m"] for c in info["corner_local_m"])
    t = math.radians(theta_deg)
    e = e0 + scale * (math.cos(t) * x - math.sin(t) * y)
    n = n0 + scale * (math.sin(t) * x + math.cos(t) * y)
    h = (h0 + scale * z) * map_to_m
    tx, ty = Transformer.from_crs(crs, WORKING, always_xy=True).transform(e * map_to_m,
                                                                           n * map_to_m)
    return tx, ty, h


def _expected_geodesic(info, *, lon, lat, elev, rotation_deg, site_origin_m=(0, 0, 0)):
    """Step from lon/lat along the rotated local offset with pyproj.Geod, then project."""
    x, y, z = (c - o for c, o in zip(info["corner_local_m"], site_origin_m))
    a = math.radians(rotation_deg)  # +Y points at azimuth a (clockwise from north)
    east = x * math.cos(a) + y * math.sin(a)
    north = -x * math.sin(a) + y * math.cos(a)
    azimuth = math.degrees(math.atan2(east, north))
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(lon, lat, azimuth, math.hypot(east, north))
    tx, ty = Transformer.from_crs("EPSG:4326", WORKING, always_xy=True).transform(lon2, lat2)
    return tx, ty, elev + z


@pytest.mark.parametrize(
    ("unit", "scale", "theta"),
    [("m", None, 0.0), ("mm", 0.001, 0.0), ("ft", 0.3048, 0.0), ("m", None, 30.0),
     ("mm", 0.001, -12.5)],
    ids=["metre", "mm-scale-0.001", "foot", "rotation-30", "mm-rotation--12.5"],
)
def test_map_conversion_places_known_corner(tmp_path, unit, scale, theta):
    spec = {"crs": WORKING, "eastings": E0, "northings": N0, "orthogonal_height": H0,
            "x_axis_abscissa": math.cos(math.radians(theta)),
            "x_axis_ordinate": math.sin(math.radians(theta)), "scale": scale}
    info = make_test_building(tmp_path / "b.ifc", unit=unit, map_conversion=spec)
    result = read_file(info["path"])
    expected = _expected_map(info, e0=E0, n0=N0, h0=H0, theta_deg=theta, scale=scale or 1.0)
    assert _nearest(result, info["corner_guid"], expected) < 0.01
    geo = result.report.extra["georeferencing"]
    assert geo["source"] == "IfcMapConversion"
    assert not [c for c in geo["checks"] if c["code"] == "scale_mismatch"]


def test_map_conversion_in_another_crs_is_reprojected(tmp_path):
    # UTM 50N covers Boli too; twin must reproject into EPSG:4549 with pyproj
    e, n = Transformer.from_crs(WORKING, "EPSG:32650", always_xy=True).transform(E0, N0)
    spec = {"crs": "EPSG:32650", "eastings": e, "northings": n, "orthogonal_height": H0,
            "x_axis_abscissa": math.cos(math.radians(30)),
            "x_axis_ordinate": math.sin(math.radians(30))}
    info = make_test_building(tmp_path / "utm.ifc", unit="m", map_conversion=spec)
    result = read_file(info["path"])
    expected = _expected_map(info, e0=e, n0=n, h0=H0, theta_deg=30, crs="EPSG:32650")
    assert _nearest(result, info["corner_guid"], expected) < 0.01


def test_mm_project_without_scale_is_flagged_and_fixed_on_request(tmp_path):
    spec = {"crs": WORKING, "eastings": E0, "northings": N0, "orthogonal_height": H0,
            "scale": None}
    info = make_test_building(tmp_path / "mm.ifc", unit="mm", map_conversion=spec)
    expected = _expected_map(info, e0=E0, n0=N0, h0=H0, scale=0.001)
    plain = read_file(info["path"])
    checks = plain.report.extra["georeferencing"]["checks"]
    mismatch = [c for c in checks if c["code"] == "scale_mismatch"]
    assert mismatch and mismatch[0]["ratio"] == pytest.approx(1000.0)
    assert any("1000" in w["reason"] for w in plain.report.warnings)
    assert _nearest(plain, info["corner_guid"], expected) > 1.0  # wrong without the fix
    fixed = read_file(info["path"], fix_scale=True)
    assert _nearest(fixed, info["corner_guid"], expected) < 0.01
    assert fixed.report.extra["georeferencing"]["applied_fixes"]


def test_ifc2x3_epset_map_conversion(tmp_path):
    spec = {"crs": WORKING, "eastings": E0, "northings": N0, "orthogonal_height": H0,
            "x_axis_abscissa": math.cos(math.radians(20)),
            "x_axis_ordinate": math.sin(math.radians(20)), "scale": 0.001}
    info = make_test_building(tmp_path / "x3.ifc", schema="IFC2X3", unit="mm",
                              map_conversion=spec)
    result = read_file(info["path"])
    assert result.report.extra["georeferencing"]["source"] == "ePSet_MapConversion"
    expected = _expected_map(info, e0=E0, n0=N0, h0=H0, theta_deg=20, scale=0.001)
    assert _nearest(result, info["corner_guid"], expected) < 0.01


def test_ref_latitude_with_true_north(tmp_path):
    lat, lon, elev = 35.7301, 119.9012, 6.0
    info = make_test_building(tmp_path / "site.ifc", unit="mm", ref_latlon=(lat, lon, elev),
                              true_north_deg=25.0)
    result = read_file(info["path"])
    assert result.report.extra["georeferencing"]["source"] == "IfcSite.RefLatitude"
    expected = _expected_geodesic(info, lon=lon, lat=lat, elev=elev, rotation_deg=25.0)
    assert _nearest(result, info["corner_guid"], expected) < 0.01


def test_no_georeferencing_asks_for_an_anchor(tmp_path):
    info = make_test_building(tmp_path / "bare.ifc")
    with pytest.raises(GeoreferenceError) as err:
        read_file(info["path"])
    text = str(err.value)
    assert "--anchor LON,LAT,ELEV,ROT" in text and "twin ifc georef" in text
    assert "bare.ifc" in text


def test_anchor_places_known_corner(tmp_path):
    info = make_test_building(tmp_path / "anchored.ifc", unit="ft")
    result = read_file(info["path"], anchor="119.9,35.73,3.2,40")
    assert result.report.extra["georeferencing"]["source"] == "anchor"
    expected = _expected_geodesic(info, lon=119.9, lat=35.73, elev=3.2, rotation_deg=40.0)
    assert _nearest(result, info["corner_guid"], expected) < 0.01


def test_bad_anchor_is_a_clear_error(tmp_path):
    info = make_test_building(tmp_path / "a.ifc")
    with pytest.raises(GeoreferenceError, match="LON,LAT,ELEV,ROT"):
        read_file(info["path"], anchor="east,north")
    with pytest.raises(GeoreferenceError, match="out of range"):
        read_file(info["path"], anchor="35.7,119.9,0,0")


def test_contradiction_reports_both_positions_and_distance(tmp_path):
    spec = {"crs": WORKING, "eastings": E0, "northings": N0}
    # RefLatitude ~2 km north-east of the MapConversion position
    info = make_test_building(tmp_path / "c.ifc", map_conversion=spec,
                              ref_latlon=(35.74, 119.91))
    result = read_file(info["path"])
    (c,) = result.report.extra["georeferencing"]["contradictions"]
    lon, lat = Transformer.from_crs(WORKING, "EPSG:4326", always_xy=True).transform(E0, N0)
    _, _, dist = Geod(ellps="WGS84").inv(lon, lat, 119.91, 35.74)
    assert c["a"] == "IfcMapConversion" and c["b"] == "IfcSite.RefLatitude"
    assert c["a_lonlat"] == pytest.approx([lon, lat], abs=1e-6)
    assert c["b_lonlat"] == pytest.approx([119.91, 35.74], abs=1e-6)
    assert c["distance_m"] == pytest.approx(dist, abs=0.5)
    assert any("contradiction" in w["reason"] for w in result.report.warnings)


@pytest.mark.parametrize("name", ["4549", "EPSG:99999", "CGCS2000 zone 40"])
def test_invalid_epsg_is_named(tmp_path, name):
    info = make_test_building(tmp_path / "epsg.ifc",
                              map_conversion={"crs": name, "eastings": E0, "northings": N0})
    with pytest.raises(GeoreferenceError) as err:
        read_file(info["path"])
    assert repr(name) in str(err.value) or name in str(err.value)


def test_outside_working_crs_is_refused_and_twin_crs_overrides(tmp_path, monkeypatch):
    # a building in Amsterdam (EPSG:28992) cannot live in a CM-120E Gauss-Krüger store
    spec = {"crs": "EPSG:28992", "eastings": 121_000.0, "northings": 487_000.0}
    info = make_test_building(tmp_path / "nl.ifc", map_conversion=spec)
    with pytest.raises(GeoreferenceError, match="TWIN_CRS"):
        read_file(info["path"])
    monkeypatch.setenv("TWIN_CRS", "EPSG:28992")
    result = read_file(info["path"])
    verts = _element_vertices(result, info["corner_guid"])
    x, y, _ = info["corner_local_m"]
    assert np.min(np.hypot(verts[:, 0] - (121_000.0 + x), verts[:, 1] - (487_000.0 + y))) < 0.01


def _set_wcs(path, location_m, turn_deg=0.0, z_axis=(0.0, 0.0, 1.0), unit_to_m=1.0):
    """Give the model context a WorldCoordinateSystem at ``location_m``, turned about Z."""
    import ifcopenshell

    model = ifcopenshell.open(str(path))
    ctx = next(c for c in model.by_type("IfcGeometricRepresentationContext",
                                        include_subtypes=False) if c.ContextType == "Model")
    t = math.radians(turn_deg)
    ctx.WorldCoordinateSystem = model.createIfcAxis2Placement3D(
        model.createIfcCartesianPoint(tuple(float(v) / unit_to_m for v in location_m)),
        model.createIfcDirection(tuple(float(v) for v in z_axis)),
        model.createIfcDirection((math.cos(t), math.sin(t), 0.0)))
    model.write(str(path))


@pytest.mark.parametrize(("unit", "turn"), [("m", 0.0), ("mm", 25.0)])
def test_map_conversion_applies_relative_to_the_world_coordinate_system(tmp_path, unit, turn):
    import ifcopenshell
    import ifcopenshell.util.geolocation as geoloc

    spec = {"crs": WORKING, "eastings": E0, "northings": N0, "orthogonal_height": H0,
            "x_axis_abscissa": math.cos(math.radians(10)),
            "x_axis_ordinate": math.sin(math.radians(10)),
            "scale": 0.001 if unit == "mm" else None}
    info = make_test_building(tmp_path / "wcs.ifc", unit=unit, map_conversion=spec)
    _set_wcs(info["path"], (12.0, -30.0, 1.5), turn, unit_to_m=info["unit_to_m"])
    # the oracle: ifcopenshell's own local → map conversion, which honours the WCS
    model = ifcopenshell.open(str(info["path"]))
    local = [c / info["unit_to_m"] for c in info["corner_local_m"]]
    e, n, h = geoloc.auto_xyz2enh(model, *local)
    result = read_file(info["path"])
    assert _nearest(result, info["corner_guid"], (e, n, h)) < 0.01
    naive = _expected_map(info, e0=E0, n0=N0, h0=H0, theta_deg=10.0,
                          scale=0.001 if unit == "mm" else 1.0)
    assert _nearest(result, info["corner_guid"], naive) > 10  # the WCS moved it
    checks = result.report.extra["georeferencing"]["checks"]
    wcs = next(c for c in checks if c["code"] == "world_coordinate_system")
    assert wcs["offset_m"] == pytest.approx([12.0, -30.0, 1.5])
    assert any("WorldCoordinateSystem" in w["reason"] for w in result.report.warnings)


def test_tilted_world_coordinate_system_is_refused(tmp_path):
    spec = {"crs": WORKING, "eastings": E0, "northings": N0}
    info = make_test_building(tmp_path / "tilted.ifc", map_conversion=spec)
    _set_wcs(info["path"], (0.0, 0.0, 0.0), z_axis=(0.0, 0.6, 0.8))
    with pytest.raises(GeoreferenceError, match="tilted"):
        read_file(info["path"])


def test_anchor_written_into_a_model_with_a_world_coordinate_system(tmp_path):
    from twin.ifc.write_georef import write_georef

    info = make_test_building(tmp_path / "plain.ifc", unit="mm")
    _set_wcs(info["path"], (250.0, 40.0, 0.0), 15.0, unit_to_m=info["unit_to_m"])
    anchor = "119.9,35.73,3.2,40"
    out = tmp_path / "placed.ifc"
    write_georef(info["path"], out, anchor)
    result = read_file(out)
    assert result.report.extra["georeferencing"]["source"] == "IfcMapConversion"
    assert not result.report.extra["georeferencing"]["contradictions"]
    expected = _expected_geodesic(info, lon=119.9, lat=35.73, elev=3.2, rotation_deg=40.0)
    assert _nearest(result, info["corner_guid"], expected) < 0.01
