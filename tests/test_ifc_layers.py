"""IFC output layers in the store: bim_element meshes and attributes, LOD1 buildings,
storeys, merging several buildings, and the `twin import` / `twin ifc` commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ifc_factory import make_test_building

from twin.cli import main
from twin.errors import GeoreferenceError
from twin.ifc.write_georef import write_georef
from twin.importer import import_file, read_file
from twin.kinds import validate

E0, N0 = 490_000.0, 3_955_000.0


def _map(dx=0.0, dy=0.0):
    return {"crs": "EPSG:4549", "eastings": E0 + dx, "northings": N0 + dy,
            "orthogonal_height": 4.0}


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layers")
    a = make_test_building(folder / "a.ifc", unit="mm", name="A", storeys=3,
                           map_conversion={**_map(), "scale": 0.001})
    b = make_test_building(folder / "b.ifc", name="B", with_space=False,
                           map_conversion=_map(200.0, 0.0))
    return a, b


def test_layers_keep_their_kinds_and_contents(two_models, store):
    a, _ = two_models
    versions, report = import_file(store, a["path"], building_id="A")
    assert versions == {"bim_element": 1, "ifc_building": 1, "ifc_storey": 1}
    elements = store.read("bim_element")
    validate(elements, "bim_element")
    assert len(elements) == a["element_count"] - 3  # IfcSpace rows are not elements
    assert set(elements["building_id"]) == {"A"}
    wall = elements.set_index("guid").loc[a["corner_guid"]]
    assert wall["ifc_class"] == "IfcWall" and wall["storey"] == "F1"
    assert wall["elev_m"] == pytest.approx(4.0)
    assert list(wall["color"]) == [204, 51, 26, 255]
    psets = json.loads(wall["psets"])
    assert psets["Pset_WallCommon"]["FireRating"] == "REI60"
    assert psets["Qto_WallBaseQuantities"]["Length"] == pytest.approx(20_000.0)
    verts = np.frombuffer(wall["mesh_vertices"], dtype=np.float32).reshape(-1, 3)
    faces = np.frombuffer(wall["mesh_faces"], dtype=np.uint32).reshape(-1, 3)
    assert len(verts) >= 8 and faces.max() < len(verts)
    assert np.abs(verts).max() < 100  # metres relative to the stated origin
    assert wall.geometry.area == pytest.approx(20 * 0.2, rel=1e-6)
    # the element without geometry keeps its attributes
    empty = elements.set_index("guid").loc[a["empty_guid"]]
    assert empty["geometry"] is None and empty["mesh_vertices"] is None
    assert empty["name"] == "element without geometry"
    assert "1 elements have no 3D geometry" in " ".join(w["reason"] for w in report.warnings)
    # LOD1
    building = store.read("ifc_building")
    validate(building, "building")
    row = building.iloc[0]
    assert row["id"] == "A" and row["ifc_guid"] == a["building_guid"]
    assert row["source"] == "ifc" and row["floors"] == 3
    assert row["height_m"] == pytest.approx(9.0, abs=1e-3)
    assert row["base_elev_m"] == pytest.approx(4.0, abs=1e-3)
    assert row["gfa_m2"] == pytest.approx(a["gfa_m2"]) and row["gfa_method"] == "ifcspace"
    assert row.geometry.area == pytest.approx(200.0, rel=1e-3)
    storeys = store.read("ifc_storey")
    validate(storeys, "storey")
    assert sorted(storeys["elev_m"]) == pytest.approx([4.0, 7.0, 10.0])
    # the report
    assert report.counts["IfcWall"] == 12
    assert report.extra["georeferencing"]["source"] == "IfcMapConversion"
    assert {"open_s", "geometry_s", "attributes_s", "commit_s"} <= set(report.timings)


def test_second_building_is_added_and_reimport_replaces_it(two_models, store):
    a, b = two_models
    import_file(store, a["path"], building_id="A")
    import_file(store, b["path"], building_id="B")
    buildings = store.read("ifc_building").set_index("id")
    assert sorted(buildings.index) == ["A", "B"]
    assert buildings.loc["B", "gfa_method"] == "slab_geometry"  # no IfcSpace in B
    assert buildings.loc["B", "gfa_m2"] == pytest.approx(400.0, rel=1e-3)
    counts = store.read("bim_element").groupby("building_id").size().to_dict()
    versions, report = import_file(store, b["path"], building_id="B")
    assert store.read("bim_element").groupby("building_id").size().to_dict() == counts
    assert report.extra["merged"]["bim_element"]["replaced_rows"] == counts["B"]
    assert versions["bim_element"] == 3
    # versions and rollback still work
    store.rollback("ifc_building", 1)
    assert list(store.read("ifc_building")["id"]) == ["A"]


def test_a_previewed_import_committed_later_merges_too(two_models, store):
    # the app's import page reads first (preview), then commits what it read
    from twin.importer import commit_result

    a, b = two_models
    for model, bid in ((a, "A"), (b, "B")):
        before = [(i.name, i.current, i.versions) for i in store.layers()]
        result = read_file(model["path"], building_id=bid)
        assert [(i.name, i.current, i.versions) for i in store.layers()] == before  # preview
        commit_result(store, result, note=f"building {bid}")
    assert sorted(store.read("ifc_building")["id"]) == ["A", "B"]
    assert set(store.read("bim_element")["building_id"]) == {"A", "B"}


def test_read_file_writes_nothing_and_ifc_info_prints(two_models, tmp_path, capsys):
    a, _ = two_models
    target = tmp_path / "never"
    assert main(["--store", str(target), "ifc", "info", a["path"]]) == 0
    out = capsys.readouterr().out
    assert "IFC4" in out and "MILLIMETRE" in out and "IfcWall 12" in out
    assert "IfcMapConversion" in out and "EPSG:4549" in out
    assert not target.exists()


def test_cli_import_and_georef_round_trip(tmp_path, capsys):
    src = make_test_building(tmp_path / "bare.ifc", unit="mm")
    store_dir = tmp_path / "layers"
    # no georeferencing: one clear line
    assert main(["--store", str(store_dir), "import", src["path"]]) == 1
    assert "--anchor" in capsys.readouterr().err
    anchor = "119.905,35.733,3.5,15"
    assert main(["--store", str(store_dir), "import", src["path"], "--anchor", anchor,
                 "--building-id", "bare"]) == 0
    out = capsys.readouterr().out
    assert "bim_element" in out and "ifc_building" in out
    placed = tmp_path / "placed.ifc"
    assert main(["ifc", "georef", src["path"], "--anchor", anchor, "--write",
                 str(placed)]) == 0
    assert "EPSG:4549" in capsys.readouterr().out
    assert main(["ifc", "doctor", str(placed)]) == 0
    assert "georeferencing OK" in capsys.readouterr().out
    anchored = read_file(src["path"], anchor=anchor).layers[0].data.set_index("guid")
    reread = read_file(placed).layers[0].data.set_index("guid")
    guid = src["corner_guid"]

    def world(frame):
        row = frame.loc[guid]
        verts = np.frombuffer(row["mesh_vertices"], dtype=np.float32).reshape(-1, 3)
        return verts + [row["origin_x"], row["origin_y"], row["origin_z"]]

    assert np.abs(world(anchored) - world(reread)).max() < 0.01


def test_doctor_exit_status_on_unplaceable_file(tmp_path, capsys):
    src = make_test_building(tmp_path / "bare.ifc")
    assert main(["ifc", "doctor", src["path"]]) == 1
    out = capsys.readouterr().out
    assert "georeferencing ERROR" in out and "--anchor" in out


def test_georef_refuses_to_overwrite_the_source(tmp_path):
    from twin.errors import ReaderError

    src = make_test_building(tmp_path / "s.ifc")
    with pytest.raises(ReaderError, match="overwrite"):
        write_georef(src["path"], src["path"], "119.9,35.7,0,0")


def test_unmeshable_elements_keep_attributes_and_absurd_ones_are_skipped(tmp_path):
    info = make_test_building(tmp_path / "broken.ifc", map_conversion=_map(),
                              broken_element=True, far_element_m=3e7)
    result = read_file(info["path"])
    skipped = {s["feature"]: s for s in result.report.skipped}
    assert info["broken_guid"] not in skipped
    warned = {w["feature"]: w["reason"] for w in result.report.warnings}
    assert "IfcWall" in warned[info["broken_guid"]] and "no geometry" in warned[info["broken_guid"]]
    assert skipped[info["far_guid"]]["ifc_class"] == "IfcColumn"
    assert "absurd" in skipped[info["far_guid"]]["reason"]
    frame = result.layers[0].data.set_index("guid")
    assert info["corner_guid"] in frame.index and info["far_guid"] not in frame.index
    broken = frame.loc[info["broken_guid"]]
    assert broken["name"] == "broken wall" and broken["geometry"] is None
    assert broken["mesh_vertices"] is None
    assert result.report.extra["elements_not_meshed"] == 1


def test_layer_option_prefixes_the_layer_names(two_models, store, capsys):
    a, _ = two_models
    versions, _ = import_file(store, a["path"], layer="site_a")
    assert set(versions) == {"site_a_bim_element", "site_a_ifc_building", "site_a_ifc_storey"}
    assert store.kind_of("site_a_ifc_building") == "building"
    assert main(["ifc", "info", "--json", a["path"]]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["schema"] == "IFC4" and info["counts_by_class"]["IfcWall"] == 12
    assert info["georeferencing"]["source"] == "IfcMapConversion"


def test_a_wall_without_ifcproject_imports_with_an_anchor(tmp_path):
    import ifcopenshell

    info = make_test_building(tmp_path / "np.ifc", storeys=1, with_slab=False,
                              with_space=False, with_empty_element=False)
    model = ifcopenshell.open(info["path"])
    model.remove(model.by_type("IfcProject")[0])
    model.write(info["path"])
    with pytest.raises(GeoreferenceError, match="no georeferencing"):
        read_file(info["path"])
    result = read_file(info["path"], anchor="119.9,35.73,0,0")
    assert info["corner_guid"] in set(result.layers[0].data["guid"])
    assert any("no IfcProject" in w["reason"] for w in result.report.warnings)
