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
from .georef import DEFAULT_TOLERANCE_M, resolve_georef
from .open import open_ifc
from .units import project_units

__all__ = ["inspect_ifc"]


def inspect_ifc(path, *, anchor=None, fix_scale: bool = False,
                tolerance_m: float = DEFAULT_TOLERANCE_M) -> dict:
    """A JSON-friendly description of ``path``; raises :class:`ReaderError` only when the
    file cannot be opened at all."""
    with open_ifc(path) as opened:
        model = opened.model
        out: dict = {"file": str(path), "schema": opened.schema,
                     "syntax_warnings": opened.warnings}
        if not model.by_type("IfcProject"):
            raise ReaderError("the file has no IfcProject, so it has no units or "
                              "georeferencing", path=path)
        units = project_units(model)
        out["units"] = units.to_dict()
        elements = model_elements(model)
        out["elements"] = len(elements)
        out["counts_by_class"] = dict(Counter(el.is_a() for el in elements).most_common())
        out["storeys"] = len(model.by_type("IfcBuildingStorey"))
        out["spaces"] = len(model.by_type("IfcSpace"))
        out["buildings"] = [{"guid": b.GlobalId, "name": b.Name}
                            for b in model_buildings(model)]
        status = "ok"
        try:
            decision = resolve_georef(model, path=path, anchor=anchor, fix_scale=fix_scale,
                                      tolerance_m=tolerance_m)
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
            if not geo["inside_working_crs"]:
                geo.setdefault("notes", []).append(
                    f"the project origin is outside the working CRS {dst.to_string()}'s "
                    "area of use; importing needs another $TWIN_CRS (or a correct "
                    "georeference)")
        if "error" in geo or any(c["level"] == "error" for c in decision.checks):
            status = "error"
        elif decision.contradictions or any(c["level"] == "warning" for c in decision.checks):
            status = "warnings"
        if status == "ok" and opened.warnings:
            status = "warnings"
        out["georeferencing"] = geo
        out["status"] = status
        return out
