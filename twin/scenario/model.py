"""What a scenario is: a named, ordered list of edits, saved as a readable JSON document.

A scenario never holds data of its own beyond what its edits say; applying it to the store
(:mod:`twin.scenario.apply`) gives a view with the edits on top of the base layers.

Every edit is a small dataclass with an ``op`` name. Its JSON form is ``{"op": ..., field:
value, ...}``; unknown fields and ops are refused with an error that names the edit.

Example
-------
>>> from twin.scenario.model import Scenario, AddBuilding, FloodLevel
>>> s = Scenario("tower", edits=[AddBuilding(footprint=[(0, 0), (30, 0), (30, 30), (0, 30)],
...                                          height_m=100, crs="EPSG:4549", id="T1"),
...                              FloodLevel(level_m=4.5)])
>>> Scenario.from_dict(s.to_dict()) == s
True
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ScenarioError

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "Edit",
    "AddBuilding",
    "RemoveBuilding",
    "SetBuilding",
    "SetParcel",
    "AddRoad",
    "RiverBuffer",
    "FloodLevel",
    "AddFacility",
    "AddIfc",
    "EDIT_TYPES",
    "edit_from_dict",
    "Scenario",
    "stack",
]

FORMAT = "twin-scenario"
SCHEMA_VERSION = 1

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Edit:
    """Base class of every edit; ``op`` is the edit's name in JSON and in the CLI."""

    op: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"op": ..., field: value}`` without fields left at ``None``."""
        out: dict[str, Any] = {"op": self.op}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = _jsonable(value)
        return out

    def describe(self) -> str:
        """A one-line human description (for ``twin scenario show`` and the app)."""
        parts = [f"{k}={_short(v)}" for k, v in self.to_dict().items() if k != "op"]
        return f"{self.op} " + " ".join(parts)


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _short(value) -> str:
    if isinstance(value, list) and value and isinstance(value[0], list):
        return f"[{len(value)} points]"
    return str(value)


def _points(value, what: str) -> tuple[tuple[float, float], ...]:
    try:
        pts = tuple((float(p[0]), float(p[1])) for p in value)
    except (TypeError, ValueError, IndexError):
        raise ScenarioError(f"{what} must be a list of [x, y] pairs, got {value!r}") from None
    return pts


@dataclass(frozen=True)
class AddBuilding(Edit):
    """Propose a new LOD1 building from a footprint ring (x, y pairs) with height, floors and use.

    ``crs`` is the CRS of the footprint: WGS84 lon/lat by default (what the app's drawing
    gives), or the working CRS (``EPSG:4549``). A missing ``floors`` is ``height_m / 3``;
    a missing ``height_m`` is ``floors * 3``. ``id`` defaults to ``new-<edit number>``.
    """

    op: ClassVar[str] = "add_building"
    footprint: tuple[tuple[float, float], ...] = ()
    height_m: float | None = None
    floors: int | None = None
    use: str = "R"
    id: str | None = None
    name: str | None = None
    base_elev_m: float | None = None
    crs: str = WGS84

    def __post_init__(self):
        object.__setattr__(self, "footprint", _points(self.footprint, "footprint"))


@dataclass(frozen=True)
class RemoveBuilding(Edit):
    """Demolish the building ``id`` (its BIM elements go with it)."""

    op: ClassVar[str] = "remove_building"
    id: str = ""


@dataclass(frozen=True)
class SetBuilding(Edit):
    """Change a building's height, floors, use or name; ``None`` keeps the value."""

    op: ClassVar[str] = "set_building"
    id: str = ""
    height_m: float | None = None
    floors: int | None = None
    use: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class SetParcel(Edit):
    """Change a parcel's land use or planning limits; ``None`` keeps the value."""

    op: ClassVar[str] = "set_parcel"
    id: str = ""
    land_use: str | None = None
    max_far: float | None = None
    max_density: float | None = None
    max_height_m: float | None = None
    min_green_ratio: float | None = None


@dataclass(frozen=True)
class AddRoad(Edit):
    """Propose a road: a centre line (x, y pairs) with a red-line width."""

    op: ClassVar[str] = "add_road"
    coords: tuple[tuple[float, float], ...] = ()
    width_m: float = 12.0
    name: str | None = None
    id: str | None = None
    road_class: str = "planned"
    crs: str = WGS84

    def __post_init__(self):
        object.__setattr__(self, "coords", _points(self.coords, "coords"))


@dataclass(frozen=True)
class RiverBuffer(Edit):
    """Set the blue-line buffer zone of river ``river`` to ``distance_m`` (its ``setback_m``)."""

    op: ClassVar[str] = "river_buffer"
    river: str = ""
    distance_m: float = 0.0


@dataclass(frozen=True)
class FloodLevel(Edit):
    """Set the flood water level (metres, 1985 datum) the flood query uses."""

    op: ClassVar[str] = "flood_level"
    level_m: float = 0.0


@dataclass(frozen=True)
class AddFacility(Edit):
    """Propose a facility (school, clinic, elderly_care, metro_station, park...) at a point."""

    op: ClassVar[str] = "add_facility"
    x: float = 0.0
    y: float = 0.0
    kind: str = "school"
    name: str | None = None
    id: str | None = None
    capacity: float | None = None
    crs: str = WGS84


@dataclass(frozen=True)
class AddIfc(Edit):
    """Propose the building of an IFC file, placed by its georeferencing or by ``anchor``.

    ``anchor`` is ``"LON,LAT,ELEV,ROT"``. ``sha256`` pins the file's content: applying a
    scenario whose file has changed is an error, so the same scenario gives the same view.
    """

    op: ClassVar[str] = "add_ifc"
    path: str = ""
    anchor: str | None = None
    id: str | None = None
    sha256: str | None = None


EDIT_TYPES: dict[str, type[Edit]] = {
    cls.op: cls
    for cls in (AddBuilding, RemoveBuilding, SetBuilding, SetParcel, AddRoad, RiverBuffer,
                FloodLevel, AddFacility, AddIfc)
}


def edit_from_dict(data: dict, *, index: int | None = None) -> Edit:
    """Build an edit from its JSON form; an unknown op or field is a :class:`ScenarioError`."""
    where = f"edit {index}" if index is not None else "edit"
    if not isinstance(data, dict):
        raise ScenarioError(f"must be an object with an 'op', got {data!r}", where=where)
    op = str(data.get("op", "")).replace("-", "_")
    cls = EDIT_TYPES.get(op)
    if cls is None:
        raise ScenarioError(f"unknown edit op {data.get('op')!r}", where=where,
                            hint="ops: " + ", ".join(EDIT_TYPES))
    names = {f.name for f in dataclasses.fields(cls)}
    extra = sorted(set(data) - names - {"op"})
    if extra:
        raise ScenarioError(f"{op} has no field(s) {extra}", where=where,
                            hint="fields: " + ", ".join(sorted(names)))
    kwargs = {k: v for k, v in data.items() if k != "op"}
    scalar = {f.name: str(f.type).replace(" | None", "") for f in dataclasses.fields(cls)}
    for key, value in kwargs.items():
        if value is not None and scalar[key] in ("float", "int"):
            kwargs[key] = _finite_number(value, key, whole=scalar[key] == "int",
                                         where=f"{where} ({op})")
    try:
        return cls(**kwargs)
    except ScenarioError as exc:
        raise ScenarioError(exc.message, where=f"{where} ({op})") from None
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{op}: {exc}", where=where) from None


def _finite_number(value, key: str, *, whole: bool, where: str):
    """``value`` as a finite float (or int when ``whole``); else a :class:`ScenarioError`."""
    kind = "a whole number" if whole else "a number"
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{key} must be {kind}, got {value!r}", where=where) from None
    if not math.isfinite(number):
        raise ScenarioError(f"{key} must be a finite number, got {value!r}", where=where)
    return int(number) if whole else number


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class Scenario:
    """A named, ordered list of edits.

    ``base`` optionally pins layer versions (``{layer: version}``): applying then reads those
    versions, so the scenario gives the same view after the base moves on.
    """

    name: str
    edits: list[Edit] = field(default_factory=list)
    description: str = ""
    base: dict[str, int] = field(default_factory=dict)
    created: str = field(default_factory=_now, compare=False)

    def add(self, edit: Edit) -> Scenario:
        """Append ``edit`` (returns the scenario, for chaining)."""
        if not isinstance(edit, Edit):
            raise ScenarioError(f"not an edit: {edit!r}", where=f"scenario {self.name!r}")
        self.edits.append(edit)
        return self

    def remove(self, index: int) -> Edit:
        """Remove and return edit number ``index`` (0-based)."""
        try:
            return self.edits.pop(index)
        except IndexError:
            raise ScenarioError(f"has no edit {index} (it has {len(self.edits)})",
                                where=f"scenario {self.name!r}") from None

    def copy(self, name: str | None = None) -> Scenario:
        """A copy under another name (duplicating a scenario)."""
        return Scenario(name or self.name, list(self.edits), self.description, dict(self.base))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (format, schema version, name, edits in order)."""
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "created": self.created,
            "base": dict(self.base),
            "edits": [e.to_dict() for e in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        """Read a scenario document; a newer schema or another format is refused."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ScenarioError("not a twin scenario document (no format 'twin-scenario')",
                                hint="export one with `twin scenario export NAME`")
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
            raise ScenarioError(f"scenario schema version {version!r} is not supported "
                                f"(this twin reads 1..{SCHEMA_VERSION})",
                                where=f"scenario {data.get('name')!r}",
                                hint="upgrade twin")
        name = str(data.get("name") or "")
        edits = [edit_from_dict(e, index=i) for i, e in enumerate(data.get("edits") or [])]
        return cls(name=name, edits=edits, description=str(data.get("description") or ""),
                   base={str(k): int(v) for k, v in (data.get("base") or {}).items()},
                   created=str(data.get("created") or _now()))


def stack(*scenarios: Scenario, name: str | None = None) -> Scenario:
    """One scenario with the edits of ``scenarios`` in order (later edits see earlier ones).

    Pinned base versions are merged; two scenarios pinning one layer at different versions
    are an error.
    """
    if not scenarios:
        raise ScenarioError("nothing to stack: give at least one scenario")
    base: dict[str, int] = {}
    edits: list[Edit] = []
    for sc in scenarios:
        for layer, version in sc.base.items():
            if base.setdefault(layer, version) != version:
                raise ScenarioError(f"pins layer {layer!r} at version {version} but an earlier "
                                    f"scenario pins version {base[layer]}",
                                    where=f"scenario {sc.name!r}")
        edits.extend(sc.edits)
    return Scenario(name or "+".join(s.name for s in scenarios), edits,
                    " + ".join(s.description for s in scenarios if s.description), base)
