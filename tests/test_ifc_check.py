"""``twin ifc check``: the model check on import (入库检查) on models written with
ifcopenshell.api, with planted defects, and an IDS through ifctester."""

from __future__ import annotations

import json
import zipfile

import ifcopenshell
import ifcopenshell.api.pset
import ifcopenshell.api.spatial
import ifcopenshell.util.element as ue
import pytest
from ifc_factory import make_test_building

from twin.cli import main
from twin.importer import import_file, read_file
from twin.store import ParquetStore

MAP = {"crs": "EPSG:4549", "eastings": 490_000.0, "northings": 3_955_000.0, "scale": None}


def _planted(tmp_path, *, duplicate: bool = True):
    """A model with exactly three defects: a duplicate GlobalId, an element outside any
    storey, and an IfcProjectedCRS without an EPSG code."""
    info = make_test_building(tmp_path / "planted.ifc", map_conversion=MAP, true_north_deg=0.0)
    model = ifcopenshell.open(info["path"])
    walls = model.by_type("IfcWall")
    if duplicate:
        walls[1].GlobalId = walls[0].GlobalId
    loose = next(el for el in model.by_type("IfcSlab"))
    ifcopenshell.api.spatial.unassign_container(model, products=[loose])
    crs = model.by_type("IfcProjectedCRS")[0]
    crs.Name = "CGCS2000 3-degree Gauss-Kruger CM 120E"
    crs.VerticalDatum = "1985 national height datum"
    path = tmp_path / "planted.ifc"
    model.write(str(path))
    return path, walls[0].GlobalId, loose.GlobalId


def test_check_reports_exactly_the_three_planted_defects(tmp_path, capsys):
    path, dup, loose = _planted(tmp_path)
    assert main(["ifc", "check", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    failed = {r["code"]: r for r in report["rules"] if r["status"] == "fail"}
    assert sorted(failed) == ["GRF-EPSG", "GUID-UNIQUE", "SPATIAL"]
    assert failed["GUID-UNIQUE"]["failing"] == [dup]
    assert failed["SPATIAL"]["failing"] == [loose]
    assert "not an EPSG code" in failed["GRF-EPSG"]["message"]
    assert [s for s in report["ids"] if s["status"] == "fail"] == []  # the Boli IDS passes
    assert report["failures"] == 3 and report["passed"] is False
    # the text form names the same three and ends with the verdict
    assert main(["ifc", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "✗ GUID-UNIQUE" in out and "✗ SPATIAL" in out and "✗ GRF-EPSG" in out
    assert "3 failure(s)" in out


def test_a_clean_model_passes_with_exit_zero(tmp_path, capsys):
    info = make_test_building(tmp_path / "ok.ifc", map_conversion=MAP, true_north_deg=0.0)
    assert main(["ifc", "check", info["path"]]) == 0
    assert "check passed" in capsys.readouterr().out


def test_ids_lists_the_walls_without_is_external(tmp_path, capsys):
    info = make_test_building(tmp_path / "w.ifc", map_conversion=MAP)
    model = ifcopenshell.open(info["path"])
    walls = model.by_type("IfcWall")
    stripped = sorted(w.GlobalId for w in walls[:3])
    for wall in walls[:3]:
        pset = ue.get_pset(wall, "Pset_WallCommon")
        ifcopenshell.api.pset.edit_pset(model, pset=model.by_id(pset["id"]),
                                        properties={"IsExternal": None})
    model.write(info["path"])
    ids = tmp_path / "walls.ids"
    from ifctester import ids as ids_mod

    spec_doc = ids_mod.Ids(title="walls")
    spec = ids_mod.Specification(name="walls are external or not",
                                 ifcVersion=["IFC2X3", "IFC4", "IFC4X3_ADD2"])
    spec.applicability.append(ids_mod.Entity(name="IFCWALL"))
    spec.requirements.append(ids_mod.Property(propertySet="Pset_WallCommon",
                                              baseName="IsExternal"))
    spec_doc.specifications.append(spec)
    spec_doc.to_xml(str(ids))
    bcf = tmp_path / "out.bcf"
    assert main(["ifc", "check", info["path"], "--ids", str(ids), "--json", "--bcf",
                 str(bcf)]) == 1
    report = json.loads(capsys.readouterr().out)
    (result,) = report["ids"]
    assert result["status"] == "fail" and result["failing"] == stripped
    assert result["applicable"] == len(walls) and result["failed"] == 3
    with zipfile.ZipFile(bcf) as zf:  # a BCF is a zip of markup files, one per topic
        assert sum(n.endswith("markup.bcf") for n in zf.namelist()) == 3


def test_check_on_import_is_stored_and_strict_refuses(tmp_path, capsys):
    path, _, _ = _planted(tmp_path)
    store_dir = tmp_path / "store"
    assert main(["--store", str(store_dir), "import", str(path), "--anchor", "119.9,35.73,0,0",
                 "--check-on-import", "strict"]) == 1
    err = capsys.readouterr().err
    assert "model check" in err and "3 failure" in err and "GUID-UNIQUE" in err
    assert not (store_dir / "catalog.json").exists()
    # a model twin can hold (distinct GlobalIds) goes in with its check stored
    path, _, _ = _planted(tmp_path, duplicate=False)
    store = ParquetStore(store_dir)
    versions, report = import_file(store, path, anchor="119.9,35.73,0,0",
                                   check_on_import="report")
    stored = store.versions("bim_element")[-1].report["extra"]["model_check"]
    assert stored["failures"] == 2
    assert {r["code"] for r in stored["rules"] if r["status"] == "fail"} == {"GRF-EPSG",
                                                                             "SPATIAL"}
    assert any("SPATIAL failed" in w["reason"] for w in report.warnings)


def test_check_on_import_off_by_default(tmp_path):
    info = make_test_building(tmp_path / "ok.ifc", map_conversion=MAP)
    assert "model_check" not in read_file(info["path"]).report.extra


@pytest.mark.parametrize("bad", ["missing.ids", "notxml.ids"])
def test_bad_ids_file_is_one_line(tmp_path, capsys, bad):
    info = make_test_building(tmp_path / "ok.ifc", map_conversion=MAP)
    ids = tmp_path / bad
    if bad == "notxml.ids":
        ids.write_text("this is not xml")
    assert main(["ifc", "check", info["path"], "--ids", str(ids)]) == 1
    err = capsys.readouterr().err
    assert bad in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
