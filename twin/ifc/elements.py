"""Element attributes of an IFC model: identity, storey, building, property sets.

Elements are the ``IfcElement`` instances except features (openings, voids) and virtual
elements. Each gets its GlobalId, class, name, the storey and building it belongs to
(following containment, then aggregation upwards) and its property sets and quantities
(``ifcopenshell.util.element.get_psets``, type properties inherited) as JSON.

Example
-------
>>> from twin.ifc.elements import model_elements, element_records, storey_records
>>> records = element_records(model, units)  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["ELEMENT_ROOT", "EXCLUDED", "model_elements", "ElementRecord", "element_records",
           "storey_records", "model_buildings", "space_areas"]

ELEMENT_ROOT = "IfcElement"
EXCLUDED = ("IfcFeatureElement", "IfcVirtualElement")


def model_elements(model) -> list:
    """The elements twin imports: IfcElement minus features and virtual elements."""
    out = []
    for el in model.by_type(ELEMENT_ROOT):
        if any(el.is_a(c) for c in EXCLUDED if _has(model, c)):
            continue
        out.append(el)
    return out


def _has(model, cls: str) -> bool:
    try:
        model.by_type(cls)
    except RuntimeError:
        return False
    return True


def model_buildings(model) -> list:
    """The IfcBuilding instances of ``model``."""
    return list(model.by_type("IfcBuilding"))


@dataclass
class ElementRecord:
    """The attributes of one element."""

    guid: str
    ifc_class: str
    name: str | None
    storey_guid: str | None
    storey: str | None
    building_guid: str | None
    psets: str
    predefined_type: str | None = None


def _parent(el):
    import ifcopenshell.util.element as ue

    container = ue.get_container(el)
    if container is not None:
        return container
    agg = ue.get_aggregate(el)
    if agg is not None:
        return agg
    nests = getattr(el, "Nests", None)
    if nests:
        return nests[0].RelatingObject
    return None


def _ancestry(el, cache: dict):
    """(storey, building) of ``el``, walking containment/aggregation upwards."""
    key = el.id()
    if key in cache:
        return cache[key]
    storey = building = None
    node = el
    seen = set()
    while node is not None and node.id() not in seen:
        seen.add(node.id())
        if storey is None and node.is_a("IfcBuildingStorey"):
            storey = node
        if node.is_a("IfcBuilding"):
            building = node
            break
        node = _parent(node)
    cache[key] = (storey, building)
    return storey, building


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "id"}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def element_records(model, elements=None) -> list[ElementRecord]:
    """One :class:`ElementRecord` per element (``model_elements`` by default)."""
    import ifcopenshell.util.element as ue

    elements = model_elements(model) if elements is None else elements
    cache: dict = {}
    out = []
    for el in elements:
        storey, building = _ancestry(el, cache)
        try:
            psets = _clean(ue.get_psets(el))
        except Exception as exc:  # noqa: BLE001 - malformed property sets
            psets = {"_error": f"property sets unreadable: {exc}"}
        out.append(ElementRecord(
            guid=el.GlobalId, ifc_class=el.is_a(), name=getattr(el, "Name", None),
            storey_guid=storey.GlobalId if storey is not None else None,
            storey=(storey.Name or storey.GlobalId) if storey is not None else None,
            building_guid=building.GlobalId if building is not None else None,
            psets=json.dumps(psets, ensure_ascii=False, default=str, separators=(",", ":")),
            predefined_type=str(getattr(el, "PredefinedType", None) or "") or None))
    return out


def _storey_elevation_local(storey, length_to_m: float) -> float:
    import ifcopenshell.util.placement as up

    if getattr(storey, "Elevation", None) is not None:
        return float(storey.Elevation) * length_to_m
    if storey.ObjectPlacement is not None:
        try:
            return float(up.get_local_placement(storey.ObjectPlacement)[2, 3]) * length_to_m
        except Exception:  # noqa: BLE001
            return 0.0
    return 0.0


def storey_records(model, length_to_m: float) -> list[dict]:
    """The storeys: guid, name, local elevation in metres and building GlobalId."""
    cache: dict = {}
    out = []
    for storey in model.by_type("IfcBuildingStorey"):
        _, building = _ancestry(storey, cache)
        out.append({"guid": storey.GlobalId, "name": storey.Name or storey.GlobalId,
                    "elev_local_m": _storey_elevation_local(storey, length_to_m),
                    "building_guid": building.GlobalId if building is not None else None})
    return out


_SPACE_QTOS = ("GrossFloorArea", "NetFloorArea")


def space_areas(model, area_to_m2: float) -> dict:
    """``{building GlobalId: (m², number of spaces with an area)}`` from IfcSpace
    GrossFloorArea (NetFloorArea when gross is missing) quantities."""
    import ifcopenshell.util.element as ue

    cache: dict = {}
    out: dict = {}
    for space in model.by_type("IfcSpace"):
        _, building = _ancestry(space, cache)
        qtos = ue.get_psets(space, qtos_only=True)
        area = None
        for name in _SPACE_QTOS:
            for qset in qtos.values():
                if isinstance(qset.get(name), (int, float)):
                    area = float(qset[name])
                    break
            if area is not None:
                break
        if area is None:
            continue
        key = building.GlobalId if building is not None else None
        total, count = out.get(key, (0.0, 0))
        out[key] = (total + area * area_to_m2, count + 1)
    return out
