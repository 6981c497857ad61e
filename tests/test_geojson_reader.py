"""The GeoJSON / OGR reader on small files written here: CRS rules, validity policy,
attribute mapping, other OGR formats, and the CLI around an import."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon, box, mapping

import twin.io.geojson as geojson_module
from twin.cli import main
from twin.crs import transform_xy
from twin.errors import GeoreferenceError, ReaderError, SchemaError, TwinError
from twin.importer import import_file, read_file
from twin.io.geojson_lint import lint_geojson
from twin.io.validity import decode

LON, LAT = 119.90, 35.73  # Boli


def square(x, y, d=0.0004):
    """A counterclockwise (RFC 7946) square ring as lists."""
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def feature(coords, props=None, fid=None, gtype="Polygon"):
    out = {"type": "Feature", "properties": props if props is not None else {},
           "geometry": None if coords is None else {"type": gtype, "coordinates": coords}}
    if fid is not None:
        out["id"] = fid
    return out


def write_fc(path: Path, features, **members) -> Path:
    doc = {"type": "FeatureCollection", **members, "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def town(tmp_path, n=4, **members):
    """n valid buildings near Boli with a few attribute spellings."""
    feats = [feature([square(LON + i * 0.001, LAT)],
                     {"名称": f"楼{i}", "HEIGHT": f"{10 + i} m", "层数": 3 + i, "building": "house"},
                     fid=f"b{i}") for i in range(n)]
    return write_fc(tmp_path / "town.geojson", feats, **members)


def store_hash(root: Path) -> str:
    """sha256 over every file (path and bytes) in a store folder."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# -- CRS ---------------------------------------------------------------------------------
def test_rfc7946_default_is_wgs84_and_layer_lands_in_working_crs(tmp_path):
    result = read_file(town(tmp_path), kind="building")
    layer = result.layers[0]
    assert layer.name == "building" and layer.kind == "building"
    assert layer.data.crs.to_epsg() == 4549
    assert result.report.source_crs == "EPSG:4326"
    assert "RFC 7946" in result.report.extra["crs_rule"]
    x, y = transform_xy([LON], [LAT], "EPSG:4326", "EPSG:4549")
    minx, miny, _, _ = layer.data.total_bounds
    assert abs(minx - x[0]) < 1 and abs(miny - y[0]) < 1


def test_legacy_crs_member_is_honoured(tmp_path):
    x, y = transform_xy([LON], [LAT], "EPSG:4326", "EPSG:4549")
    ring = [[x[0], y[0]], [x[0] + 30, y[0]], [x[0] + 30, y[0] + 20], [x[0], y[0] + 20],
            [x[0], y[0]]]
    path = write_fc(tmp_path / "gk.geojson", [feature([ring], fid="a")],
                    crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}})
    result = read_file(path, kind="building")
    assert result.report.source_crs == "EPSG:4549"
    assert any("legacy GeoJSON crs member" in w["reason"] for w in result.report.warnings)
    assert abs(result.layers[0].data.total_bounds[0] - x[0]) < 1e-6


def _mercator_file(tmp_path, declared="EPSG:32649"):
    """A real-world mistake: EPSG:3857 coordinates under a crs member saying EPSG:32649."""
    xs, ys = transform_xy([LON, LON + 0.001], [LAT, LAT + 0.001], "EPSG:4326", "EPSG:3857")
    ring = [[xs[0], ys[0]], [xs[1], ys[0]], [xs[1], ys[1]], [xs[0], ys[1]], [xs[0], ys[0]]]
    crs = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{declared[5:]}"}}
    return write_fc(tmp_path / "mislabelled.geojson", [feature([ring], fid="m")], crs=crs)


def test_declared_crs_far_outside_its_area_of_use_names_the_likely_crs(tmp_path):
    path = _mercator_file(tmp_path)
    with pytest.raises(GeoreferenceError) as err:
        read_file(path, kind="building")
    text = str(err.value)
    assert "area of use" in text and "EPSG:32649" in text
    assert "EPSG:3857" in text and "--crs" in text
    assert str(path) in text and "\n" not in text


def test_explicit_crs_overrides_the_file(tmp_path):
    result = read_file(_mercator_file(tmp_path), kind="building", crs="EPSG:3857")
    assert result.report.source_crs == "EPSG:3857"
    assert any("overrides" in w["reason"] for w in result.report.warnings)
    x, y = transform_xy([LON], [LAT], "EPSG:4326", "EPSG:4549")
    minx, miny, _, _ = result.layers[0].data.total_bounds
    assert abs(minx - x[0]) < 5 and abs(miny - y[0]) < 5


def test_projected_coordinates_without_crs_member_suggest_crs(tmp_path):
    x, y = transform_xy([LON], [LAT], "EPSG:4326", "EPSG:3857")
    ring = [[x[0], y[0]], [x[0] + 50, y[0]], [x[0] + 50, y[0] + 50], [x[0], y[0]]]
    path = write_fc(tmp_path / "nocrs.geojson", [feature([ring], fid="p")])
    with pytest.raises(GeoreferenceError) as err:
        read_file(path, kind="building")
    assert "--crs" in str(err.value) and "longitude/latitude" in str(err.value)


# -- validity policy ---------------------------------------------------------------------
def unclosed_file(tmp_path):
    ring = square(LON, LAT)[:-1]  # first != last
    feats = [feature([square(LON + 0.01, LAT)], fid="ok"), feature([ring], fid="open")]
    return write_fc(tmp_path / "unclosed.geojson", feats)


def test_unclosed_ring_is_found_in_raw_coordinates(tmp_path):
    with pytest.raises(ReaderError) as err:
        read_file(unclosed_file(tmp_path), kind="building")
    text = str(err.value)
    assert "feature 1" in text and "not closed" in text and "--on-invalid fix" in text
    # the vectorized check on GDAL's WKB sees the same thing without the text lint
    result = read_file(unclosed_file(tmp_path), kind="building", on_invalid="fix", lint="never")
    repairs = result.report.repairs
    assert [r["feature"] for r in repairs] == ["open"]
    assert "not closed" in repairs[0]["reason"]
    assert result.layers[0].data.geometry.is_valid.all()


def test_decode_flags_unclosed_wkb_rings():
    open_ring = shapely.to_wkb(Polygon(square(0, 0)))
    # hand-made WKB polygon with 4 points whose last differs from the first
    import struct

    pts = square(0, 0, 1)[:4]
    raw = struct.pack("<bIII", 1, 3, 1, 4) + b"".join(struct.pack("<dd", *p) for p in pts)
    decoded = decode(np.array([open_ring, raw, None], dtype=object))
    assert decoded.unclosed.tolist() == [False, True, False]
    assert decoded.geoms[1].is_valid and decoded.geoms[2] is None


def bowtie_file(tmp_path):
    bowtie = [[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001],
              [LON, LAT]]
    feats = [feature([square(LON + 0.01, LAT)], fid="ok"), feature([bowtie], fid="bow")]
    return write_fc(tmp_path / "bowtie.geojson", feats)


def test_self_intersection_policies(tmp_path):
    path = bowtie_file(tmp_path)
    with pytest.raises(ReaderError) as err:
        read_file(path, kind="building")
    assert "feature 1 (id 'bow')" in str(err.value) and "Self-intersection" in str(err.value)

    warned = read_file(path, kind="building", on_invalid="warn")
    data = warned.layers[0].data
    assert not data.geometry.is_valid.all()  # kept as it was
    assert any(w["feature"] == "bow" and "Self-intersection" in w["reason"]
               for w in warned.report.warnings)

    fixed = read_file(path, kind="building", on_invalid="fix")
    data = fixed.layers[0].data
    assert data.geometry.is_valid.all()
    assert set(data.geom_type) <= {"Polygon", "MultiPolygon"}
    row = data.set_index("id").loc["bow"]
    original = shapely.from_wkb(row["geometry_original"], on_invalid="ignore")
    assert original is not None and not original.is_valid  # the geometry as read is kept
    assert data.set_index("id").loc["ok", "geometry_original"] is None
    assert fixed.report.repairs[0]["feature"] == "bow"
    assert fixed.report.counts["repaired"] == 1


def test_null_and_empty_geometries_are_skipped_and_listed(tmp_path):
    feats = [feature([square(LON, LAT)], fid="a"), feature(None, fid="nothing"),
             feature([], fid="hollow", gtype="LineString")]
    path = write_fc(tmp_path / "holes.geojson", feats)
    for policy in ("raise", "warn", "fix"):
        result = read_file(path, kind="feature", on_invalid=policy)
        assert list(result.layers[0].data["id"]) == ["a"]
        assert [s["feature"] for s in result.report.skipped] == ["nothing", "hollow"]
        assert result.report.counts == {**result.report.counts, "features_read": 3,
                                        "features_written": 1, "skipped": 2}


def test_out_of_range_feature_is_an_error_or_skipped(tmp_path):
    feats = [feature([square(LON, LAT)], fid="a"), feature([square(LON, 95.0)], fid="north")]
    path = write_fc(tmp_path / "range.geojson", feats)
    with pytest.raises(ReaderError, match="outside longitude/latitude range"):
        read_file(path, kind="building")
    result = read_file(path, kind="building", on_invalid="fix")
    assert [s["feature"] for s in result.report.skipped] == ["north"]


def test_duplicate_ids(tmp_path):
    feats = [feature([square(LON + i * 0.001, LAT)], fid="same") for i in range(3)]
    path = write_fc(tmp_path / "dups.geojson", feats)
    with pytest.raises(ReaderError, match="duplicate id 'same'"):
        read_file(path, kind="building")
    result = read_file(path, kind="building", on_invalid="fix")
    assert list(result.layers[0].data["id"]) == ["same", "same~2", "same~3"]
    assert len(result.report.repairs) == 2


def test_wrong_winding_is_accepted_and_noted(tmp_path):
    clockwise = list(reversed(square(LON, LAT)))
    path = write_fc(tmp_path / "cw.geojson", [feature([clockwise], fid="cw"),
                                              feature([square(LON + 0.01, LAT)], fid="ccw")])
    result = read_file(path, kind="building")
    notes = [w for w in result.report.warnings if w.get("check") == "winding"]
    assert [w["feature"] for w in notes] == ["cw"]


def test_geometry_type_not_of_the_kind(tmp_path):
    feats = [feature([square(LON, LAT)], fid="poly"),
             feature([LON, LAT], fid="pt", gtype="Point"),
             {"type": "Feature", "id": "gc", "properties": {}, "geometry": {
                 "type": "GeometryCollection", "geometries": [
                     mapping(box(LON + 0.01, LAT, LON + 0.011, LAT + 0.001)),
                     mapping(Point(LON, LAT))]}}]
    path = write_fc(tmp_path / "mixed.geojson", feats)
    with pytest.raises(SchemaError, match="does not fit a building layer"):
        read_file(path, kind="building")
    warned = read_file(path, kind="building", on_invalid="warn")
    assert sorted(s["feature"] for s in warned.report.skipped) == ["gc", "pt"]
    fixed = read_file(path, kind="building", on_invalid="fix")
    assert list(fixed.layers[0].data["id"]) == ["poly", "gc"]
    assert [s["feature"] for s in fixed.report.skipped] == ["pt"]
    assert "GeometryCollection reduced" in fixed.report.repairs[0]["reason"]


def test_structural_problem_in_a_large_file_is_still_caught(tmp_path, monkeypatch):
    """Above LINT_ALWAYS_BYTES the byte-count screen decides; a Feature that carries a
    'coordinates' member (GDAL reads it silently) must still be reported."""
    monkeypatch.setattr(geojson_module, "LINT_ALWAYS_BYTES", 0)
    feats = [feature([square(LON + i * 0.001, LAT)], fid=f"f{i}") for i in range(3)]
    feats[1]["coordinates"] = [0, 0]
    path = write_fc(tmp_path / "semantics.geojson", feats)
    with pytest.raises(ReaderError, match="cannot contain a 'coordinates' member"):
        read_file(path, kind="building")
    clean = read_file(town(tmp_path), kind="building")
    assert "lint_reason" not in clean.report.extra  # a clean file is not parsed twice


def test_lint_messages():
    problems = lint_geojson(b'{"type": "Feature", "properties": [], "geometry": '
                            b'{"type": "Point", "coordinates": ["a", 1]}}').problems
    text = " | ".join(p.message for p in problems)
    assert "properties" in text and "must be a number" in text
    assert lint_geojson(b"[1, 2]").fatal
    assert lint_geojson(b'{"type": "featurecollection", "features": []}').fatal


def test_gdal_refusal_under_fix_loads_the_rest(tmp_path):
    feats = [feature([square(LON, LAT)], fid="good"),
             feature([[LON]], fid="bad", gtype="LineString")]
    path = write_fc(tmp_path / "partial.geojson", feats)
    with pytest.raises(ReaderError, match="feature 1"):
        read_file(path, kind="feature")
    result = read_file(path, kind="feature", on_invalid="fix")
    assert list(result.layers[0].data["id"]) == ["good"]
    assert any(w["feature"] == "bad" for w in result.report.warnings)


# -- attributes --------------------------------------------------------------------------
def test_attribute_aliases_units_and_nulls(tmp_path):
    result = read_file(town(tmp_path), kind="building")
    data = result.layers[0].data
    assert result.report.mapping == {"名称": "name", "building": "use", "HEIGHT": "height_m",
                                     "层数": "floors"}
    assert list(data["height_m"]) == [10.0, 11.0, 12.0, 13.0]
    assert list(data["floors"]) == [3, 4, 5, 6]
    assert list(data["name"]) == ["楼0", "楼1", "楼2", "楼3"]
    assert result.report.nulls == {"base_elev_m": 4, "gfa_m2": 4, "source": 4, "ifc_guid": 4}
    assert data["gfa_m2"].isna().all()


def test_explicit_mapping_overrides(tmp_path):
    feats = [feature([square(LON, LAT)], {"height": 5, "eave": 7, "label": "x"}, fid="a")]
    path = write_fc(tmp_path / "m.geojson", feats)
    result = read_file(path, kind="building", mapping={"EAVE": "height_m", "label": "name"})
    data = result.layers[0].data
    assert data.loc[0, "height_m"] == 7 and data.loc[0, "name"] == "x"
    assert "height" in data.columns  # the unused source attribute is kept
    with pytest.raises(SchemaError, match="no attribute 'nope'"):
        read_file(path, kind="building", mapping={"nope": "name"})


def test_generated_ids_and_floors_without_height(tmp_path):
    feats = [feature([square(LON + i * 0.001, LAT)], {"building:levels": 4}) for i in range(2)]
    feats[0]["properties"]["height"] = "12 m"
    path = write_fc(tmp_path / "noid.geojson", feats)
    result = read_file(path, kind="building", layer="blocks")
    data = result.layers[0].data
    assert list(data["id"]) == ["blocks-1", "blocks-2"]
    assert data.loc[0, "height_m"] == 12.0 and np.isnan(data.loc[1, "height_m"])
    reasons = " ".join(w["reason"] for w in result.report.warnings)
    assert "generated stable ids" in reasons and "height_m left null" in reasons
    assert result.report.nulls["height_m"] == 1


def test_numeric_feature_ids_survive(tmp_path):
    feats = [feature([square(LON + i * 0.001, LAT)], fid=10 + i) for i in range(2)]
    result = read_file(write_fc(tmp_path / "num.geojson", feats), kind="building")
    assert list(result.layers[0].data["id"]) == ["10", "11"]


def test_reserved_attribute_names_are_renamed(tmp_path):
    feats = [feature([square(LON, LAT)], {"geometry": "x", "": 1}, fid="a")]
    result = read_file(write_fc(tmp_path / "odd.geojson", feats), kind="building")
    assert "geometry_attr" in result.layers[0].data.columns


def test_kind_is_required_and_checked(tmp_path):
    with pytest.raises(SchemaError, match="--kind") as err:
        read_file(town(tmp_path))
    assert "building" in str(err.value) and "terrain" not in str(err.value)
    with pytest.raises(SchemaError, match="not a vector layer"):
        read_file(town(tmp_path), kind="terrain")
    with pytest.raises(ReaderError, match="policy"):
        read_file(town(tmp_path), kind="building", on_invalid="ignore")


def test_empty_collection_is_refused_unless_asked(tmp_path, store):
    path = write_fc(tmp_path / "empty.geojson", [])
    with pytest.raises(ReaderError, match=r"empty\.geojson: nothing to import into road.*"
                                          r"--allow-empty"):
        import_file(store, path, kind="road")
    assert store.layers() == []
    versions, report = import_file(store, path, kind="road", allow_empty=True)
    assert versions == {"road": 1}
    assert len(store.read("road")) == 0
    assert any("empty" in w["reason"] for w in report.warnings)


# -- other OGR formats -------------------------------------------------------------------
def _frame():
    return gpd.GeoDataFrame({"ID": ["r1", "r2"], "ROAD_NAME": ["港口路", "泊里大街"],
                             "highway": ["primary", "secondary"], "WIDTH": [24.0, 18.0]},
                            geometry=[shapely.LineString([(LON, LAT), (LON + 0.01, LAT)]),
                                      shapely.LineString([(LON, LAT), (LON, LAT + 0.01)])],
                            crs="EPSG:4326")


@pytest.mark.parametrize("suffix,driver", [(".gpkg", "GPKG"), (".shp", "ESRI Shapefile"),
                                           (".fgb", "FlatGeobuf")])
def test_other_ogr_formats(tmp_path, suffix, driver):
    path = tmp_path / f"roads{suffix}"
    _frame().to_file(path, driver=driver)
    result = read_file(path, kind="road", mapping={"ROAD_NAME": "name"})
    data = result.layers[0].data.sort_values("id")  # FlatGeobuf orders by its index
    assert list(data["id"]) == ["r1", "r2"]
    assert list(data["width_m"]) == [24.0, 18.0]
    assert list(data["name"]) == ["港口路", "泊里大街"]
    assert data.crs.to_epsg() == 4549 and result.report.source_crs == "EPSG:4326"


def test_shapefile_without_prj(tmp_path):
    path = tmp_path / "roads.shp"
    _frame().to_file(path)
    path.with_suffix(".prj").unlink()
    result = read_file(path, kind="road")
    assert any("WGS84 (EPSG:4326) was assumed" in w["reason"] for w in result.report.warnings)
    projected = _frame().to_crs("EPSG:4549")
    projected.to_file(tmp_path / "gk.shp")
    (tmp_path / "gk.prj").unlink()
    with pytest.raises(GeoreferenceError, match="no CRS"):
        read_file(tmp_path / "gk.shp", kind="road")
    assert len(read_file(tmp_path / "gk.shp", kind="road", crs="EPSG:4549").layers[0].data) == 2


# -- CLI ---------------------------------------------------------------------------------
def test_cli_import_layers_versions_rollback_export_info(tmp_path, capsys):
    root = tmp_path / "layers"
    path = town(tmp_path)
    assert main(["--store", str(root), "import", str(path), "--kind", "building",
                 "--map", "HEIGHT=height_m"]) == 0
    out = capsys.readouterr().out
    assert "layer building version 1" in out
    assert main(["--store", str(root), "import", str(bowtie_file(tmp_path)), "--kind",
                 "building", "--on-invalid", "fix", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["versions"] == {"building": 2}
    assert payload["report"]["repairs"][0]["feature"] == "bow"

    assert main(["--store", str(root), "layers", "--json"]) == 0
    layers = json.loads(capsys.readouterr().out)
    assert [(x["name"], x["kind"], x["current"], x["rows"]) for x in layers] == \
        [("building", "building", 2, 2)]
    assert main(["--store", str(root), "versions", "building", "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert versions["current"] == 2 and len(versions["versions"]) == 2
    assert versions["versions"][0]["report"]["mapping"]["HEIGHT"] == "height_m"

    assert main(["--store", str(root), "rollback", "building", "1"]) == 0
    capsys.readouterr()
    assert main(["--store", str(root), "export", "building", str(tmp_path / "b.gpkg")]) == 0
    assert main(["--store", str(root), "export", "building", str(tmp_path / "b.geojson")]) == 0
    capsys.readouterr()
    gpkg = gpd.read_file(tmp_path / "b.gpkg")
    assert len(gpkg) == 4  # version 1 is current again
    exported = json.loads((tmp_path / "b.geojson").read_text(encoding="utf-8"))
    assert len(exported["features"]) == 4
    lon, lat = exported["features"][0]["geometry"]["coordinates"][0][0][:2]
    assert abs(lon - LON) < 0.01 and abs(lat - LAT) < 0.01  # RFC 7946: WGS84 lon/lat

    assert main(["info", str(path), "--kind", "building", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["layers"] == [{"layer": "building", "kind": "building", "rows": 4}]
    assert info["report"]["source_crs"] == "EPSG:4326"
    # info answers as import would: the same invalid file fails both, unless told to warn
    bow = str(bowtie_file(tmp_path))
    capsys.readouterr()
    assert main(["info", bow, "--kind", "parcel"]) == 1
    assert "Self-intersection" in capsys.readouterr().err
    assert main(["info", bow, "--kind", "parcel", "--on-invalid", "warn", "--json"]) == 0


def test_cli_invalid_file_leaves_store_unchanged(tmp_path, capsys):
    root = tmp_path / "layers"
    assert main(["--store", str(root), "import", str(town(tmp_path)), "--kind",
                 "building"]) == 0
    capsys.readouterr()
    before = store_hash(root)
    for bad in (bowtie_file(tmp_path), _mercator_file(tmp_path)):
        assert main(["--store", str(root), "import", str(bad), "--kind", "building"]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and str(bad) in err
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert store_hash(root) == before


def test_import_error_is_a_twin_error_with_one_line(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(TwinError) as err:
        read_file(path, kind="road")
    assert "not valid JSON" in str(err.value) and "\n" not in str(err.value)


def test_nan_coordinates_found_without_the_text_lint(tmp_path):
    ring = square(LON, LAT)
    ring[2] = [float("nan"), LAT]
    feats = [feature([square(LON + 0.01, LAT)], fid="ok"), feature([ring], fid="nan")]
    path = write_fc(tmp_path / "nan.geojson", feats)  # json.dumps writes NaN
    with pytest.raises(ReaderError, match="NaN or infinite"):
        read_file(path, kind="building", lint="never")
    result = read_file(path, kind="building", on_invalid="warn", lint="never")
    assert [s["feature"] for s in result.report.skipped] == ["nan"]
    with pytest.raises(ReaderError, match="non-finite"):
        read_file(path, kind="building")  # the lint says it first, in the text's words


def test_progress_is_reported(tmp_path):
    calls = []
    read_file(town(tmp_path), kind="building", progress=lambda *a: calls.append(a))
    assert calls[0][0] == 0 and calls[-1][:2] == (5, 5)


def test_partial_read_keeps_the_crs_member(tmp_path):
    x, y = transform_xy([LON], [LAT], "EPSG:4326", "EPSG:4549")
    ring = [[x[0], y[0]], [x[0] + 30, y[0]], [x[0] + 30, y[0] + 20], [x[0], y[0]]]
    feats = [feature([ring], fid="good"), feature([[1.0]], fid="bad", gtype="LineString")]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}
    path = write_fc(tmp_path / "partial_gk.geojson", feats, crs=crs)
    result = read_file(path, kind="feature", on_invalid="fix")
    assert result.report.source_crs == "EPSG:4549"
    assert abs(result.layers[0].data.total_bounds[0] - x[0]) < 1e-6


def test_geopackage_with_several_layers(tmp_path):
    path = tmp_path / "two.gpkg"
    _frame().to_file(path, layer="roads", driver="GPKG")
    points = gpd.GeoDataFrame({"name": ["学校"]}, geometry=[Point(LON, LAT)], crs="EPSG:4326")
    points.to_file(path, layer="schools", driver="GPKG")
    first = read_file(path, kind="road")
    assert any("2 layers" in w["reason"] for w in first.report.warnings)
    schools = read_file(path, kind="facility", source_layer="schools")
    assert list(schools.layers[0].data["name"]) == ["学校"]
    with pytest.raises(ReaderError, match="no layer 'parks'"):
        read_file(path, kind="facility", source_layer="parks")


def test_gauss_kruger_numbers_without_crs_suggest_the_working_crs(tmp_path):
    x, y = transform_xy([LON], [LAT], "EPSG:4326", "EPSG:4549")
    ring = [[x[0], y[0]], [x[0] + 30, y[0]], [x[0] + 30, y[0] + 20], [x[0], y[0]]]
    path = write_fc(tmp_path / "gk_nocrs.geojson", [feature([ring], fid="g")])
    with pytest.raises(GeoreferenceError) as err:
        read_file(path, kind="building")
    assert "Hint: pass the file's real CRS with --crs EPSG:4549 " in str(err.value)


def test_can_read_leaves_cityjson_to_its_reader(tmp_path):
    from twin.io.geojson import GeoJSONReader

    city = tmp_path / "city.json"
    city.write_text('{"type": "CityJSON", "version": "2.0", "CityObjects": {}}')
    reader = GeoJSONReader()
    assert not reader.can_read(city)
    assert reader.can_read(town(tmp_path)) and not reader.can_read(tmp_path / "x.csv")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_exported_collection_is_named_after_the_layer(tmp_path, store, suffix):
    import pyogrio

    path = write_fc(tmp_path / "roads.geojson", [
        {"type": "Feature", "properties": {"id": "r1"},
         "geometry": {"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.01, LAT]]}}])
    import_file(store, path, kind="road")
    out = store.export("road", tmp_path / f"out{suffix}")
    names = [name for name, _ in pyogrio.list_layers(out)]
    assert names == ["road"]
    if suffix == ".geojson":
        assert json.loads(out.read_text(encoding="utf-8"))["name"] == "road"
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.iterdir())
