"""The GeoJSON reader against third-party files in ../shared/data/geojson (skipped when the
folder is absent): every valid spec file loads, every invalid file gives a clear error or a
recorded repair/warning, geojsonhint's .result files are the oracle for what the complaint
is about, and the real Hefei and Dengzhou layers import as their kinds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SHARED_DATA, shared

import twin.io.geojson as geojson_module
from twin.errors import GeoreferenceError, ReaderError, TwinError
from twin.importer import import_file, read_file

GEOJSON = SHARED_DATA / "geojson"


def _files(*parts, invalid: bool) -> list[str]:
    root = GEOJSON.joinpath(*parts)
    if not root.exists():
        return []
    out = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".geojson", ".json") or not path.is_file():
            continue
        rel = path.relative_to(GEOJSON)
        if ("invalid" in rel.parts) == invalid:
            out.append(rel.as_posix())
    return out


VALID = _files("spec", invalid=False)
INVALID = _files("invalid", invalid=True) + _files("spec", invalid=True)
# Structurally valid GeoJSON whose coordinates are not on the earth (latitudes down to
# -141): geojsonhint's fixture for its issue 82. It is refused under "raise" and loads
# under "fix" with the feature listed as skipped.
OFF_THE_EARTH = {"spec/geojsonhint_good/issue82.geojson"}
# Files in invalid/ that are valid data: loading them cleanly is the right outcome.
HARMLESS = {
    "problematic_excessive_coordinate_precision.geojson": "15 decimals fit a float64",
    "problematic_excessive_vertices.geojson": "many vertices are still a valid polygon",
    "problematic_holes.geojson": "a valid polygon with holes",
    "problematic_multitype_geometry_with_just_one_geometry.geojson": "a one-part "
    "MultiPolygon is valid GeoJSON",
    "excessive_precision_truncated.geojson": "geojsonhint's own .result lists no problem",
}
# Notes that every import may carry; they do not count as noticing a file's problem.
GENERIC = ("generated stable ids", "the layer is empty")
KIND_BY_TYPES = {frozenset({"Polygon"}): "building", frozenset({"MultiPolygon"}): "building",
                 frozenset({"Polygon", "MultiPolygon"}): "building",
                 frozenset({"LineString"}): "road", frozenset({"MultiLineString"}): "road",
                 frozenset({"Point"}): "facility", frozenset({"MultiPoint"}): "facility"}


def _recorded(report) -> list[str]:
    """Every reason the report gives, except the generic notes."""
    items = report.warnings + report.repairs + report.skipped
    return [i["reason"] for i in items if not any(g in i["reason"] for g in GENERIC)]


def _assert_clear(err: TwinError, path: Path) -> None:
    text = str(err)
    assert str(path) in text, text
    assert "\n" not in text, text


# -- valid files -------------------------------------------------------------------------
@pytest.mark.parametrize("rel", VALID)
def test_every_valid_spec_file_loads(rel, monkeypatch):
    # The spec's examples lie near 100°E 0°N, outside Boli's zone: a working CRS that covers
    # the whole earth lets them load, as it would for a user who sets $TWIN_CRS.
    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")
    path = shared("geojson", *rel.split("/"))
    if rel in OFF_THE_EARTH:
        with pytest.raises(ReaderError) as err:
            read_file(path, kind="feature")
        _assert_clear(err.value, path)
        assert "longitude/latitude" in str(err.value)
        result = read_file(path, kind="feature", on_invalid="fix")
        assert len(result.layers[0].data) == 0 and result.report.skipped
        return
    result = read_file(path, kind="feature")
    data = result.layers[0].data
    assert data.crs.to_epsg() == 3857                     # the working CRS
    assert result.report.counts["features_written"] + result.report.counts["skipped"] \
        == result.report.counts["features_read"]
    # the same file as the specific kind its geometry types call for
    kind = KIND_BY_TYPES.get(frozenset(data.geom_type))
    if kind:
        again = read_file(path, kind=kind)
        assert len(again.layers[0].data) == len(data)


def test_null_geometry_and_empty_collection_load(store):
    path = shared("geojson", "spec", "geojsonhint_good", "nullgeometry.geojson")
    with pytest.raises(TwinError, match=r"nullgeometry\.geojson: nothing to import.*skipped"):
        import_file(store, path, kind="feature")           # it would write no feature
    assert store.layers() == []
    versions, report = import_file(store, path, kind="feature", allow_empty=True)
    assert versions == {"feature": 1} and report.skipped[0]["reason"].startswith("null")
    empty = shared("geojson", "spec", "chrieke_valid",
                   "valid_featurecollection_empty_features.geojson")
    with pytest.raises(TwinError, match="the file holds no feature"):
        import_file(store, empty, kind="feature")
    assert store.current_version("feature") == 1
    versions, report = import_file(store, empty, kind="feature", allow_empty=True)
    assert versions == {"feature": 2} and len(store.read("feature")) == 0


# -- invalid files -----------------------------------------------------------------------
@pytest.mark.parametrize("screen", [False, True], ids=["linted", "screened"])
@pytest.mark.parametrize("policy", ["raise", "fix"])
@pytest.mark.parametrize("rel", INVALID)
def test_every_invalid_file_is_an_error_or_a_recorded_repair(rel, policy, screen,
                                                            monkeypatch):
    """A clear one-line TwinError naming the file, or a load that records what is wrong;
    never a traceback, never a silent pass. ``screened`` runs the large-file path, where
    the full lint only runs when GDAL or a byte-count screen finds something odd."""
    path = shared("geojson", *rel.split("/"))
    if screen:
        monkeypatch.setattr(geojson_module, "LINT_ALWAYS_BYTES", 0)
    try:
        result = read_file(path, kind="feature", on_invalid=policy)
    except TwinError as err:
        _assert_clear(err, path)
        return
    except Exception as exc:  # noqa: BLE001 - the point of the test
        pytest.fail(f"{rel}: traceback-worthy {type(exc).__name__}: {exc}")
    if path.name in HARMLESS:
        return
    assert _recorded(result.report), f"{rel} loaded silently under {policy}"


def test_crs_member_file_is_honoured():
    path = shared("geojson", "invalid", "chrieke_geojson_validator", "problematic_structure",
                  "invalid_crs_defined.geojson")
    result = read_file(path, kind="building")
    assert result.report.source_crs == "EPSG:32632"
    bounds = result.layers[0].data.to_crs("EPSG:4326").total_bounds
    assert 13 < bounds[0] < 14 and 52 < bounds[1] < 53  # Berlin, as the file means


# -- geojsonhint's .result files as the oracle -------------------------------------------
# An oracle message (regex) → words our message must contain to be about the same thing.
ORACLE = [
    (r"duplicate members", ["duplicate members"]),
    (r'cannot contain a "(\w+)" member', lambda m: [f"cannot contain a '{m.group(1)}'"]),
    (r'"properties" member required', ['"properties" member required']),
    (r'"geometry" member required', ['"geometry" member required']),
    (r"coordinate array should have been found", ["nested too shallowly"]),
    (r"Parse error", ["not valid JSON"]),
    (r'"type" member should be string', ['"type" member should be a string']),
    (r"right-hand rule", ["right-hand rule"]),
    (r'"properties" member should be object', ['"properties" member should be an object']),
    (r"each element in a position must be a number", ["position must be a number"]),
    (r"Every feature must be an object", ["every feature must be an object"]),
    (r'Feature "id" member must have a string or number', ['"id" member must have a string']),
    (r"bbox must contain 4 elements", ["bbox", "4 elements"]),
    (r"each element in a bbox member must be a number", ["bbox", "must be a number"]),
    (r"bbox member must be an array", ["bbox", "must be an array"]),
    (r"first and last positions in a LinearRing", ["first and last positions"]),
    (r"GeometryCollection must contain only geometry objects", ["only geometry objects"]),
    (r"GeometryCollection with a single geometry", ["GeometryCollection with a single"]),
    (r'"features" member should be an array', ['"features" member should be an array']),
    (r"Expected FeatureCollection but got featurecollection", ["case sensitive"]),
    (r'"features" member required', ['no "features" member']),
    (r"nested geometry collections", ["nested geometry collections"]),
    (r"must have a type=feature member", ["type=Feature member"]),
    (r'"coordinates" member should be an array', ['"coordinates" member', "should be an array"]),
    (r"position should be an array", ["nested too shallowly"]),
    (r'"type" member required', ['no "type" member']),
    (r"position must have 2 or more elements", ["2 or more elements"]),
    (r"position should not have more than 3 elements", ["more than 3 elements"]),
    (r'"coordinates" member required', ['no "coordinates" member']),
    (r"root of a GeoJSON object must be an object", ["root of a GeoJSON object must be"]),
    (r"line needs to have two or more coordinates", ["two or more positions"]),
    (r"needs to have four or more positions", ["four or more positions"]),
    (r"The type (\w+) is unknown", lambda m: [f'"{m.group(1)}" is unknown']),
]


def _oracle_words(message: str) -> list[str]:
    for pattern, words in ORACLE:
        m = re.search(pattern, message)
        if m:
            return words(m) if callable(words) else words
    raise AssertionError(f"no keyword mapping for the oracle message {message!r}")


def _about(words: list[str], text: str) -> bool:
    return all(w.lower() in text.lower() for w in words)


def _oracle_cases() -> list[str]:
    root = GEOJSON / "invalid" / "geojsonhint_bad"
    if not root.exists():
        return []
    return sorted(p.stem for p in root.glob("*.result") if p.with_suffix(".geojson").exists())


@pytest.mark.parametrize("stem", _oracle_cases())
def test_geojsonhint_oracle(stem, monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")  # the cases lie far from Boli
    root = shared("geojson", "invalid", "geojsonhint_bad")
    path = root / f"{stem}.geojson"
    expected = list(dict.fromkeys(e["message"].split("\n")[0]
                                  for e in json.loads((root / f"{stem}.result").read_text())))
    if not expected:  # the oracle sees nothing wrong: nothing about the format is said
        result = read_file(path, kind="feature")
        assert not [r for r in _recorded(result.report) if "format" in r]
        return
    wanted = [_oracle_words(m) for m in expected]
    # under "raise" the one error is about one of the oracle's complaints
    try:
        result = read_file(path, kind="feature")
        texts = _recorded(result.report)
        assert any(_about(w, t) for w in wanted for t in texts), (expected, texts)
    except TwinError as err:
        assert any(_about(w, str(err)) for w in wanted), (expected, str(err))
    # under "warn" every complaint of the oracle is recorded (unless the file is unreadable)
    try:
        result = read_file(path, kind="feature", on_invalid="warn")
    except TwinError as err:
        assert any(_about(w, str(err)) for w in wanted), (expected, str(err))
        return
    texts = _recorded(result.report)
    for message, words in zip(expected, wanted):
        assert any(_about(words, t) for t in texts), (message, texts)


# -- real data ---------------------------------------------------------------------------
def test_hefei_buildings_import_with_heights(store):
    path = shared("geojson", "real", "hefei_hfut_campus", "buildings.geojson")
    versions, report = import_file(store, path, kind="building")
    assert versions == {"building": 1}
    data = store.read("building")
    assert len(data) == 101 and data.crs.to_epsg() == 4549
    assert report.mapping["height"] == "height_m"
    source = json.loads(path.read_text(encoding="utf-8"))
    with_height = sum(1 for f in source["features"]
                      if (f["properties"] or {}).get("height") is not None)
    assert with_height > 0 and data["height_m"].notna().sum() == with_height
    assert data["name"].notna().sum() > 0 and data["id"].is_unique
    assert report.nulls["height_m"] == 101 - with_height


def test_hefei_roads_report_the_empty_road(store):
    path = shared("geojson", "real", "hefei_hfut_campus", "roads.geojson")
    versions, report = import_file(store, path, kind="road")
    data = store.read("road")
    assert versions == {"road": 1} and len(data) == 231
    assert set(data.geom_type) == {"LineString"}
    assert report.counts["skipped"] == 1
    assert "empty geometry" in report.skipped[0]["reason"]
    assert report.mapping["highway"] == "road_class"


def test_hefei_tree_self_intersection_is_repaired(store):
    path = shared("geojson", "real", "hefei_hfut_campus", "tree.geojson")
    with pytest.raises(ReaderError, match="Self-intersection"):
        import_file(store, path, kind="building")
    assert not (store.root / "catalog.json").exists()
    versions, report = import_file(store, path, kind="building", on_invalid="fix")
    data = store.read("building")
    assert data.geometry.is_valid.all()
    assert "Self-intersection" in report.repairs[0]["reason"]
    assert data["geometry_original"].notna().all()


def test_dengzhou_rivers_import_as_river(store, monkeypatch):
    path = shared("geojson", "real", "dengzhou_henan", "rivers.geojson")
    # Dengzhou (112°E) lies outside Boli's zone (CM 120E, 118.5–121.5°E): refused, named
    with pytest.raises(ReaderError, match=r"rivers\.geojson: feature .*outside the working "
                                          r"CRS's area.*TWIN_CRS"):
        import_file(store, path, kind="river")
    assert store.layers() == []
    monkeypatch.setenv("TWIN_CRS", "EPSG:4546")        # CGCS2000 GK CM 111E covers it
    versions, report = import_file(store, path, kind="river")
    data = store.read("river")
    assert versions == {"river": 1} and len(data) == 19
    assert report.mapping.get("name_zh") == "name" and data["name"].notna().all()
    assert data["id"].str.startswith("osm-way-").all()
    assert data.crs.to_epsg() == 4546


def test_wgs84_declared_file_with_mercator_numbers_is_refused(tmp_path):
    """The mislabel the issue names, made from a real layer: Dengzhou's rivers moved to
    EPSG:3857 numbers but still declaring a UTM zone."""
    import geopandas as gpd

    path = shared("geojson", "real", "dengzhou_henan", "rivers.geojson")
    frame = gpd.read_file(path).to_crs("EPSG:3857")
    doc = json.loads(frame.to_json())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}}
    bad = tmp_path / "rivers_3857.geojson"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(GeoreferenceError) as err:
        read_file(bad, kind="river")
    assert "EPSG:3857" in str(err.value) and "area of use" in str(err.value)
    assert len(read_file(bad, kind="river", crs="EPSG:3857").layers[0].data) == 19
