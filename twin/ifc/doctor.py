"""Describe an IFC file without importing it: schema, units, counts and georeferencing.

:func:`inspect_ifc` is what ``twin ifc info`` and ``twin ifc doctor`` print. It opens the
file with the same checks as the reader, counts elements by class, and resolves the
georeferencing (never raising for a georeferencing problem: it is reported in
``georeferencing.error`` and ``status``). Nothing is written and no geometry is computed.

Example
-------
>>> from twin.ifc.doctor import inspect_ifc
>>> inspect_ifc("model.ifc")["georeferencing"]["source"]  # doctest: +SKIP
'IfcMapConversion'
"""

from __future__ import annotations

from collections import Counter

from ..crs import bounds_in_area_of_use, working_crs
from ..errors import GeoreferenceError, ReaderError
from .elements import model_buildings, model_elements
from .extent import placement_box
from .georef import DEFAULT_TOLERANCE_M, resolve_georef
from .open import open_ifc
from .placement_check import check_where
from .units import project_units

__all__ = ["inspect_ifc", "model_names"]


def model_names(model) -> dict:
    """The project, site, building and storey names (ifcopenshell decodes the STEP
    escapes: ``\\X2\\`` UTF-16, ``\\S\\`` and ``\\X\\`` Latin-1)."""
    def names(cls):
        return [e.Name for e in model.by_type(cls)]

    return {"project": names("IfcProject"), "site": names("IfcSite"),
            "building": names("IfcBuilding"), "storey": names("IfcBuildingStorey")}


def inspect_ifc(path, *, anchor=None, anchor_point=None, fix_scale: bool = False,
                tolerance_m: float = DEFAULT_TOLERANCE_M, member=None) -> dict:
    """A JSON-friendly description of ``path``; raises :class:`ReaderError` only when the
    file cannot be opened at all. ``anchor`` / ``anchor_point`` override the file's
    georeference (which is then listed in ``georeferencing.overridden``)."""
    with open_ifc(path, member=member) as opened:
        model = opened.model
        out: dict = {"file": str(path), "schema": opened.schema,
                     "syntax_warnings": opened.warnings}
        if not model.by_type("IfcProject"):
            raise ReaderError("the file has no IfcProject, so it has no units or "
                              "georeferencing", path=path)
        units = project_units(model)
        out["units"] = units.to_dict()
        out["names"] = model_names(model)
        elements = model_elements(model)
        out["elements"] = len(elements)
        out["counts_by_class"] = dict(Counter(el.is_a() for el in elements).most_common())
        out["storeys"] = len(model.by_type("IfcBuildingStorey"))
        out["spaces"] = len(model.by_type("IfcSpace"))
        out["buildings"] = [{"guid": b.GlobalId, "name": b.Name}
                            for b in model_buildings(model)]
        status = "ok"
        box = placement_box(model, elements, units.length_to_m)
        try:
            decision = resolve_georef(model, path=path, anchor=anchor,
                                      anchor_point=anchor_point, fix_scale=fix_scale,
                                      tolerance_m=tolerance_m,
                                      local_box_m=box)
        except GeoreferenceError as exc:
            out["georeferencing"] = {"source": None, "error": str(exc)}
            out["status"] = "error"
            return out
        geo = decision.to_dict()
        try:
            decision.require()
        except GeoreferenceError as exc:
            geo["error"] = str(exc)
        dst = working_crs()
        geo["working_crs"] = dst.to_string()
        if decision.placement is not None and "error" not in geo:
            try:
                x, y, _ = decision.placement.local_to(0.0, 0.0, 0.0, dst)
                x, y = float(x), float(y)
                geo["origin_working"] = [round(x, 3), round(y, 3)]
                geo["inside_working_crs"] = bool(bounds_in_area_of_use(dst, (x, y, x, y)))
            except Exception:  # noqa: BLE001 - pyproj fails on absurd input
                geo["origin_working"] = None
                geo["inside_working_crs"] = False
            try:  # where the elements go (what the import checks before meshing)
                check_where(decision, dst, box, path=path)
            except GeoreferenceError as exc:
                geo["inside_working_crs"] = False
                text = exc.message + (f"; {exc.hint}" if exc.hint else "")
                geo.setdefault("notes", []).append(text)
        if "error" in geo or any(c["level"] == "error" for c in decision.checks):
            status = "error"
        elif decision.contradictions or any(c["level"] == "warning" for c in decision.checks):
            status = "warnings"
        if status == "ok" and opened.warnings:
            status = "warnings"
        out["georeferencing"] = geo
        out["status"] = status
        return out
