"""IFC acceptance on third-party files in ../shared/data/ifc (skipped when absent)."""

from __future__ import annotations

import json

import pytest
from conftest import shared
from pyproj import Geod

from twin.crs import transform_xy
from twin.errors import GeoreferenceError, ReaderError, TwinError
from twin.ifc.doctor import inspect_ifc
from twin.importer import import_file, read_file

REAL = ("ifc", "semantic", "fail-grf005-ifc4_blank_map_conversion.ifc")
_GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def real_building(tmp_path_factory):
    """The 2.9 MB real building, imported once (fixed scale, web-mercator store)."""
    path = shared(*REAL)
    mp = pytest.MonkeyPatch()
    mp.setenv("TWIN_CRS", "EPSG:3857")
    try:
        from twin.store import ParquetStore

        store = ParquetStore(tmp_path_factory.mktemp("real") / "layers")
        versions, report = import_file(store, path, fix_scale=True, building_id="grf005")
        yield store, versions, report
    finally:
        mp.undo()


def test_real_building_imports_and_flags_the_contradiction(real_building, monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")
    store, versions, report = real_building
    # the model's IfcGrid comes in as its own layer, one line per axis with a curve
    assert set(versions) == {"bim_element", "ifc_building", "ifc_storey", "ifc_grid"}
    assert len(store.read("ifc_grid")) == report.extra["grid_axes"] > 0
    geo = report.extra["georeferencing"]
    codes = {c["code"] for c in geo["checks"]}
    assert {"scale_mismatch", "eastings_in_project_units"} <= codes
    (c,) = geo["contradictions"]
    assert {c["a"], c["b"]} == {"IfcMapConversion", "IfcSite.RefLatitude"}
    # RefLatitude points to Boston, the fixed MapConversion to the Netherlands
    assert c["b_lonlat"] == pytest.approx([-71.0567, 42.3587], abs=1e-3)
    assert 3.0 < c["a_lonlat"][0] < 7.5 and 50.7 < c["a_lonlat"][1] < 53.6
    assert c["distance_m"] > 5_000_000
    elements = store.read("bim_element")
    assert (elements["ifc_class"] == "IfcWall").sum() == 78
    assert (elements["ifc_class"] == "IfcWindow").sum() == 69
    assert report.counts["IfcWall"] == 78
    # the elements are where the fixed MapConversion says (EPSG:28992 → lon/lat)
    c0 = elements.geometry.dropna().union_all().centroid
    lon, lat = transform_xy([c0.x], [c0.y], "EPSG:3857", "EPSG:4326")
    _, _, dist = _GEOD.inv(float(lon[0]), float(lat[0]), *c["a_lonlat"])
    assert dist < 500
    building = store.read("ifc_building")
    assert len(building) == 1 and building["source"].iloc[0] == "ifc"
    assert building["gfa_method"].iloc[0] in {"ifcspace", "slab_qto", "slab_geometry"}
    assert building["height_m"].iloc[0] > 2
    assert building["floors"].iloc[0] == len(store.read("ifc_storey"))
    psets = json.loads(elements.loc[elements["ifc_class"] == "IfcWall", "psets"].iloc[0])
    assert psets  # property sets came through as JSON


def test_real_building_without_fix_names_the_scale_problem(monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")
    with pytest.raises(GeoreferenceError) as err:
        read_file(shared(*REAL))
    text = str(err.value)
    assert "1000" in text and "--fix-scale" in text and "EPSG:28992" in text


def test_real_building_doctor_shows_both_positions(capsys):
    from twin.cli import main

    code = main(["ifc", "doctor", "--fix-scale", str(shared(*REAL))])
    out = capsys.readouterr().out
    assert code == 0
    assert "contradiction" in out and "IfcSite.RefLatitude" in out
    assert "-71.0567" in out and "5.3094" in out


def test_pass_grf005_us_foot_map_places_near_its_ref_latitude(monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")
    result = read_file(shared("ifc", "ifc4x3", "pass-grf005-unit_conversion_factor.ifc"))
    geo = result.report.extra["georeferencing"]
    assert geo["source"] == "IfcMapConversion" and not geo["contradictions"]
    site = geo["sources"]["IfcSite.RefLatitude"]
    lon, lat, _ = geo["origin_lonlat"]
    _, _, dist = _GEOD.inv(lon, lat, site["lon"], site["lat"])
    assert dist < 1.0  # MapConversion (US survey feet) and RefLatitude agree
    terrain = result.layers[0].data.geometry.dropna().union_all().centroid
    tlon, tlat = transform_xy([terrain.x], [terrain.y], "EPSG:3857", "EPSG:4326")
    assert _GEOD.inv(float(tlon[0]), float(tlat[0]), site["lon"], site["lat"])[2] < 5_000
    # pyproj's missing-grid UserWarning is a line of the report, not terminal noise
    assert any("PROJ grid" in w["reason"] for w in result.report.warnings)


def test_na_grf003_railway_lands_in_italy(monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:3065")
    result = read_file(shared("ifc", "semantic", "na-grf003-railway_with_georeferencing.ifc"))
    frame = result.layers[0].data
    assert list(frame["ifc_class"]) == ["IfcSignal", "IfcSignal"]
    c = frame.geometry.union_all().centroid
    lon, lat = transform_xy([c.x], [c.y], "EPSG:3065", "EPSG:4326")
    # IGM95 / UTM 33N: the signals are in southern Italy
    assert 12 < float(lon[0]) < 17 and 39 < float(lat[0]) < 43


def test_na_grf000_without_georeferencing_asks_for_anchor():
    with pytest.raises(GeoreferenceError, match="--anchor"):
        read_file(shared("ifc", "semantic", "na-grf000-no_georeferencing.ifc"))


def test_map_sized_models_are_placed_in_boli_with_an_anchor(capfd, monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    # local coordinates of map size: the anchor pins the elements, and no kernel chatter
    # ("local z ... delta") reaches the terminal
    for name in ("na-grf000-no_georeferencing.ifc", "na-grf003-railway_with_georeferencing.ifc"):
        result = read_file(shared("ifc", "semantic", name), anchor="119.9,35.73,0,0")
        geo = result.report.extra["georeferencing"]
        assert geo["placed_distance_m"] < 100, name
    out, err = capfd.readouterr()
    assert "local z" not in out and "local z" not in err


def test_far_georeference_without_anchor_is_one_line_with_both_fixes(monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    with pytest.raises(GeoreferenceError) as err:
        read_file(shared("ifc", "semantic", "na-grf003-railway_with_georeferencing.ifc"))
    text = str(err.value)
    assert "outside the area of use" in text and "--anchor" in text and "$TWIN_CRS" in text
    assert "EPSG:3065" in text


def test_invalid_epsg_string_is_named():
    path = shared("ifc", "semantic", "fail-grf002-invalid_epsg_code_invalid_string.ifc")
    with pytest.raises(GeoreferenceError, match="'3857'"):
        read_file(path)
    assert "'3857'" in inspect_ifc(path)["georeferencing"]["error"]


def test_non_final_schema_is_unsupported():
    with pytest.raises(ReaderError) as err:
        read_file(shared("ifc", "semantic", "fail-ifc101-IFC4X3.ifc"))
    text = str(err.value)
    assert "'IFC4X3'" in text and "IFC2X3, IFC4, IFC4X3_ADD2" in text


def test_project_absent_is_a_clear_error():
    with pytest.raises(ReaderError, match="no IfcProject and no building elements"):
        read_file(shared("ifc", "semantic", "na-pjs000-project_absent.ifc"))


SYNTAX_ERRORS = {
    "fail_double_comma.ifc": "',,'",
    "fail_duplicate_id.ifc": "duplicate instance ids #19",
    "fail_multiple_duplicate_ids.ifc": "duplicate instance ids #18, #19",
    "fail_invalid_0.ifc": "#0",
    "fail_no_header.ifc": "no HEADER",
    "fail_reverse_string.ifc": "cannot parse",
    "fail_utf8_with_bom.ifc": "byte-order mark",
    "fail_utf_encoding.ifc": "cannot parse",
}
SYNTAX_WARNINGS = {
    "fail_double_semi.ifc": "';;'",
    "fail_invalid_header_entity.ifc": "FILE_INFO",
    "fail_multiple_wrong_header_fields.ifc": "FILE_DESCRIPTION has 1 fields",
    "fail_too_many_header_entity_fields.ifc": "FILE_NAME has 8 fields",
}


def test_every_syntax_fail_file_is_covered():
    folder = shared("ifc", "syntax")
    names = {p.name for p in folder.glob("fail_*.ifc")}
    assert names == set(SYNTAX_ERRORS) | set(SYNTAX_WARNINGS)


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS) + sorted(SYNTAX_WARNINGS))
def test_syntax_fail_files_error_or_warn_and_leave_the_store_unchanged(name, store, capsys):
    from twin.cli import main

    path = shared("ifc", "syntax", name)
    before = store.layers()
    # through the CLI: one line, no traceback, exit 1, nothing written
    code = main(["--store", str(store.root), "import", str(path), "--anchor", "119.9,35.7,0,0"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1
    assert store.layers() == before
    if name in SYNTAX_ERRORS:
        with pytest.raises(ReaderError) as exc:
            read_file(path, anchor="119.9,35.7,0,0")
        assert SYNTAX_ERRORS[name] in str(exc.value) and name in str(exc.value)
    else:
        info = inspect_ifc(path, anchor="119.9,35.7,0,0")
        reasons = " ".join(w["reason"] for w in info["syntax_warnings"])
        assert SYNTAX_WARNINGS[name] in reasons
        # the import itself fails (these fixtures hold no elements) with a clear error
        with pytest.raises(TwinError, match="no building elements"):
            read_file(path, anchor="119.9,35.7,0,0")
