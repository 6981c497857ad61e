"""Project units of an IFC model, from :mod:`ifcopenshell.util.unit`.

Example
-------
>>> from twin.ifc.units import project_units
>>> project_units(model)  # doctest: +SKIP
ProjectUnits(length_name='MILLIMETRE', length_to_m=0.001, area_to_m2=1.0, volume_to_m3=1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProjectUnits", "project_units", "unit_to_metres", "unit_label"]


@dataclass(frozen=True)
class ProjectUnits:
    """The project's length, area and volume units and their factors to SI."""

    length_name: str
    length_to_m: float
    area_to_m2: float
    volume_to_m3: float

    def to_dict(self) -> dict:
        """A JSON-friendly dict."""
        return dict(self.__dict__)


def unit_label(unit) -> str:
    """A readable name of an IfcNamedUnit (``MILLIMETRE``, ``FOOT``, ``us survey foot``)."""
    if unit is None:
        return "?"
    if unit.is_a("IfcSIUnit"):
        prefix = unit.Prefix or ""
        return f"{prefix}{unit.Name}"
    return str(getattr(unit, "Name", None) or unit.is_a())


def unit_to_metres(unit) -> float | None:
    """The factor from an IfcNamedUnit of length to metres (None when not a length)."""
    import ifcopenshell.util.unit as uu

    if unit is None:
        return None
    try:
        return float(uu.get_unit_scale(unit) if hasattr(uu, "get_unit_scale") else None)
    except Exception:  # noqa: BLE001 - malformed unit definitions
        pass
    try:
        if unit.is_a("IfcSIUnit"):
            return float(uu.get_prefix_multiplier(unit.Prefix)) if unit.Prefix else 1.0
        if unit.is_a("IfcConversionBasedUnit"):
            factor = unit.ConversionFactor
            value = factor.ValueComponent.wrappedValue
            return float(value) * (unit_to_metres(factor.UnitComponent) or 1.0)
    except Exception:  # noqa: BLE001
        return None
    return None


def project_units(model) -> ProjectUnits:
    """The project length/area/volume units of ``model`` (SI metres when unassigned)."""
    import ifcopenshell.util.unit as uu

    if not model.by_type("IfcProject"):
        return ProjectUnits("METRE (no IfcProject)", 1.0, 1.0, 1.0)
    length = uu.get_project_unit(model, "LENGTHUNIT")
    length_to_m = float(uu.calculate_unit_scale(model, "LENGTHUNIT"))
    try:
        area = float(uu.calculate_unit_scale(model, "AREAUNIT"))
    except Exception:  # noqa: BLE001
        area = length_to_m ** 2
    try:
        volume = float(uu.calculate_unit_scale(model, "VOLUMEUNIT"))
    except Exception:  # noqa: BLE001
        volume = length_to_m ** 3
    name = unit_label(length) if length is not None else "METRE (unassigned)"
    return ProjectUnits(length_name=name, length_to_m=length_to_m, area_to_m2=area,
                        volume_to_m3=volume)
