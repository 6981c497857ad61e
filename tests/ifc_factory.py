"""Write small, known IFC buildings with ``ifcopenshell.api`` (tests, demo and benchmarks).

The main entry point is :func:`make_test_building`. It writes a rectangular building of
``storeys`` storeys, each with four walls, a floor slab, one IfcSpace with a
``Qto_SpaceBaseQuantities.GrossFloorArea`` and (on the ground floor) one proxy element
without geometry. It returns where things are, in *local metres* (the engineering
coordinates of the model, before any georeferencing), so that a test can compute the
expected map position on its own.

Example
-------
>>> from tests.ifc_factory import make_test_building
>>> info = make_test_building("b.ifc", unit="mm", map_conversion={
...     "crs": "EPSG:4549", "eastings": 500000.0, "northings": 3955000.0})  # doctest: +SKIP
>>> info["corner_local_m"]  # doctest: +SKIP
(2.0, 3.0, 0.0)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["make_test_building", "UNIT_TO_M", "add_many_elements"]

UNIT_TO_M = {"m": 1.0, "mm": 0.001, "ft": 0.3048, "in": 0.0254}


def _api():
    import ifcopenshell.api.aggregate
    import ifcopenshell.api.context
    import ifcopenshell.api.geometry
    import ifcopenshell.api.georeference
    import ifcopenshell.api.project
    import ifcopenshell.api.pset
    import ifcopenshell.api.root
    import ifcopenshell.api.spatial
    import ifcopenshell.api.style
    import ifcopenshell.api.unit

    return ifcopenshell.api


def _assign_units(api, f, unit: str):
    if unit == "m":
        length = api.unit.add_si_unit(f, unit_type="LENGTHUNIT")
    elif unit == "mm":
        length = api.unit.add_si_unit(f, unit_type="LENGTHUNIT", prefix="MILLI")
    elif unit == "ft":
        length = api.unit.add_conversion_based_unit(f, name="foot")
    elif unit == "in":
        length = api.unit.add_conversion_based_unit(f, name="inch")
    else:
        raise ValueError(f"unit must be one of {sorted(UNIT_TO_M)}, got {unit!r}")
    area = api.unit.add_si_unit(f, unit_type="AREAUNIT")
    volume = api.unit.add_si_unit(f, unit_type="VOLUMEUNIT")
    api.unit.assign_unit(f, units=[length, area, volume])


def _placement(x: float, y: float, z: float, angle_deg: float = 0.0) -> np.ndarray:
    """A 4x4 placement matrix in SI metres: rotation about Z by ``angle_deg``."""
    a = math.radians(angle_deg)
    m = np.eye(4)
    m[0, 0], m[0, 1], m[1, 0], m[1, 1] = math.cos(a), -math.sin(a), math.sin(a), math.cos(a)
    m[:3, 3] = (x, y, z)
    return m


def _style(api, f, rgb):
    style = api.style.add_style(f, name="twin-test-colour")
    attributes = {"SurfaceColour": {"Name": None, "Red": rgb[0], "Green": rgb[1],
                                    "Blue": rgb[2]}}
    if f.schema != "IFC2X3":  # IfcSurfaceStyleShading.Transparency is IFC4+
        attributes["Transparency"] = 0.0
    api.style.add_surface_style(f, style=style, ifc_class="IfcSurfaceStyleShading",
                                attributes=attributes)
    return style


def make_test_building(
    path,
    *,
    schema: str = "IFC4",
    unit: str = "m",
    map_conversion: dict | None = None,
    ref_latlon: tuple[float, ...] | None = None,
    true_north_deg: float | None = None,
    storeys: int = 2,
    storey_height_m: float = 3.0,
    size_m: tuple[float, float] = (20.0, 10.0),
    origin_m: tuple[float, float] = (2.0, 3.0),
    wall_thickness_m: float = 0.2,
    name: str = "Test building",
    wall_colour: tuple[float, float, float] = (0.8, 0.2, 0.1),
    with_space: bool = True,
    with_slab: bool = True,
    with_empty_element: bool = True,
    extra_elements: int = 0,
    broken_element: bool = False,
    far_element_m: float | None = None,
) -> dict:
    """Write a small rectangular building to ``path`` and return what is where.

    Parameters
    ----------
    schema : "IFC2X3", "IFC4" or "IFC4X3"
    unit : "m", "mm", "ft" or "in"; the project length unit. Every size argument is in
        metres whatever the unit; the file stores them in ``unit``.
    map_conversion : dict, optional
        Writes IfcMapConversion + IfcProjectedCRS (ePSet_MapConversion in IFC2X3). Keys:
        ``crs`` (``"EPSG:4549"``), ``eastings``, ``northings``, ``orthogonal_height`` (map
        units), ``x_axis_abscissa``, ``x_axis_ordinate``, ``scale`` (omitted when None),
        ``map_unit`` ("m", "mm", "ft" or None for none written).
    ref_latlon : (lat, lon) or (lat, lon, elev_m), optional
        Written as IfcSite RefLatitude / RefLongitude / RefElevation.
    true_north_deg : float, optional
        TrueNorth of the model context, as an angle anticlockwise from project +Y
        (``ifcopenshell.util.geolocation.angle2yaxis``).
    extra_elements : int
        Adds that many small IfcColumn elements on the ground floor (for benchmarks).
    broken_element : bool
        Adds an IfcWall whose body is an extrusion of depth 0, which the geometry kernel
        cannot mesh (``broken_guid``).
    far_element_m : float, optional
        Adds an IfcColumn placed that many metres east of the origin (``far_guid``), to
        test the absurd-coordinate check.

    Returns
    -------
    dict with ``path``, ``schema``, ``unit``, ``unit_to_m``, ``building_guid``,
    ``storey_guids``, ``storey_elevations_m``, ``corner_guid`` (a wall), ``corner_local_m``
    (the local x, y, z in metres of that wall's start corner, which is a mesh vertex),
    ``footprint_local_m`` (outer rectangle), ``height_m``, ``gfa_m2`` (sum of the spaces'
    GrossFloorArea), ``element_count`` and ``empty_guid`` (the element without geometry).
    """
    import ifcopenshell.util.geolocation as geoloc

    api = _api()
    version = {"IFC4X3_ADD2": "IFC4X3"}.get(schema, schema)
    f = api.project.create_file(version=version)
    if f.schema == "IFC2X3":  # IFC2X3 requires owner history: give it a user and application
        org = f.createIfcOrganization(None, "twin")
        f.createIfcPersonAndOrganization(f.createIfcPerson(None, "test", "twin"), org)
        f.createIfcApplication(org, "0.1", "twin ifc_factory", "twin")
    project = api.root.create_entity(f, ifc_class="IfcProject", name="twin test project")
    _assign_units(api, f, unit)
    model = api.context.add_context(f, context_type="Model")
    body = api.context.add_context(f, context_type="Model", context_identifier="Body",
                                   target_view="MODEL_VIEW", parent=model)
    site = api.root.create_entity(f, ifc_class="IfcSite", name="Site")
    building = api.root.create_entity(f, ifc_class="IfcBuilding", name=name)
    api.aggregate.assign_object(f, relating_object=project, products=[site])
    api.aggregate.assign_object(f, relating_object=site, products=[building])
    for product in (site, building):
        api.geometry.edit_object_placement(f, product=product, matrix=np.eye(4))

    if true_north_deg is not None:
        api.georeference.edit_true_north(f, true_north=float(true_north_deg))
        # edit_true_north only touches contexts it knows; make sure the model context has it
        x, y = geoloc.angle2yaxis(float(true_north_deg))
        for ctx in f.by_type("IfcGeometricRepresentationContext", include_subtypes=False):
            ctx.TrueNorth = f.createIfcDirection((float(x), float(y)))
    if ref_latlon is not None:
        lat, lon = ref_latlon[0], ref_latlon[1]
        site.RefLatitude = geoloc.dd2dms(lat, use_us=True)
        site.RefLongitude = geoloc.dd2dms(lon, use_us=True)
        if len(ref_latlon) > 2:
            site.RefElevation = float(ref_latlon[2]) / UNIT_TO_M[unit]
    if map_conversion is not None:
        _write_map_conversion(api, f, map_conversion)

    style = _style(api, f, wall_colour)
    sx, sy = size_m
    ox, oy = origin_m
    t = wall_thickness_m
    info: dict = {"path": str(path), "schema": f.schema, "unit": unit,
                  "unit_to_m": UNIT_TO_M[unit], "building_guid": building.GlobalId,
                  "storey_guids": [], "storey_elevations_m": [], "gfa_m2": 0.0,
                  "footprint_local_m": [(ox, oy), (ox + sx, oy), (ox + sx, oy + sy),
                                        (ox, oy + sy)],
                  "height_m": storeys * storey_height_m, "element_count": 0}
    ground = None
    for level in range(storeys):
        elev = level * storey_height_m
        storey = api.root.create_entity(f, ifc_class="IfcBuildingStorey", name=f"F{level + 1}")
        storey.Elevation = elev / UNIT_TO_M[unit]
        api.aggregate.assign_object(f, relating_object=building, products=[storey])
        api.geometry.edit_object_placement(f, product=storey, matrix=_placement(0, 0, elev))
        info["storey_guids"].append(storey.GlobalId)
        info["storey_elevations_m"].append(elev)
        ground = ground or storey
        walls = []
        # four walls: south (along +x), east (along +y), north (along -x), west (along -y)
        specs = [((ox, oy), 0.0, sx), ((ox + sx, oy), 90.0, sy),
                 ((ox + sx, oy + sy), 180.0, sx), ((ox, oy + sy), 270.0, sy)]
        for i, ((wx, wy), angle, length) in enumerate(specs):
            wall = api.root.create_entity(f, ifc_class="IfcWall", name=f"F{level + 1} wall {i + 1}")
            rep = api.geometry.add_wall_representation(f, context=body, length=length,
                                                       height=storey_height_m, thickness=t,
                                                       direction_sense="POSITIVE")
            api.geometry.assign_representation(f, product=wall, representation=rep)
            api.style.assign_representation_styles(f, shape_representation=rep, styles=[style])
            api.geometry.edit_object_placement(f, product=wall,
                                               matrix=_placement(wx, wy, elev, angle))
            pset = api.pset.add_pset(f, product=wall, name="Pset_WallCommon")
            api.pset.edit_pset(f, pset=pset, properties={"IsExternal": True,
                                                          "FireRating": "REI60"})
            qto = api.pset.add_qto(f, product=wall, name="Qto_WallBaseQuantities")
            api.pset.edit_qto(f, qto=qto, properties={"Length": length / UNIT_TO_M[unit]})
            walls.append(wall)
            if level == 0 and i == 0:
                info["corner_guid"] = wall.GlobalId
                info["corner_local_m"] = (ox, oy, elev)
        products = list(walls)
        if with_slab:
            slab = api.root.create_entity(f, ifc_class="IfcSlab", name=f"F{level + 1} slab")
            poly = [(0.0, 0.0), (sx, 0.0), (sx, sy), (0.0, sy), (0.0, 0.0)]
            rep = api.geometry.add_slab_representation(f, context=body, depth=0.2,
                                                       polyline=poly)
            api.geometry.assign_representation(f, product=slab, representation=rep)
            api.geometry.edit_object_placement(f, product=slab,
                                               matrix=_placement(ox, oy, elev))
            pset = api.pset.add_pset(f, product=slab, name="Pset_SlabCommon")
            api.pset.edit_pset(f, pset=pset, properties={"IsExternal": level == 0})
            products.append(slab)
        api.spatial.assign_container(f, relating_structure=storey, products=products)
        info["element_count"] += len(products)
        if with_space:
            space = api.root.create_entity(f, ifc_class="IfcSpace", name=f"F{level + 1} room")
            api.aggregate.assign_object(f, relating_object=storey, products=[space])
            api.geometry.edit_object_placement(f, product=space,
                                               matrix=_placement(0, 0, elev))
            area = (sx - 2 * t) * (sy - 2 * t)
            qto = api.pset.add_qto(f, product=space, name="Qto_SpaceBaseQuantities")
            api.pset.edit_qto(f, qto=qto, properties={"GrossFloorArea": area})
            info["gfa_m2"] += area
            info["element_count"] += 1
    if with_empty_element:
        proxy = api.root.create_entity(f, ifc_class="IfcBuildingElementProxy",
                                       name="element without geometry")
        api.spatial.assign_container(f, relating_structure=ground, products=[proxy])
        info["empty_guid"] = proxy.GlobalId
        info["element_count"] += 1
    if broken_element:
        info["broken_guid"] = _raw_extrusion(f, body, ground, "broken wall", "IfcWall",
                                             depth=0.0, x=ox).GlobalId
        info["element_count"] += 1
    if far_element_m is not None:
        info["far_guid"] = _raw_extrusion(f, body, ground, "far column", "IfcColumn",
                                          depth=3.0 / UNIT_TO_M[unit],
                                          x=far_element_m).GlobalId
        info["element_count"] += 1
    if extra_elements:
        add_many_elements(f, ground, body, extra_elements, origin_m=origin_m, size_m=size_m)
        info["element_count"] += extra_elements
    f.write(str(path))
    return info


def _write_map_conversion(api, f, spec: dict) -> None:
    crs = spec.get("crs", "EPSG:4549")
    api.georeference.add_georeferencing(f, name=crs)
    op = {"Eastings": float(spec.get("eastings", 0.0)),
          "Northings": float(spec.get("northings", 0.0)),
          "OrthogonalHeight": float(spec.get("orthogonal_height", 0.0)),
          "XAxisAbscissa": float(spec.get("x_axis_abscissa", 1.0)),
          "XAxisOrdinate": float(spec.get("x_axis_ordinate", 0.0))}
    if spec.get("scale") is not None:
        op["Scale"] = float(spec["scale"])
    api.georeference.edit_georeferencing(f, coordinate_operation=op,
                                         projected_crs={"Name": crs})
    map_unit = spec.get("map_unit", "m")
    if f.schema == "IFC2X3":
        if spec.get("scale") is None:
            conv = _pset(f, "ePSet_MapConversion")
            if conv is not None:
                api.pset.edit_pset(f, pset=conv, properties={"Scale": None})
        return
    projected = f.by_type("IfcProjectedCRS")[0]
    if map_unit is None:
        projected.MapUnit = None
    elif map_unit == "m":
        projected.MapUnit = f.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE")
    elif map_unit == "mm":
        projected.MapUnit = f.createIfcSIUnit(None, "LENGTHUNIT", "MILLI", "METRE")
    elif map_unit == "ft":
        projected.MapUnit = api.unit.add_conversion_based_unit(f, name="foot")
    conv = f.by_type("IfcMapConversion")[0]
    if spec.get("scale") is None:
        conv.Scale = None


def _raw_extrusion(f, body, storey, name: str, ifc_class: str, *, depth: float, x: float):
    """An element whose body is a 1×1 (project units) rectangle extruded by ``depth``,
    placed at ``x`` metres east of the origin."""
    api = _api()
    el = api.root.create_entity(f, ifc_class=ifc_class, name=name)
    p2 = f.createIfcAxis2Placement2D(f.createIfcCartesianPoint((0.0, 0.0)), None)
    profile = f.createIfcRectangleProfileDef("AREA", None, p2, 1.0, 1.0)
    solid = f.createIfcExtrudedAreaSolid(
        profile, f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0)),
                                             None, None),
        f.createIfcDirection((0.0, 0.0, 1.0)), float(depth))
    rep = f.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])
    api.geometry.assign_representation(f, product=el, representation=rep)
    api.geometry.edit_object_placement(f, product=el, matrix=_placement(x, 0.0, 0.0))
    api.spatial.assign_container(f, relating_structure=storey, products=[el])
    return el


def _pset(f, name):
    project = f.by_type("IfcProject")[0]
    for rel in getattr(project, "IsDefinedBy", []) or []:
        pdef = getattr(rel, "RelatingPropertyDefinition", None)
        if pdef is not None and pdef.Name == name:
            return pdef
    return None


def add_many_elements(f, storey, body, count: int, *, origin_m=(0.0, 0.0),
                      size_m=(20.0, 10.0)) -> list:
    """Add ``count`` small IfcColumn elements (0.3 m square, 3 m high) on a grid inside the
    building rectangle; returns them. Used to make models with thousands of elements."""
    api = _api()
    side = max(1, int(math.ceil(math.sqrt(count))))
    step_x = max(size_m[0] - 1.0, 1.0) / side
    step_y = max(size_m[1] - 1.0, 1.0) / side
    out = []
    for i in range(count):
        col = api.root.create_entity(f, ifc_class="IfcColumn", name=f"column {i + 1}")
        rep = api.geometry.add_wall_representation(f, context=body, length=0.3, height=3.0,
                                                   thickness=0.3)
        api.geometry.assign_representation(f, product=col, representation=rep)
        x = origin_m[0] + 0.5 + (i % side) * step_x
        y = origin_m[1] + 0.5 + (i // side) * step_y
        api.geometry.edit_object_placement(f, product=col, matrix=_placement(x, y, 0.0))
        out.append(col)
    api.spatial.assign_container(f, relating_structure=storey, products=out)
    return out


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "test_building.ifc")
    print(make_test_building(out, unit="mm", map_conversion={
        "crs": "EPSG:4549", "eastings": 490000.0, "northings": 3955000.0}))
