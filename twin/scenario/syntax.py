"""The compact edit syntax of ``twin scenario add``: words in, :class:`Edit` objects out.

An edit is an op followed by ``key=value`` words; several edits can follow each other::

    add-building footprint=119.90,35.73;119.901,35.73;119.901,35.731 height=100 use=R id=T1
    remove-building id=B7
    set-building id=B3 height=45 floors=15
    set-parcel id=P2 land_use=B max_far=3.5
    add-road coords=x1,y1;x2,y2 width=24 name=新路 crs=EPSG:4549
    river-buffer river=R1 distance=30
    flood level=4.5
    add-facility 119.9,35.73 kind=school name=新学校
    add-ifc tower.ifc anchor=119.9,35.73,3,0 id=T2

A word that starts with ``{`` is a whole edit in JSON (``{"op": "flood_level", "level_m": 4}``).
Coordinates are WGS84 lon/lat unless ``crs=`` says otherwise (``crs=working`` is the working
CRS). Key aliases: ``height``→``height_m``, ``distance``→``distance_m``, ``level``→``level_m``,
``width``→``width_m``, ``far``→``max_far``.
"""

from __future__ import annotations

import dataclasses
import json

from ..crs import working_crs
from ..errors import ScenarioError
from .model import EDIT_TYPES, Edit, edit_from_dict

__all__ = ["parse_edits", "OP_ALIASES", "KEY_ALIASES", "parse_points"]

OP_ALIASES = {
    "flood": "flood_level",
    "buffer": "river_buffer",
    "ifc": "add_ifc",
}
KEY_ALIASES = {
    "height": "height_m",
    "distance": "distance_m",
    "level": "level_m",
    "width": "width_m",
    "far": "max_far",
    "density": "max_density",
    "max_height": "max_height_m",
    "green_ratio": "min_green_ratio",
    "landuse": "land_use",
    "base_elev": "base_elev_m",
    "file": "path",
    "class": "road_class",
}
_POINT_FIELDS = {"footprint", "coords"}
_INT_FIELDS = {"floors"}


def _op_name(word: str) -> str | None:
    op = word.strip().lower().replace("-", "_")
    op = OP_ALIASES.get(op, op)
    return op if op in EDIT_TYPES else None


def parse_points(text: str, what: str = "coordinates") -> list[list[float]]:
    """``"x1,y1;x2,y2;..."`` (or whitespace between pairs) as ``[[x1, y1], ...]``."""
    pairs = [p for p in text.replace("\n", ";").replace(" ", ";").split(";") if p.strip()]
    out = []
    for pair in pairs:
        parts = pair.split(",")
        if len(parts) != 2:
            raise ScenarioError(f"{what}: {pair!r} is not an x,y pair",
                                hint="write x1,y1;x2,y2;…")
        try:
            out.append([float(parts[0]), float(parts[1])])
        except ValueError:
            raise ScenarioError(f"{what}: {pair!r} is not two numbers") from None
    return out


def _crs_value(value: str) -> str:
    low = value.strip().lower()
    if low in {"working", "local", "project"}:
        return working_crs().to_string()
    if low in {"wgs84", "lonlat", "lon/lat"}:
        return "EPSG:4326"
    return value.strip()


def _finish(op: str, words: list[str], index: int) -> Edit:
    cls = EDIT_TYPES[op]
    names = {f.name for f in dataclasses.fields(cls)}
    data: dict = {"op": op}
    positional = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            positional.append(word)
            continue
        key = key.strip().lower().replace("-", "_")
        key = KEY_ALIASES.get(key, key)
        if key not in names:
            raise ScenarioError(f"{op} has no field {key!r}", where=f"edit {index}",
                                hint="fields: " + ", ".join(sorted(names)))
        if key in _POINT_FIELDS:
            data[key] = parse_points(value, key)
        elif key == "crs":
            data[key] = _crs_value(value)
        elif key in _INT_FIELDS:
            try:
                data[key] = int(float(value))
            except (ValueError, OverflowError):
                raise ScenarioError(f"{key} must be a whole number, got {value!r}",
                                    where=f"edit {index} ({op})") from None
        else:
            data[key] = _number_or_text(value, cls, key, where=f"edit {index} ({op})")
    if positional:
        if op == "add_facility" and len(positional) == 1:
            pts = parse_points(positional[0], "position")
            if len(pts) != 1:
                raise ScenarioError("add-facility takes one x,y position",
                                    where=f"edit {index} ({op})")
            data["x"], data["y"] = pts[0]
        elif op == "add_ifc" and len(positional) == 1:
            data["path"] = positional[0]
        else:
            raise ScenarioError(f"unexpected word(s) {positional} (write key=value)",
                                where=f"edit {index} ({op})")
    return edit_from_dict(data, index=index)


def _number_or_text(value: str, cls, key: str, *, where: str):
    field = {f.name: f for f in dataclasses.fields(cls)}[key]
    if "float" in str(field.type):
        try:
            return float(value)
        except ValueError:
            raise ScenarioError(f"{key} must be a number, got {value!r}", where=where) from None
    return value


def parse_edits(words: list[str], *, start: int = 0) -> list[Edit]:
    """Parse CLI words into edits; ``start`` numbers them after a scenario's existing edits."""
    edits: list[Edit] = []
    op: str | None = None
    pending: list[str] = []
    for word in words:
        if word.lstrip().startswith("{"):
            if op is not None:
                edits.append(_finish(op, pending, start + len(edits)))
                op, pending = None, []
            try:
                data = json.loads(word)
            except json.JSONDecodeError as exc:
                raise ScenarioError(f"not valid JSON: {exc}",
                                    where=f"edit {start + len(edits)}") from None
            edits.append(edit_from_dict(data, index=start + len(edits)))
            continue
        name = _op_name(word)
        if name is not None and "=" not in word:
            if op is not None:
                edits.append(_finish(op, pending, start + len(edits)))
            op, pending = name, []
            continue
        if op is None:
            raise ScenarioError(f"{word!r} is not an edit", where=f"edit {start + len(edits)}",
                                hint="start with one of " + ", ".join(
                                    o.replace("_", "-") for o in EDIT_TYPES))
        pending.append(word)
    if op is not None:
        edits.append(_finish(op, pending, start + len(edits)))
    if not edits:
        raise ScenarioError("no edit given", hint="for example: flood level=4.5")
    return edits
