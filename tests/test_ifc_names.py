"""Names and texts: ``\\X2\\`` (Chinese), ``\\S\\`` and ``\\X\\`` (Latin-1) decode in ``twin ifc
info`` and element names keep their characters in the layers and in an export."""

from __future__ import annotations

import json

import ifcopenshell
import ifcopenshell.api.attribute
from ifc_factory import make_test_building

from twin.cli import main
from twin.store import ParquetStore

MAP = {"crs": "EPSG:4549", "eastings": 490_000.0, "northings": 3_955_000.0}


def _named(tmp_path):
    info = make_test_building(tmp_path / "n.ifc", map_conversion=MAP, name="泊里镇 教学楼")
    model = ifcopenshell.open(info["path"])
    api = ifcopenshell.api.attribute
    api.edit_attributes(model, product=model.by_type("IfcProject")[0],
                        attributes={"Name": "泊里镇控规 2026"})
    api.edit_attributes(model, product=model.by_type("IfcBuildingStorey")[0],
                        attributes={"Name": "一层"})
    wall = model.by_guid(info["corner_guid"])
    api.edit_attributes(model, product=wall, attributes={"Name": "外墙 A（南）"})
    model.write(info["path"])
    text = open(info["path"], encoding="ascii").read()
    assert "\\X2\\" in text  # ifcopenshell wrote the Chinese as \X2\ escapes
    # a Latin-1 site name, as older exporters write it: \S\| is ü, \X\DF is ß
    text = text.replace("'Site'", "'M\\S\\|ller Stra\\X\\DFe'")
    open(info["path"], "w", encoding="ascii").write(text)
    return info


def test_info_prints_decoded_names(tmp_path, capsys):
    info = _named(tmp_path)
    assert main(["ifc", "info", info["path"]]) == 0
    out = capsys.readouterr().out
    assert "泊里镇控规 2026" in out and "泊里镇 教学楼" in out and "一层" in out
    assert "Müller Straße" in out
    assert main(["ifc", "info", info["path"], "--json"]) == 0
    names = json.loads(capsys.readouterr().out)["names"]
    assert names["site"] == ["Müller Straße"] and names["storey"][0] == "一层"


def test_element_names_keep_their_characters_in_layers_and_export(tmp_path, capsys):
    info = _named(tmp_path)
    store_dir = tmp_path / "store"
    assert main(["--store", str(store_dir), "import", info["path"]]) == 0
    store = ParquetStore(store_dir)
    elements = store.read("bim_element").set_index("guid")
    assert elements.loc[info["corner_guid"], "name"] == "外墙 A（南）"
    assert elements.loc[info["corner_guid"], "storey"] == "一层"
    assert store.read("ifc_building")["name"].tolist() == ["泊里镇 教学楼"]
    out = tmp_path / "elements.geojson"
    assert main(["--store", str(store_dir), "export", "bim_element", str(out)]) == 0
    names = {f["properties"]["name"] for f in json.loads(out.read_text("utf-8"))["features"]}
    assert "外墙 A（南）" in names
