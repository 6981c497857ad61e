"""The model check on import (入库检查, CJJ/T 315 §4.3.3): rules and an IDS in one pass.

:func:`check_model` runs, on one open model, each rule below (every entity list is taken
from the model once) and then an IDS through ``ifctester``:

===============  =====================================================================
``GRF-EPSG``     the IfcProjectedCRS (``ePSet_ProjectedCRS`` in IFC2X3) names a valid
                 EPSG code (buildingSMART validation service, GRF group)
``GRF-SCALE``    the IfcMapConversion Scale agrees with the project and map units
``GRF-NORTH``    the model context states its true north (warning: IFC then assumes +Y)
``GRF-VDATUM``   the projected CRS states its vertical datum (warning)
``GUID-UNIQUE``  every IfcRoot has its own GlobalId
``UNITS``        the project assigns a length unit
``SPATIAL``      every element sits in a spatial structure (contained or aggregated)
``STOREY-ORDER`` each building's storeys are listed in elevation order, at distinct
                 elevations (warning)
===============  =====================================================================

The IDS is the default Boli review shipped in the package (``rules/boli_review.ids``:
storey elevations, spaces with a gross floor area, ``Pset_WallCommon`` /
``Pset_SlabCommon``) unless another file is given, or none (``ids="none"``). Each
specification gives pass/fail, the number of applicable elements and the failing
elements' GlobalIds. :func:`write_bcf` writes every failure as a BCF topic
(``bcf-client``, installed with ifctester).

Example
-------
>>> from twin.ifc.check import check_file
>>> report = check_file("model.ifc")  # doctest: +SKIP
>>> report.failures, [r.code for r in report.rules if r.status == "fail"]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import GeoreferenceError, ReaderError

__all__ = ["DEFAULT_IDS", "RuleResult", "IdsResult", "ModelCheck", "check_model",
           "check_file", "write_bcf", "failing_elements"]

DEFAULT_IDS = Path(__file__).with_name("rules") / "boli_review.ids"
_EPSG = re.compile(r"^\s*EPSG\s*:\s*\d+\s*$", re.I)
_LIST = 50  # failing GlobalIds kept per rule or specification


@dataclass
class RuleResult:
    """One rule: ``status`` pass, fail, warning or n/a; ``failing`` GlobalIds (or entity
    references) of what fails, at most 50, ``count`` all of them."""

    code: str
    title: str
    status: str
    message: str = ""
    count: int = 0
    failing: list[str] = field(default_factory=list)


@dataclass
class IdsResult:
    """One IDS specification: pass/fail, applicable and failing element counts, the
    failing elements' GlobalIds (at most 50) and the first reasons."""

    name: str
    status: str
    applicable: int
    failed: int
    failing: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    description: str = ""


@dataclass
class ModelCheck:
    """What :func:`check_model` found."""

    file: str
    schema: str
    rules: list[RuleResult]
    ids_file: str | None = None
    ids: list[IdsResult] = field(default_factory=list)

    @property
    def failures(self) -> int:
        """Failed rules plus failed IDS specifications."""
        return (sum(r.status == "fail" for r in self.rules)
                + sum(s.status == "fail" for s in self.ids))

    @property
    def warnings(self) -> int:
        """Rules that passed with a warning."""
        return sum(r.status == "warning" for r in self.rules)

    def to_dict(self) -> dict:
        """A JSON-friendly dict (``twin ifc check --json``, the import report)."""
        return {"file": self.file, "schema": self.schema, "failures": self.failures,
                "warnings": self.warnings, "passed": self.failures == 0,
                "rules": [asdict(r) for r in self.rules], "ids_file": self.ids_file,
                "ids": [asdict(s) for s in self.ids]}


def _rule(code, title, bad: list, message_fail: str, message_pass: str = "",
          level: str = "fail", limit: int | None = _LIST) -> RuleResult:
    if bad:
        return RuleResult(code, title, level, message_fail, len(bad),
                          [str(b) for b in bad[:limit]])
    return RuleResult(code, title, "pass", message_pass)


def _projected_crs(model) -> tuple[str | None, str | None, bool]:
    """(Name, VerticalDatum, found) of the projected CRS, IFC4 entity or IFC2X3 pset."""
    if model.schema == "IFC2X3":
        import ifcopenshell.util.element as ue

        projects = model.by_type("IfcProject")
        pset = ue.get_pset(projects[0], "ePSet_ProjectedCRS") if projects else None
        if not pset:
            return None, None, False
        return pset.get("Name"), pset.get("VerticalDatum"), True
    crss = model.by_type("IfcProjectedCRS")
    if not crss:
        return None, None, False
    return crss[0].Name, crss[0].VerticalDatum, True


def _grf_rules(model, path) -> list[RuleResult]:
    import ifcopenshell.util.geolocation as geoloc
    from pyproj import CRS

    from .georef import GeorefDecision, _map_conversion
    from .units import project_units

    out = []
    name, datum, found = _projected_crs(model)
    where = "ePSet_ProjectedCRS" if model.schema == "IFC2X3" else "IfcProjectedCRS"
    if not found:
        out.append(RuleResult("GRF-EPSG", "EPSG present and valid", "fail",
                              f"no {where}: the model names no EPSG code", 1, ["(model)"]))
    elif not name or not _EPSG.match(str(name)):
        out.append(RuleResult("GRF-EPSG", "EPSG present and valid", "fail",
                              f"{where}.Name {name!r} is not an EPSG code ('EPSG:NNNN')", 1,
                              [where]))
    else:
        try:
            CRS.from_user_input(str(name).replace(" ", ""))
            out.append(RuleResult("GRF-EPSG", "EPSG present and valid", "pass", str(name)))
        except Exception:  # noqa: BLE001 - pyproj CRSError
            out.append(RuleResult("GRF-EPSG", "EPSG present and valid", "fail",
                                  f"{name} is not a known EPSG code", 1, [where]))
    if out[-1].status == "pass":
        try:  # only the MapConversion reading and its Scale check (no positions)
            decision = GeorefDecision(path=str(path), units=project_units(model))
            _map_conversion(model, decision.units, decision, path=path, fix_scale=False)
            bad = [c["message"] for c in decision.checks if c["code"] == "scale_mismatch"]
            out.append(_rule("GRF-SCALE", "MapConversion consistent with units", bad,
                             bad[0] if bad else "", "Scale agrees with the units"))
        except GeoreferenceError as exc:
            out.append(RuleResult("GRF-SCALE", "MapConversion consistent with units", "fail",
                                  exc.message, 1, ["IfcMapConversion"]))
    else:
        out.append(RuleResult("GRF-SCALE", "MapConversion consistent with units", "n/a",
                              "no valid projected CRS to check against"))
    contexts = [c for c in model.by_type("IfcGeometricRepresentationContext",
                                         include_subtypes=False)
                if getattr(c, "ContextType", None) in (None, "Model", "Design")]
    stated = [c for c in contexts if getattr(c, "TrueNorth", None) is not None]
    if stated:
        out.append(RuleResult("GRF-NORTH", "true north present", "pass",
                              f"{float(geoloc.get_true_north(model) or 0.0):.3f}°"))
    else:
        out.append(RuleResult("GRF-NORTH", "true north present", "warning",
                              "the model context has no TrueNorth (+Y is taken as north)", 1,
                              [f"#{c.id()}" for c in contexts] or ["(model)"]))
    if found:
        out.append(RuleResult("GRF-VDATUM", "vertical datum stated",
                              "pass" if datum else "warning",
                              str(datum) if datum else f"{where}.VerticalDatum is empty",
                              0 if datum else 1, [] if datum else [where]))
    else:
        out.append(RuleResult("GRF-VDATUM", "vertical datum stated", "n/a",
                              "no projected CRS"))
    return out


def _structure_rules(model, parse_clean: bool = False, limit: int | None = _LIST
                     ) -> list[RuleResult]:
    from .elements import model_elements, spatial_parents

    out = []
    roots = model.by_type("IfcRoot")
    if parse_clean:  # ifcopenshell's parse warns for every GlobalId used twice
        dups = []
    else:
        guids = [r[0] for r in roots]  # IfcRoot.GlobalId, by position (fast)
        dups = [] if len(set(guids)) == len(guids) else \
            sorted(g for g, n in Counter(guids).items() if n > 1)
    out.append(_rule("GUID-UNIQUE", "unique GlobalIds", dups,
                     f"{len(dups)} GlobalId(s) used more than once",
                     f"{len(roots)} GlobalIds, all distinct", limit=limit))
    projects = model.by_type("IfcProject")
    units = getattr(projects[0], "UnitsInContext", None) if projects else None
    length = [u for u in (units.Units if units is not None else ())
              if getattr(u, "UnitType", None) == "LENGTHUNIT"]
    out.append(_rule("UNITS", "units present", [] if length else ["IfcProject"],
                     "the project assigns no length unit (IfcUnitAssignment)",
                     "length unit assigned"))
    parent = spatial_parents(model)
    elements = model_elements(model)
    spatial = ("IfcSpatialElement" if model.schema != "IFC2X3"
               else "IfcSpatialStructureElement")
    loose = []
    for el in elements:
        node, seen = parent.get(el.id()), set()
        while node is not None and not node.is_a(spatial) and node.id() not in seen:
            seen.add(node.id())
            node = parent.get(node.id())
        if node is None or not node.is_a(spatial):
            loose.append(el.GlobalId)
    out.append(_rule("SPATIAL", "every element in a spatial structure", loose,
                     f"{len(loose)} element(s) in no site, building, storey or space",
                     f"{len(elements)} elements placed in the spatial structure",
                     limit=limit))
    disorder = []
    for building in model.by_type("IfcBuilding"):
        storeys = [o for rel in building.IsDecomposedBy or () for o in rel.RelatedObjects
                   if o.is_a("IfcBuildingStorey")]
        elevs = [s.Elevation for s in storeys]
        known = [e for e in elevs if e is not None]
        if len(set(known)) != len(known) or known != sorted(known):
            disorder.append(building.GlobalId)
    out.append(_rule("STOREY-ORDER", "storeys ordered by elevation", disorder,
                     "storeys listed out of elevation order or at the same elevation",
                     "storeys in elevation order", level="warning"))
    return out


def _ids_results(model, ids_path, limit: int | None = _LIST) -> list[IdsResult]:
    from ifctester import ids as ids_mod

    try:
        spec = ids_mod.open(str(ids_path))
    except FileNotFoundError:
        raise ReaderError("IDS file not found", path=ids_path) from None
    except Exception as exc:  # noqa: BLE001 - XML or IDS schema errors
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReaderError(f"not a readable IDS file ({text})", path=ids_path,
                          hint="check it against the buildingSMART IDS 1.0 schema") from None
    spec.validate(model)
    out = []
    for s in spec.specifications:
        failing = sorted({getattr(e, "GlobalId", None) or f"#{e.id()}"
                          for e in s.failed_entities})
        reasons = []
        for facet in s.requirements:
            for failure in facet.failures[:3]:
                reasons.append(f"{getattr(failure['element'], 'GlobalId', '')}: "
                               f"{failure['reason']}")
        status = "pass" if s.status else "fail"
        if s.status is None:
            status = "n/a"
        out.append(IdsResult(name=s.name, status=status, applicable=len(s.applicable_entities),
                             failed=len(failing), failing=failing[:limit], reasons=reasons[:3],
                             description=s.description or ""))
    return out


def check_model(model, *, path, ids=None, parse_clean: bool = False,
                limit: int | None = _LIST) -> ModelCheck:
    """Check the open ``model`` (``path`` names it in messages): the rules, then the IDS
    ``ids`` (a path; None for the shipped Boli review; ``"none"`` for no IDS).
    ``parse_clean``: ifcopenshell's parse of the file logged no warning
    (:attr:`~twin.ifc.open.OpenedIfc.parse_clean`), so no GlobalId is used twice.
    ``limit``: failing GlobalIds kept per rule or specification (None: all of them, as
    the import stores them for the preview map)."""
    rules = _grf_rules(model, path) + _structure_rules(model, parse_clean, limit)
    ids_path = None if ids in ("none", "") else Path(ids) if ids else DEFAULT_IDS
    report = ModelCheck(file=str(path), schema=model.schema, rules=rules,
                        ids_file=str(ids_path) if ids_path else None)
    if ids_path is not None:
        report.ids = _ids_results(model, ids_path, limit)
    return report


def failing_elements(check: dict) -> dict[str, list[str]]:
    """``{GlobalId: [rule, ...]}`` of a stored model check (:meth:`ModelCheck.to_dict`):
    every failed rule (its code) and IDS specification (``IDS <name>``) that lists the
    GlobalId, in the check's order. Model-wide failures (GRF-*, UNITS) name no element."""
    out: dict[str, list[str]] = {}
    for rule in check.get("rules") or ():
        if rule.get("status") == "fail":
            for guid in rule.get("failing") or ():
                out.setdefault(str(guid), []).append(rule["code"])
    for spec in check.get("ids") or ():
        if spec.get("status") == "fail":
            for guid in spec.get("failing") or ():
                out.setdefault(str(guid), []).append(f"IDS {spec['name']}")
    return out


def check_file(path, *, ids=None, member=None) -> ModelCheck:
    """Open ``path`` with the reader's checks and :func:`check_model` it."""
    from .open import open_ifc

    # lazy: the check reads a part of the model, so the open only indexes it (the index
    # pass still warns for a duplicate id or GlobalId, see OpenedIfc.parse_clean)
    with open_ifc(path, member=member, lazy=True) as opened:
        return check_model(opened.model, path=path, ids=ids, parse_clean=opened.parse_clean)


def write_bcf(report: ModelCheck, path, out) -> Path:
    """Write every failure of ``report`` (rules and IDS) as a BCF 2.1 topic to ``out``."""
    from bcf.v2.bcfxml import BcfXml

    out = Path(out)
    bcf = BcfXml.create_new(f"twin ifc check {Path(path).name}")
    for rule in report.rules:
        if rule.status == "fail":
            for item in rule.failing or ["(model)"]:
                bcf.add_topic(f"{rule.code} {item}", f"{rule.title}: {rule.message}", "twin")
    for spec in report.ids:
        if spec.status == "fail":
            for guid in spec.failing:
                bcf.add_topic(f"IDS {spec.name} - {guid}", spec.description or spec.name,
                              "twin")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    bcf.save(tmp)
    tmp.replace(out)
    return out
