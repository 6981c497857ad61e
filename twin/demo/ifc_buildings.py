"""The demo's three IFC buildings, written with ``ifcopenshell.api``.

- a resettlement apartment block in 董家口安置区 (11 storeys);
- the primary school 临港安置区小学 (4 storeys);
- the civic culture centre 市民文化中心 (3 storeys, turned 10° from grid north).

Each has storeys, walls, slabs, windows, doors and IfcSpaces with Qto areas, and is
georeferenced by IfcMapConversion + IfcProjectedCRS EPSG:4549 in metres, with the site's
RefLatitude/RefLongitude agreeing. The local origin is the centre of the footprint, placed on
its planned parcel. Element counts stay modest (a few hundred per building) so that the demo
import is quick. GlobalIds come from the seeded generator, so files are reproducible.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import box

__all__ = ["IfcSpec", "IFC_SPECS", "IfcPlacement", "place_ifc_buildings", "write_ifc"]


@dataclass(frozen=True)
class IfcSpec:
    """One IFC building: its parcel designation, size, storeys and plan style."""

    key: str
    name: str
    parcel_key: str
    length: float
    width: float
    storeys: int
    storey_m: float
    rotation_deg: float
    style: str
    use: str
    file: str
    long_name: str = ""


IFC_SPECS = [
    IfcSpec("apartment", "董家口安置区1号楼", "ifc_apartment", 48.0, 14.0, 11, 3.0, 0.0,
            "apartment", "R", "dongjiakou_apartment.ifc", "安置住宅"),
    IfcSpec("school", "临港安置区小学教学楼", "school_lingang", 60.0, 18.0, 4, 3.8, 0.0,
            "school", "A", "lingang_primary_school.ifc", "小学教学楼"),
    IfcSpec("civic", "市民文化中心", "civic_centre", 72.0, 40.0, 3, 5.0, 10.0, "civic", "A",
            "civic_culture_centre.ifc", "文化设施"),
]


@dataclass
class IfcPlacement:
    """Where an IFC building is planned: parcel, local centre (m), rotation and footprint."""

    spec: IfcSpec
    parcel_id: str
    x: float
    y: float
    base_elev_m: float
    footprint: object = field(repr=False)


def _footprint(spec: IfcSpec, x: float, y: float):
    rect = box(-spec.length / 2, -spec.width / 2, spec.length / 2, spec.width / 2)
    rect = affinity.rotate(rect, spec.rotation_deg, origin=(0, 0))
    return affinity.translate(rect, x, y)


def place_ifc_buildings(parcels, designated: dict[str, str], blue, dem) -> list[IfcPlacement]:
    """Plan each IFC building on its parcel: the spot nearest the parcel's centroid where the
    footprint, 10 m clear of the parcel edge and of the blue-line zone, fits."""
    out = []
    by_id = parcels.set_index("id")
    for spec in IFC_SPECS:
        pid = designated[spec.parcel_key]
        poly = by_id.loc[pid].geometry
        area = poly.buffer(-10.0, join_style="mitre").difference(blue)
        c = poly.centroid
        steps = np.arange(-200, 201, 5.0)
        gx, gy = np.meshgrid(c.x + steps, c.y + steps)
        order = np.argsort(np.hypot(gx - c.x, gy - c.y).ravel(), kind="stable")
        spot = None
        for i in order:
            x, y = round(float(gx.ravel()[i]), 2), round(float(gy.ravel()[i]), 2)
            if area.contains(_footprint(spec, x, y)):
                spot = (x, y)
                break
        if spot is None:
            raise RuntimeError(f"demo generator: {spec.name} does not fit on parcel {pid}")
        x, y = spot
        base = round(float(dem.sample([x], [y])[0]), 2)
        out.append(IfcPlacement(spec=spec, parcel_id=pid, x=x, y=y, base_elev_m=base,
                                footprint=_footprint(spec, x, y)))
    return out


# -- plan of one storey -------------------------------------------------------------------
@dataclass
class _Storey:
    walls: list = field(default_factory=list)      # (name, x0, y0, x1, y1, external)
    windows: list = field(default_factory=list)    # (name, x0, y0, x1, y1, sill, height)
    doors: list = field(default_factory=list)      # (name, x0, y0, x1, y1, height)
    spaces: list = field(default_factory=list)     # (name, long name, x0, y0, x1, y1)


_T_EXT, _T_INT = 0.3, 0.2


def _openings_along(edge: str, spec: IfcSpec, xs, width: float):
    """Opening boxes centred at ``xs`` (or ys) on one exterior wall."""
    hl, hw = spec.length / 2, spec.width / 2
    t = _T_EXT + 0.06
    out = []
    for v in xs:
        if edge == "S":
            out.append((v - width / 2, -hw - 0.03, v + width / 2, -hw - 0.03 + t))
        elif edge == "N":
            out.append((v - width / 2, hw - _T_EXT - 0.03, v + width / 2, hw + 0.03))
        elif edge == "W":
            out.append((-hl - 0.03, v - width / 2, -hl - 0.03 + t, v + width / 2))
        else:
            out.append((hl - _T_EXT - 0.03, v - width / 2, hl + 0.03, v + width / 2))
    return out


def _storey_plan(spec: IfcSpec, level: int) -> _Storey:
    hl, hw = spec.length / 2, spec.width / 2
    s = _Storey()
    t = _T_EXT
    s.walls += [("外墙-南", -hl, -hw, hl, -hw + t, True), ("外墙-北", -hl, hw - t, hl, hw, True),
                ("外墙-西", -hl, -hw + t, -hl + t, hw - t, True),
                ("外墙-东", hl - t, -hw + t, hl, hw - t, True)]
    ti = _T_INT
    tag = f"{level + 1}F"
    if spec.style == "apartment":
        cuts = [-hl / 2, 0.0, hl / 2]
        for i, x in enumerate(cuts, 1):
            s.walls.append((f"分户墙-{i}", x - ti / 2, -hw + t, x + ti / 2, hw - t, False))
        bounds = [-hl + t] + cuts + [hl - t]
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]), 1):
            s.spaces.append((f"{level + 1}{i:02d}", f"{tag} {i}号户 住宅", a, -hw + t, b, hw - t))
            mid = (a + b) / 2
            for j, o in enumerate(_openings_along("S", spec, [mid - 3.0, mid + 3.0], 1.8), 1):
                s.windows.append((f"{tag} {i}号户 南窗{j}", *o, 0.9, 1.5))
            (o,) = _openings_along("N", spec, [mid + 2.5], 1.5)
            s.windows.append((f"{tag} {i}号户 北窗", *o, 0.9, 1.2))
        for j, o in enumerate(_openings_along("N", spec, [-hl / 4 - 4.0, hl / 4 - 4.0], 1.0), 1):
            s.doors.append((f"{tag} 单元门{j}" if level == 0 else f"{tag} 阳台门{j}", *o, 2.1))
    elif spec.style == "school":
        corridor_y = hw - 3.0
        s.walls.append(("走廊墙", -hl + t, corridor_y - ti, hl - t, corridor_y, False))
        cuts = list(np.linspace(-hl, hl, 7)[1:-1])
        for i, x in enumerate(cuts, 1):
            s.walls.append((f"隔墙-{i}", x - ti / 2, -hw + t, x + ti / 2, corridor_y - ti, False))
        bounds = [-hl + t] + cuts + [hl - t]
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]), 1):
            s.spaces.append((f"{level + 1}{i:02d}", f"{tag} 普通教室{i}", a, -hw + t, b,
                             corridor_y - ti))
            mid = (a + b) / 2
            for j, o in enumerate(_openings_along("S", spec, [mid - 2.4, mid + 2.4], 2.4), 1):
                s.windows.append((f"{tag} 教室{i} 南窗{j}", *o, 0.9, 1.8))
            (o,) = _openings_along("N", spec, [mid], 1.8)
            s.windows.append((f"{tag} 走廊窗{i}", *o, 1.0, 1.5))
            s.doors.append((f"{tag} 教室{i} 门", mid + 3.0 - 0.5, corridor_y - ti - 0.03,
                            mid + 3.0 + 0.5, corridor_y + 0.03, 2.1))
        s.spaces.append((f"{level + 1}00", f"{tag} 走廊", -hl + t, corridor_y, hl - t, hw - t))
        if level == 0:
            for name, o in zip(("西门", "东门"), _openings_along("W", spec, [hw - 1.5], 1.5)
                               + _openings_along("E", spec, [hw - 1.5], 1.5)):
                s.doors.append((f"{tag} {name}", *o, 2.4))
    else:  # civic centre
        split_y = 10.0
        cuts = [-12.0, 12.0]
        for i, x in enumerate(cuts, 1):
            s.walls.append((f"分区墙-{i}", x - ti / 2, -hw + t, x + ti / 2, hw - t, False))
        s.walls.append(("西区隔墙", -hl + t, split_y - ti / 2, cuts[0] - ti / 2, split_y + ti / 2,
                        False))
        s.walls.append(("东区隔墙", cuts[1] + ti / 2, split_y - ti / 2, hl - t, split_y + ti / 2,
                        False))
        names = [("图书馆", "阅览室"), ("大厅", None), ("展厅", "多功能厅")]
        xs = [(-hl + t, cuts[0] - ti / 2), (cuts[0] + ti / 2, cuts[1] - ti / 2),
              (cuts[1] + ti / 2, hl - t)]
        k = 0
        for (south, north), (a, b) in zip(names, xs):
            if north is None:
                k += 1
                s.spaces.append((f"{level + 1}{k:02d}", f"{tag} {south}", a, -hw + t, b, hw - t))
                continue
            for label, (y0, y1) in ((south, (-hw + t, split_y - ti / 2)),
                                    (north, (split_y + ti / 2, hw - t))):
                k += 1
                s.spaces.append((f"{level + 1}{k:02d}", f"{tag} {label}", a, y0, b, y1))
        for j, o in enumerate(_openings_along("S", spec, np.linspace(-hl + 6, hl - 6, 10), 3.0), 1):
            s.windows.append((f"{tag} 南窗{j}", *o, 0.6, 3.0))
        for j, o in enumerate(_openings_along("N", spec, np.linspace(-hl + 8, hl - 8, 8), 2.4), 1):
            s.windows.append((f"{tag} 北窗{j}", *o, 0.9, 2.4))
        for edge in ("W", "E"):
            for j, o in enumerate(_openings_along(edge, spec, [-10.0, 0.0, 10.0], 2.4), 1):
                s.windows.append((f"{tag} {'西' if edge == 'W' else '东'}窗{j}", *o, 0.9, 2.4))
        if level == 0:
            for j, o in enumerate(_openings_along("S", spec, [-4.0, 0.0, 4.0], 2.0), 1):
                s.doors.append((f"{tag} 南主入口{j}", *o, 3.0))
            for j, o in enumerate(_openings_along("N", spec, [-30.0, 30.0], 1.5), 1):
                s.doors.append((f"{tag} 北门{j}", *o, 2.4))
        for j, x in enumerate(cuts, 1):
            for y in (-8.0, 14.0):
                s.doors.append((f"{tag} 内门{j}-{'南' if y < 0 else '北'}", x - 0.2, y - 0.8,
                                x + 0.2, y + 0.8, 2.4))
    return s


# -- writing -------------------------------------------------------------------------------
def _lonlat(place: IfcPlacement, origin) -> tuple[float, float]:
    from ..crs import WGS84, transform_xy, working_crs

    lon, lat = transform_xy([origin[0] + place.x], [origin[1] + place.y], working_crs(), WGS84)
    return float(lon[0]), float(lat[0])


def write_ifc(place: IfcPlacement, path, origin, rng: np.random.Generator) -> dict:
    """Write one IFC4 file for ``place``; returns a summary with counts and the GFA."""
    import ifcopenshell
    import ifcopenshell.api
    import ifcopenshell.api.aggregate
    import ifcopenshell.api.context
    import ifcopenshell.api.geometry
    import ifcopenshell.api.georeference
    import ifcopenshell.api.project
    import ifcopenshell.api.pset
    import ifcopenshell.api.root
    import ifcopenshell.api.spatial
    import ifcopenshell.api.unit
    import ifcopenshell.guid
    import ifcopenshell.util.geolocation

    api = ifcopenshell.api
    spec = place.spec
    model = api.project.create_file(version="IFC4")
    project = api.root.create_entity(model, ifc_class="IfcProject", name=f"泊里演示 {spec.name}")
    metre = api.unit.add_si_unit(model, unit_type="LENGTHUNIT")
    area_u = api.unit.add_si_unit(model, unit_type="AREAUNIT")
    vol_u = api.unit.add_si_unit(model, unit_type="VOLUMEUNIT")
    api.unit.assign_unit(model, units=[metre, area_u, vol_u])
    ctx = api.context.add_context(model, context_type="Model")
    body = api.context.add_context(model, context_type="Model", context_identifier="Body",
                                   target_view="MODEL_VIEW", parent=ctx)
    api.georeference.add_georeferencing(model, name="EPSG:4549")
    angle = math.radians(spec.rotation_deg)
    api.georeference.edit_georeferencing(
        model,
        projected_crs={"Name": "EPSG:4549",
                       "Description": "CGCS2000 / 3-degree Gauss-Kruger CM 120E",
                       "GeodeticDatum": "CGCS2000",
                       "VerticalDatum": "1985 National Height Datum", "MapUnit": metre},
        coordinate_operation={"Eastings": round(origin[0] + place.x, 3),
                              "Northings": round(origin[1] + place.y, 3),
                              "OrthogonalHeight": place.base_elev_m,
                              "XAxisAbscissa": round(math.cos(angle), 12),
                              "XAxisOrdinate": round(math.sin(angle), 12),
                              "Scale": 1.0})
    site = api.root.create_entity(model, ifc_class="IfcSite", name=f"{spec.name} 场地")
    lon, lat = _lonlat(place, origin)
    site.RefLatitude = ifcopenshell.util.geolocation.dd2dms(lat, use_us=True)
    site.RefLongitude = ifcopenshell.util.geolocation.dd2dms(lon, use_us=True)
    site.RefElevation = place.base_elev_m
    building = api.root.create_entity(model, ifc_class="IfcBuilding", name=spec.name)
    building.ObjectType = spec.use
    building.LongName = spec.long_name
    api.aggregate.assign_object(model, relating_object=project, products=[site])
    api.aggregate.assign_object(model, relating_object=site, products=[building])
    for product in (site, building):
        api.geometry.edit_object_placement(model, product=product)
    api.pset.edit_pset(model, pset=api.pset.add_pset(model, product=building,
                                                     name="Pset_BuildingCommon"),
                       properties={"NumberOfStoreys": spec.storeys})
    api.pset.edit_pset(model, pset=api.pset.add_pset(model, product=building, name="Boli_Plan"),
                       properties={"ParcelId": place.parcel_id, "PlannedUse": spec.use,
                                   "PlannedEasting": round(origin[0] + place.x, 3),
                                   "PlannedNorthing": round(origin[1] + place.y, 3),
                                   "Synthetic": True})

    def element(cls, name, storey, x0, y0, x1, y1, z, h, psets=None, qto=None):
        el = api.root.create_entity(model, ifc_class=cls, name=name)
        if cls == "IfcSpace":
            api.aggregate.assign_object(model, relating_object=storey, products=[el])
        else:
            api.spatial.assign_container(model, relating_structure=storey, products=[el])
        rep = api.geometry.add_wall_representation(model, context=body, length=x1 - x0,
                                                   height=h, thickness=y1 - y0)
        api.geometry.assign_representation(model, product=el, representation=rep)
        m = np.eye(4)
        m[:3, 3] = (x0, y0, z)
        api.geometry.edit_object_placement(model, product=el, matrix=m)
        for pname, props in (psets or {}).items():
            api.pset.edit_pset(model, pset=api.pset.add_pset(model, product=el, name=pname),
                               properties=props)
        for qname, props in (qto or {}).items():
            api.pset.edit_qto(model, qto=api.pset.add_qto(model, product=el, name=qname),
                              properties=props)
        return el

    counts: dict[str, int] = {}
    gfa = 0.0
    hl, hw = spec.length / 2, spec.width / 2
    outline = [(-hl, -hw), (hl, -hw), (hl, hw), (-hl, hw)]
    slab_area = round(spec.length * spec.width, 3)
    def slab(storey, name, z_bottom, predefined):
        el = api.root.create_entity(model, ifc_class="IfcSlab", name=name,
                                    predefined_type=predefined)
        api.spatial.assign_container(model, relating_structure=storey, products=[el])
        rep = api.geometry.add_slab_representation(model, context=body, depth=0.2,
                                                   polyline=outline + outline[:1])
        api.geometry.assign_representation(model, product=el, representation=rep)
        ms = np.eye(4)
        ms[2, 3] = z_bottom
        api.geometry.edit_object_placement(model, product=el, matrix=ms)
        api.pset.edit_qto(model, qto=api.pset.add_qto(model, product=el,
                                                      name="Qto_SlabBaseQuantities"),
                          properties={"GrossArea": slab_area, "NetArea": slab_area,
                                      "Depth": 0.2})
        counts["IfcSlab"] = counts.get("IfcSlab", 0) + 1

    storey = None
    for level in range(spec.storeys):
        z = round(level * spec.storey_m, 3)
        storey = api.root.create_entity(model, ifc_class="IfcBuildingStorey",
                                        name=f"{level + 1}F")
        storey.Elevation = z
        api.aggregate.assign_object(model, relating_object=building, products=[storey])
        m = np.eye(4)
        m[2, 3] = z
        api.geometry.edit_object_placement(model, product=storey, matrix=m)
        slab(storey, f"{level + 1}F 楼板", z - 0.2, "FLOOR")
        plan = _storey_plan(spec, level)
        h = spec.storey_m - 0.2
        for name, x0, y0, x1, y1, ext in plan.walls:
            length = max(x1 - x0, y1 - y0)
            element("IfcWall", f"{level + 1}F {name}", storey, x0, y0, x1, y1, z, h,
                    psets={"Pset_WallCommon": {"IsExternal": bool(ext),
                                               "LoadBearing": bool(ext)}},
                    qto={"Qto_WallBaseQuantities": {"Length": round(length, 3), "Height": h,
                                                    "Width": round(min(x1 - x0, y1 - y0), 3)}})
        for name, x0, y0, x1, y1, sill, wh in plan.windows:
            element("IfcWindow", name, storey, x0, y0, x1, y1, z + sill, wh,
                    psets={"Pset_WindowCommon": {"IsExternal": True}})
        for name, x0, y0, x1, y1, dh in plan.doors:
            element("IfcDoor", name, storey, x0, y0, x1, y1, z, dh,
                    psets={"Pset_DoorCommon": {"IsExternal": level == 0}})
        for code, long_name, x0, y0, x1, y1 in plan.spaces:
            a = round((x1 - x0) * (y1 - y0), 3)
            gfa += a
            sp = element("IfcSpace", code, storey, x0, y0, x1, y1, z, h,
                         qto={"Qto_SpaceBaseQuantities": {"NetFloorArea": a,
                                                          "GrossFloorArea": a, "Height": h}})
            sp.LongName = long_name
        for cls, items in (("IfcWall", plan.walls), ("IfcWindow", plan.windows),
                           ("IfcDoor", plan.doors), ("IfcSpace", plan.spaces)):
            counts[cls] = counts.get(cls, 0) + len(items)
    slab(storey, "屋面板", round(spec.storeys * spec.storey_m, 3) - 0.2, "ROOF")
    counts["IfcBuildingStorey"] = spec.storeys
    # Reproducible files: relationship members in entity order (the API builds them from
    # sets), GlobalIds from the seeded generator and a fixed header time.
    for rel in model.by_type("IfcRelationship") + model.by_type("IfcUnitAssignment"):
        for i, value in enumerate(rel):
            if isinstance(value, tuple) and value and all(
                    isinstance(v, ifcopenshell.entity_instance) for v in value):
                rel[i] = tuple(sorted(value, key=lambda e: e.id()))
    for entity in sorted(model.by_type("IfcRoot"), key=lambda e: e.id()):
        entity.GlobalId = ifcopenshell.guid.compress(uuid.UUID(bytes=rng.bytes(16)).hex)
    model.header.file_name.name = spec.file
    model.header.file_name.time_stamp = "2026-07-01T00:00:00"
    model.header.file_name.author = ("twin demo generator",)
    model.header.file_name.organization = ("synthetic data",)
    model.write(str(path))
    return {"file": spec.file, "name": spec.name, "parcel_id": place.parcel_id,
            "guid": building.GlobalId, "counts": counts, "gfa_m2": round(float(gfa), 1),
            "storeys": spec.storeys, "height_m": round(spec.storeys * spec.storey_m, 2),
            "easting": round(origin[0] + place.x, 3), "northing": round(origin[1] + place.y, 3),
            "base_elev_m": place.base_elev_m, "rotation_deg": spec.rotation_deg}


def footprint_area(place: IfcPlacement) -> float:
    """The planned footprint area of an IFC building (m²)."""
    return float(shapely.area(place.footprint))
