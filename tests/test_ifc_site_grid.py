"""IfcSite terrain and IfcGrid axes are imported as their own layers (``ifc_site``,
``ifc_grid``), placed like the elements: a model written with ifcopenshell.api with a
sloped terrain TIN on its site and a rotated, shifted grid, imported with ``--anchor``;
the positions are checked against an independent pyproj computation."""

from __future__ import annotations

import math
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.geometry
import ifcopenshell.api.grid
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.util.representation as ur
import numpy as np
import pytest
import shapely
from ifc_factory import make_test_building
from pyproj import Geod, Transformer

from twin.cli import main
from twin.importer import read_file
from twin.store import ParquetStore

WORKING = "EPSG:4549"
ANCHOR = (119.90, 35.73, 5.0, 0.0)
TIN = (40.0, 30.0, 4)  # width, depth (m), samples per side
SLOPE = 0.05  # terrain z = SLOPE * x
GRID_SHIFT = (1.0, 2.0)
GRID_ANGLE = 30.0


def _expected(x, y, z):
    """pyproj.Geod step from the anchor along the local offset, then EPSG:4549."""
    lon, lat, elev, _ = ANCHOR
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(lon, lat, math.degrees(math.atan2(x, y)),
                                            math.hypot(x, y))
    tx, ty = Transformer.from_crs("EPSG:4326", WORKING, always_xy=True).transform(lon2, lat2)
    return np.array([tx, ty, elev + z])


def _grid_world(u, v):
    """A point of the grid's own (u, v) plane in model metres."""
    a = math.radians(GRID_ANGLE)
    return (GRID_SHIFT[0] + u * math.cos(a) - v * math.sin(a),
            GRID_SHIFT[1] + u * math.sin(a) + v * math.cos(a))


def _model(tmp_path, *, unit="m") -> Path:
    info = make_test_building(tmp_path / f"site_{unit}.ifc", storeys=1, unit=unit)
    f = ifcopenshell.open(info["path"])
    body = ur.get_context(f, "Model", "Body", "MODEL_VIEW")
    site = f.by_type("IfcSite")[0]
    w, d, n = TIN
    xs, ys = np.linspace(-5.0, w - 5.0, n), np.linspace(-5.0, d - 5.0, n)
    verts = [(float(x), float(y), SLOPE * float(x)) for y in ys for x in xs]
    faces = []
    for j in range(n - 1):
        for i in range(n - 1):
            a = j * n + i
            faces += [[a, a + 1, a + n + 1], [a, a + n + 1, a + n]]
    rep = ifcopenshell.api.geometry.add_mesh_representation(  # metres, scaled to the unit
        f, context=body, vertices=[verts], faces=[faces])
    ifcopenshell.api.geometry.assign_representation(f, product=site, representation=rep)
    grid = ifcopenshell.api.root.create_entity(f, ifc_class="IfcGrid", name="Main grid")
    a = math.radians(GRID_ANGLE)
    matrix = np.eye(4)
    matrix[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    matrix[:2, 3] = GRID_SHIFT
    ifcopenshell.api.geometry.edit_object_placement(f, product=grid, matrix=matrix, is_si=True)
    ifcopenshell.api.spatial.assign_container(f, relating_structure=f.by_type(
        "IfcBuildingStorey")[0], products=[grid])
    for tag, uvw, (p1, p2) in (("A", "UAxes", ((0, 0), (20, 0))), ("B", "UAxes", ((0, 8), (20, 8))),
                               ("1", "VAxes", ((0, 0), (0, 8))), ("2", "VAxes", ((20, 0), (20, 8)))):
        axis = ifcopenshell.api.grid.create_grid_axis(f, axis_tag=tag, uvw_axes=uvw, grid=grid)
        ifcopenshell.api.grid.create_axis_curve(
            f, p1=np.array([*_grid_world(*p1), 0.0]), p2=np.array([*_grid_world(*p2), 0.0]),
            grid_axis=axis)
    path = tmp_path / f"site_grid_{unit}.ifc"
    f.write(str(path))
    return path


@pytest.mark.parametrize("unit", ["m", "mm"])
def test_site_terrain_and_grid_axes_are_placed_like_the_elements(tmp_path, unit):
    path = _model(tmp_path, unit=unit)
    result = read_file(path, anchor=",".join(map(str, ANCHOR)))
    layers = {item.name: item for item in result.layers}
    assert layers["ifc_site"].kind == "feature" and layers["ifc_grid"].kind == "feature"

    grid = layers["ifc_grid"].data.set_index("name")
    assert sorted(grid.index) == ["1", "2", "A", "B"]
    assert set(grid.loc[["A", "B"], "direction"]) == {"U"}
    assert grid.loc["A", "grid_name"] == "Main grid"
    for tag, (p1, p2) in (("A", ((0, 0), (20, 0))), ("2", ((20, 0), (20, 8)))):
        coords = np.asarray(grid.loc[tag, "geometry"].coords)
        want = np.array([_expected(*_grid_world(*p), 0.0)[:2] for p in (p1, p2)])
        assert np.abs(coords - want).max() < 0.01, (tag, coords - want)
    assert abs(grid.loc["A", "elev_m"] - ANCHOR[2]) < 0.01

    (site,) = layers["ifc_site"].data.itertuples()
    w, d, _ = TIN
    assert site.footprint_method == "union"
    assert abs(site.geometry.area - w * d) / (w * d) < 0.005  # the TIN's outline
    outline = np.asarray(site.geometry.exterior.coords)
    for corner in ((-5.0, -5.0), (w - 5.0, -5.0), (w - 5.0, d - 5.0), (-5.0, d - 5.0)):
        want = _expected(*corner, 0.0)[:2]
        assert np.hypot(*(outline - want).T).min() < 0.01, corner  # each TIN corner
    assert abs(site.z_min_m - (ANCHOR[2] + SLOPE * -5.0)) < 0.01
    assert abs(site.z_max_m - (ANCHOR[2] + SLOPE * (w - 5.0))) < 0.01
    verts = np.frombuffer(site.mesh_vertices, dtype=np.float32).reshape(-1, 3)
    assert len(verts) >= TIN[2] ** 2 - 1  # the terrain mesh travels with its row
    assert result.report.extra["grid_axes"] == 4
    assert result.report.extra["site_terrain"]["triangles"] == 2 * (TIN[2] - 1) ** 2
    # the elements are unchanged: the walls, slab and proxy are still the bim_element rows
    elements = layers["bim_element"].data
    assert "IfcSite" not in set(elements["ifc_class"]) and "IfcGrid" not in set(elements["ifc_class"])


def test_import_stores_the_site_and_grid_layers(tmp_path, capsys):
    path = _model(tmp_path)
    store_dir = tmp_path / "store"
    assert main(["--store", str(store_dir), "import", str(path), "--anchor",
                 ",".join(map(str, ANCHOR))]) == 0
    store = ParquetStore(store_dir)
    assert store.kind_of("ifc_site") == "feature" and store.kind_of("ifc_grid") == "feature"
    assert len(store.read("ifc_grid")) == 4 and len(store.read("ifc_site")) == 1


def test_a_model_without_site_body_or_grid_gives_no_such_layers(tmp_path):
    info = make_test_building(tmp_path / "plain.ifc", storeys=1)
    result = read_file(info["path"], anchor=",".join(map(str, ANCHOR)))
    assert {item.name for item in result.layers} == {"bim_element", "ifc_building",
                                                      "ifc_storey"}


def test_shared_model_with_a_grid_imports_its_axes():
    path = Path("/work/shared/data/ifc/semantic/fail-grf005-ifc4_blank_map_conversion.ifc")
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    model = ifcopenshell.open(str(path))
    tags = sorted(a.AxisTag for g in model.by_type("IfcGrid")
                  for a in (*(g.UAxes or ()), *(g.VAxes or ())) if a.AxisCurve is not None)
    result = read_file(path, anchor=",".join(map(str, ANCHOR)))
    layers = {item.name: item for item in result.layers}
    assert sorted(layers["ifc_grid"].data["name"]) == tags
    lengths = shapely.length(layers["ifc_grid"].data.geometry.values)
    assert (lengths > 0).all()
