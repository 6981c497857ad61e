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

__all__ = ["ELEMENT_ROOT", "EXCLUDED", "model_elements", "ElementRecord", "Relations",
           "spatial_parents",
           "element_records", "storey_records", "model_buildings", "space_areas"]

ELEMENT_ROOT = "IfcElement"
EXCLUDED = ("IfcFeatureElement", "IfcVirtualElement")


def model_elements(model) -> list:
    """The elements twin imports: IfcElement minus features and virtual elements."""
    excluded = {e.id() for c in EXCLUDED if _has(model, c) for e in model.by_type(c)}
    return [el for el in model.by_type(ELEMENT_ROOT) if el.id() not in excluded]


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


def spatial_parents(model) -> dict:
    """``{instance id: parent}`` from containment, aggregation and nesting only (what a
    spatial-structure walk needs, without the property links :class:`Relations` reads)."""
    parent: dict = {}
    for rel in model.by_type("IfcRelContainedInSpatialStructure"):
        for el in rel.RelatedElements or ():
            parent.setdefault(el.id(), rel.RelatingStructure)
    for rel in model.by_type("IfcRelAggregates"):
        for obj in rel.RelatedObjects or ():
            parent.setdefault(obj.id(), rel.RelatingObject)
    if _has(model, "IfcRelNests"):
        for rel in model.by_type("IfcRelNests"):
            for obj in rel.RelatedObjects or ():
                parent.setdefault(obj.id(), rel.RelatingObject)
    return parent


class Relations:
    """Spatial containment, aggregation, nesting and property links of a model, indexed
    once (walking them per element with ``ifcopenshell.util.element`` is slow)."""

    def __init__(self, model):
        self.parent: dict[int, object] = {}
        self.with_psets: set[int] = set()
        self.definitions: dict[int, list] = {}
        self.type_of: dict[int, object] = {}
        self._definition_cache: dict[int, dict] = {}
        for rel in model.by_type("IfcRelContainedInSpatialStructure"):
            for el in rel.RelatedElements or ():
                self.parent.setdefault(el.id(), rel.RelatingStructure)
        for rel in model.by_type("IfcRelAggregates"):
            for obj in rel.RelatedObjects or ():
                self.parent.setdefault(obj.id(), rel.RelatingObject)
        if _has(model, "IfcRelNests"):
            for rel in model.by_type("IfcRelNests"):
                for obj in rel.RelatedObjects or ():
                    self.parent.setdefault(obj.id(), rel.RelatingObject)
        for rel in model.by_type("IfcRelDefinesByProperties"):
            definition = rel.RelatingPropertyDefinition
            if definition is None:
                continue
            if definition.is_a("IfcPropertySetDefinitionSet"):
                members = list(definition.wrappedValue)
            else:
                members = [definition]
            for obj in rel.RelatedObjects or ():
                self.with_psets.add(obj.id())
                self.definitions.setdefault(obj.id(), []).extend(members)
        for rel in model.by_type("IfcRelDefinesByType"):
            typ = rel.RelatingType
            if typ is None:
                continue
            for obj in rel.RelatedObjects or ():
                self.type_of[obj.id()] = typ
                if typ.HasPropertySets:
                    self.with_psets.add(obj.id())
        self._cache: dict[int, tuple] = {}

    def _definition(self, definition) -> dict:
        import ifcopenshell.util.element as ue

        key = definition.id()
        hit = self._definition_cache.get(key)
        if hit is None:
            hit = self._definition_cache[key] = ue.get_property_definition(definition)
        return hit

    def psets(self, el) -> dict:
        """Property sets and quantities of ``el``, its type's first (like
        ``ifcopenshell.util.element.get_psets`` with inheritance), occurrence values
        overriding them."""
        out: dict = {}
        typ = self.type_of.get(el.id())
        if typ is not None:
            for definition in typ.HasPropertySets or ():
                out.setdefault(definition.Name, {}).update(self._definition(definition))
        for definition in self.definitions.get(el.id(), ()):
            out.setdefault(definition.Name, {}).update(self._definition(definition))
        return out

    def ancestry(self, el, *, is_element: bool = False):
        """(storey, building) of ``el``, walking containment/aggregation upwards.

        ``is_element`` (el is an IfcElement, so neither a storey nor a building) lets the
        answer come from its parent's cached one.
        """
        key = el.id()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if is_element:
            parent = self.parent.get(key)
            if parent is None:
                return (None, None)
            if not parent.is_a("IfcElement"):  # a spatial element: cache by its id
                return self.ancestry(parent)
        storey = building = None
        node, seen = el, set()
        while node is not None and node.id() not in seen:
            seen.add(node.id())
            if storey is None and node.is_a("IfcBuildingStorey"):
                storey = node
            if node.is_a("IfcBuilding"):
                building = node
                break
            node = self.parent.get(node.id())
        self._cache[key] = (storey, building)
        return storey, building


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "id"}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def element_records(model, elements=None, relations: Relations | None = None
                    ) -> list[ElementRecord]:
    """One :class:`ElementRecord` per element (``model_elements`` by default)."""
    elements = model_elements(model) if elements is None else elements
    rel = relations or Relations(model)
    predefined_index: dict[str, int] = {}
    labels: dict[tuple, tuple] = {}  # per (storey, building): their GlobalIds and name
    out = []
    for el in elements:
        storey, building = rel.ancestry(el, is_element=True)
        key = (storey.id() if storey is not None else 0,
               building.id() if building is not None else 0)
        label = labels.get(key)
        if label is None:
            label = labels[key] = (
                storey.GlobalId if storey is not None else None,
                (storey.Name or storey.GlobalId) if storey is not None else None,
                building.GlobalId if building is not None else None)
        if el.id() in rel.with_psets:
            try:
                psets = _clean(rel.psets(el))
            except Exception as exc:  # noqa: BLE001 - malformed property sets
                psets = {"_error": f"property sets unreadable: {exc}"}
            text = json.dumps(psets, ensure_ascii=False, default=str, separators=(",", ":"))
        else:
            text = "{}"
        cls = el.is_a()
        index = predefined_index.get(cls, -2)
        if index == -2:
            names = list(el.get_attribute_names())
            index = predefined_index[cls] = (names.index("PredefinedType")
                                             if "PredefinedType" in names else -1)
        predefined = el[index] if index >= 0 else None
        out.append(ElementRecord(
            guid=el[0], ifc_class=cls, name=el[2],  # IfcRoot: GlobalId, OwnerHistory, Name
            storey_guid=label[0], storey=label[1], building_guid=label[2], psets=text,
            predefined_type=str(predefined) if predefined else None))
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


def storey_records(model, length_to_m: float, relations: Relations | None = None
                   ) -> list[dict]:
    """The storeys: guid, name, local elevation in metres and building GlobalId."""
    rel = relations or Relations(model)
    out = []
    for storey in model.by_type("IfcBuildingStorey"):
        _, building = rel.ancestry(storey)
        out.append({"guid": storey.GlobalId, "name": storey.Name or storey.GlobalId,
                    "elev_local_m": _storey_elevation_local(storey, length_to_m),
                    "building_guid": building.GlobalId if building is not None else None})
    return out


_SPACE_QTOS = ("GrossFloorArea", "NetFloorArea")


def space_areas(model, area_to_m2: float, relations: Relations | None = None) -> dict:
    """``{building GlobalId: (m², number of spaces with an area)}`` from IfcSpace
    GrossFloorArea (NetFloorArea when gross is missing) quantities."""
    import ifcopenshell.util.element as ue

    rel = relations or Relations(model)
    out: dict = {}
    for space in model.by_type("IfcSpace"):
        _, building = rel.ancestry(space)
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
