"""Structural checks of GeoJSON text (RFC 7946), in the spirit of geojsonhint.

GDAL reads many broken GeoJSON files without a word (a ``Feature`` holding ``features``,
a duplicated ``type``, a bbox of three numbers, an ``id`` that is an object) and refuses
others with a terse message. :func:`lint_geojson` parses the raw text once and lists what
is wrong, where, in words a user understands. The reader calls it for every small file
and, for large ones, only when a cheap byte-level screen (:func:`needs_lint`) finds
something unexpected.

Each :class:`Problem` has a ``level``:

``fatal``
    the file as a whole cannot be read (not JSON, the root is not a GeoJSON object,
    ``features`` is missing). Always an error.
``error``
    one feature (or the collection) breaks the format; its data may be misread. An error
    under ``on_invalid="raise"``, a warning (and the feature dropped when unreadable)
    under ``warn`` and ``fix``.
``notice``
    the format says SHOULD (a one-part GeometryCollection, more than three numbers in a
    position, a bbox in the wrong order). Recorded as a warning.

Example
-------
>>> from twin.io.geojson_lint import lint_geojson
>>> result = lint_geojson(b'{"type": "Point", "coordinates": [1]}')
>>> result.problems[0].message
'position must have 2 or more elements (found 1) in Point coordinates'
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

__all__ = ["Problem", "LintResult", "lint_geojson", "count_members", "needs_lint",
           "GEOMETRY_TYPES"]

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection")
_ALL_TYPES = GEOMETRY_TYPES + ("Feature", "FeatureCollection")
# Members whose presence changes what an object means (RFC 7946 section 7.1).
_FORBIDDEN = {
    "FeatureCollection": ("properties", "geometry", "coordinates", "geometries"),
    "Feature": ("features", "coordinates", "geometries"),
    "geometry": ("properties", "geometry", "features"),
}
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
          "MultiPolygon": 3}


@dataclass
class Problem:
    """One finding: ``level`` (fatal, error, notice), the feature index (None for the
    file), the feature's id if it has one, and a one-line ``message``."""

    level: str
    message: str
    feature: int | None = None
    feature_id: object = None

    def where(self) -> str | None:
        """``feature 3 (id 'a')`` or ``None`` for the whole file."""
        if self.feature is None:
            return None
        text = f"feature {self.feature}"
        if self.feature_id is not None:
            text += f" (id {self.feature_id!r})"
        return text


@dataclass
class LintResult:
    """What :func:`lint_geojson` found, plus the parsed document for the reader."""

    problems: list[Problem] = field(default_factory=list)
    root_type: str | None = None
    n_features: int = 0
    has_crs: bool = False
    document: object = None

    @property
    def fatal(self) -> list[Problem]:
        """Problems that stop the whole file."""
        return [p for p in self.problems if p.level == "fatal"]

    @property
    def errors(self) -> list[Problem]:
        """Format errors of single features or of the collection."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def notices(self) -> list[Problem]:
        """SHOULD-level remarks."""
        return [p for p in self.problems if p.level == "notice"]

    def bad_features(self) -> set[int]:
        """Indices of features with an error."""
        return {p.feature for p in self.errors if p.feature is not None}


def _typename(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _parse(data):
    """``json.loads`` that also returns ``{id(object): duplicated member names}``."""
    duplicates: dict[int, tuple[str, ...]] = {}

    def hook(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            duplicates[id(obj)] = tuple(k for k, _ in pairs if k in seen or seen.add(k))
        return obj

    return json.loads(data, object_pairs_hook=hook), duplicates


class _Linter:
    def __init__(self, duplicates=None):
        self.duplicates = duplicates or {}
        self.problems: list[Problem] = []
        self.feature: int | None = None
        self.feature_id = None

    def add(self, level: str, message: str) -> None:
        self.problems.append(Problem(level, message, self.feature, self.feature_id))

    # -- objects -----------------------------------------------------------------------
    def members(self, obj: dict, what: str) -> None:
        dups = self.duplicates.get(id(obj), ())
        if dups:
            self.add("error", f"{what} object has duplicate members {sorted(set(dups))}, "
                              "which makes parsing ambiguous")
        if "bbox" in obj:
            self.bbox(obj["bbox"], what)

    def forbidden(self, obj: dict, what: str, key: str) -> None:
        for name in _FORBIDDEN[key]:
            if name in obj:
                self.add("error", f"{what} object cannot contain a {name!r} member")

    def bbox(self, box, what: str) -> None:
        if not isinstance(box, list):
            self.add("error", f"bbox member of the {what} must be an array of numbers, "
                              f"found {_typename(box)}")
            return
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box):
            self.add("error", f"each element in the bbox of the {what} must be a number")
            return
        if len(box) not in (4, 6):
            self.add("error", f"bbox of the {what} must have 4 elements (2D) or 6 (3D), "
                              f"found {len(box)}")
            return
        half = len(box) // 2
        if box[1] > box[half + 1] or (box[0] > box[half] and not -180 <= box[0] <= 180):
            self.add("notice", f"bbox of the {what} is not in [west, south, east, north] order")

    # -- geometry ----------------------------------------------------------------------
    def geometry(self, geom, *, top: bool = True) -> None:
        if geom is None:
            return
        if not isinstance(geom, dict):
            self.add("error", f"geometry must be an object or null, found {_typename(geom)}")
            return
        gtype = geom.get("type")
        if "type" not in geom:
            self.add("error", 'geometry object has no "type" member')
            return
        if not isinstance(gtype, str):
            self.add("error", f'geometry "type" member should be a string, but is '
                              f"{_typename(gtype)} instead")
            return
        if gtype not in GEOMETRY_TYPES:
            self.unknown_type(gtype, "geometry")
            return
        self.members(geom, gtype)
        self.forbidden(geom, "geometry", "geometry")
        if gtype == "GeometryCollection":
            parts = geom.get("geometries")
            if "geometries" not in geom:
                self.add("error", 'GeometryCollection has no "geometries" member')
                return
            if not isinstance(parts, list):
                self.add("error", f'GeometryCollection "geometries" must be an array, found '
                                  f"{_typename(parts)}")
                return
            if len(parts) == 1:
                self.add("notice", "GeometryCollection with a single geometry should be a "
                                   "single part or multi-part geometry instead")
            for part in parts:
                if not isinstance(part, dict) or part.get("type") not in GEOMETRY_TYPES:
                    self.add("error", "the geometries array of a GeometryCollection must "
                                      f"contain only geometry objects, found {_typename(part)}")
                    continue
                if part.get("type") == "GeometryCollection":
                    self.add("notice", "GeometryCollection should avoid nested geometry "
                                       "collections")
                self.geometry(part, top=False)
            return
        if "coordinates" not in geom:
            self.add("error", f'{gtype} has no "coordinates" member (required)')
            return
        coords = geom["coordinates"]
        if not isinstance(coords, list):
            self.add("error", f'"coordinates" member of a {gtype} should be an array, but is '
                              f"{_typename(coords)} instead")
            return
        if coords == [] and gtype != "Point":
            return  # an empty geometry: valid GeoJSON, reported by the reader as empty
        self.coords(coords, _DEPTH[gtype], gtype)

    def unknown_type(self, gtype: str, what: str) -> None:
        for known in _ALL_TYPES:
            if gtype.lower() == known.lower():
                self.add("fatal" if what == "root" else "error",
                         f'expected type "{known}" but got "{gtype}" (type names are '
                         "case sensitive)")
                return
        self.add("fatal" if what == "root" else "error", f'the {what} type "{gtype}" is '
                 "unknown; GeoJSON types are " + ", ".join(_ALL_TYPES))

    def position(self, pos, gtype: str) -> bool:
        if not isinstance(pos, list):
            self.add("error", f"position should be an array, is {_typename(pos)} instead "
                              f"in {gtype} coordinates")
            return False
        for v in pos:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                if isinstance(v, list):
                    self.add("error", f"{gtype} coordinates are nested too deeply: each "
                                      "element in a position must be a number, found an array")
                else:
                    self.add("error", f"each element in a position must be a number, found "
                                      f"{_typename(v)} in {gtype} coordinates")
                return False
            if not math.isfinite(v):
                self.add("error", f"position holds a non-finite number in {gtype} coordinates")
                return False
        if len(pos) < 2:
            self.add("error", f"position must have 2 or more elements (found {len(pos)}) in "
                              f"{gtype} coordinates")
            return False
        if len(pos) > 3:
            self.add("notice", f"position should not have more than 3 elements (found "
                               f"{len(pos)}) in {gtype} coordinates; extra values are dropped")
        return True

    def coords(self, value, depth: int, gtype: str) -> None:
        """Check an array ``depth`` levels above positions."""
        if depth == 0:
            self.position(value, gtype)
            return
        if not isinstance(value, list):
            self.add("error", f"{gtype} coordinates are nested too shallowly: a number was "
                              "found where a coordinate array should have been found")
            return
        for item in value:
            if not isinstance(item, list):
                self.add("error", f"{gtype} coordinates are nested too shallowly: "
                                  f"{_typename(item)} was found where a coordinate array "
                                  "should have been found")
                return
        ring_level = gtype in ("Polygon", "MultiPolygon") and depth == 1
        line_level = gtype in ("LineString", "MultiLineString") and depth == 1
        if depth == 1:
            ok = all(self.position(p, gtype) for p in value)
            if not ok:
                return
            if line_level and len(value) < 2:
                self.add("error", f"a line needs to have two or more positions, found "
                                  f"{len(value)} in a {gtype}")
            if ring_level:
                if len(value) < 4:
                    self.add("error", f"a LinearRing of coordinates needs to have four or more "
                                      f"positions, found {len(value)} in a {gtype}")
                if value and value[0] != value[-1]:
                    self.add("error", f"ring not closed: the first and last positions in a "
                                      f"LinearRing of coordinates must be the same in a {gtype}")
            return
        for item in value:
            self.coords(item, depth - 1, gtype)

    # -- features ----------------------------------------------------------------------
    def feature_obj(self, feat, index: int) -> None:
        self.feature = index
        self.feature_id = None
        if not isinstance(feat, dict):
            self.add("error", f"every feature must be an object, found {_typename(feat)}")
            return
        fid = feat.get("id")
        if isinstance(fid, (str, int, float)) and not isinstance(fid, bool):
            self.feature_id = fid
        elif "id" in feat:
            self.add("error", f'feature "id" member must have a string or number value, '
                              f"found {_typename(fid)}")
        if feat.get("type") != "Feature":
            got = feat.get("type")
            self.add("error", "GeoJSON features must have a type=Feature member" +
                     ("" if got is None else f", found type {got!r}"))
        self.members(feat, "Feature")
        self.forbidden(feat, "Feature", "Feature")
        if "properties" not in feat:
            self.add("error", '"properties" member required (an object or null)')
        elif feat["properties"] is not None and not isinstance(feat["properties"], dict):
            self.add("error", f'"properties" member should be an object, but is '
                              f'{_typename(feat["properties"])} instead')
        if "geometry" not in feat:
            self.add("error", '"geometry" member required (an object or null)')
        else:
            before = len(self.problems)
            self.geometry(feat["geometry"])
            box = feat.get("bbox")
            if (len(self.problems) == before and isinstance(box, list) and len(box) in (4, 6)
                    and isinstance(feat["geometry"], dict)):
                self.bbox_contains(box, feat["geometry"])

    def bbox_contains(self, box: list, geom: dict) -> None:
        """Notice a feature bbox that does not contain the feature's coordinates."""
        xs, ys = [], []

        def walk(value):
            if value and isinstance(value[0], (int, float)):
                xs.append(value[0])
                ys.append(value[1])
            else:
                for item in value:
                    walk(item)

        parts = geom.get("geometries", [geom]) if geom.get("type") == "GeometryCollection" \
            else [geom]
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("coordinates"), list):
                walk(part["coordinates"])
        if not xs:
            return
        half = len(box) // 2
        if (min(xs) < box[0] or min(ys) < box[1] or max(xs) > box[half]
                or max(ys) > box[half + 1]):
            self.add("notice", "bbox of the Feature does not contain all of its coordinates "
                               f"(bbox {box[:half]}..{box[half:]}, coordinates "
                               f"[{min(xs)}, {min(ys)}]..[{max(xs)}, {max(ys)}])")


def _decodes_as_gbk(data) -> bool:
    """True when ``data`` (bytes) is not UTF-8 but reads as GBK text with some Chinese in it."""
    if not isinstance(data, (bytes, bytearray)):
        return False
    try:
        text = bytes(data[:1_000_000]).decode("gbk")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def lint_geojson(data: bytes | str) -> LintResult:
    """Parse GeoJSON text and list its structural problems; never raises for bad input."""
    result = LintResult()
    try:
        doc, duplicates = _parse(data)
    except (ValueError, RecursionError) as exc:
        detail = str(exc).split("\n")[0]
        if isinstance(exc, UnicodeDecodeError) and _decodes_as_gbk(data):
            detail = ("the text is not UTF-8 but decodes as GBK, as older Chinese GIS tools "
                      "write it; RFC 7946 requires UTF-8: import it with --encoding gbk, "
                      "or convert it first, e.g. iconv -f GBK -t UTF-8 in.geojson > out.geojson")
        result.problems.append(Problem("fatal", f"not valid JSON ({detail})"))
        return result
    result.document = doc
    lint = _Linter(duplicates)
    if not isinstance(doc, dict):
        result.problems.append(Problem(
            "fatal", f"the root of a GeoJSON object must be an object, found {_typename(doc)}"))
        return result
    if "type" not in doc:
        lint.add("fatal", 'the root object has no "type" member (required)')
        result.problems = lint.problems
        return result
    rtype = doc["type"]
    if not isinstance(rtype, str):
        lint.add("fatal", f'"type" member should be a string, but is {_typename(rtype)} instead')
        result.problems = lint.problems
        return result
    result.root_type = rtype
    result.has_crs = "crs" in doc
    if rtype not in _ALL_TYPES:
        lint.unknown_type(rtype, "root")
    elif rtype == "FeatureCollection":
        lint.members(doc, "FeatureCollection")
        lint.forbidden(doc, "FeatureCollection", "FeatureCollection")
        feats = doc.get("features")
        if "features" not in doc:
            lint.add("fatal", 'FeatureCollection has no "features" member (required)')
        elif not isinstance(feats, list):
            lint.add("fatal", f'"features" member should be an array, but is '
                              f"{_typename(feats)} instead")
        else:
            result.n_features = len(feats)
            for i, feat in enumerate(feats):
                lint.feature_obj(feat, i)
    elif rtype == "Feature":
        result.n_features = 1
        lint.feature_obj(doc, 0)
    else:
        result.n_features = 1
        lint.feature = 0
        lint.geometry(doc)
    result.problems = lint.problems
    return result


# Structural member names counted by the byte-level screen.
_KEYS = (b'"type"', b'"features"', b'"geometry"', b'"properties"', b'"coordinates"',
         b'"Feature"', b'"bbox"', b'"geometries"')


def count_members(raw: bytes) -> dict[bytes, int]:
    """How often each structural member name occurs in ``raw`` (a few fast byte scans;
    the reader runs this in a thread while GDAL, which releases the GIL, parses).

    The root's ``"FeatureCollection"`` and a legacy ``"crs"`` member are looked for only
    before the ``"features"`` array, where writers put them; one written after it shows up
    as a count that does not add up, and the full lint runs.
    """
    counts = {key: raw.count(key) for key in _KEYS}
    head = raw.find(b'"features"')
    head = len(raw) if head < 0 else head
    counts[b'"FeatureCollection"'] = raw.count(b'"FeatureCollection"', 0, head)
    counts[b'"crs"'] = raw.count(b'"crs"', 0, head)
    return counts


def needs_lint(counts: dict[bytes, int], *, n_features: int, n_geometries: int) -> str | None:
    """A cheap screen of a large FeatureCollection: ``None`` when the member counts from
    :func:`count_members` match what GDAL read, else the reason to run the full lint.

    Every well-formed feature contributes one ``"type"``, ``"Feature"``, ``"geometry"``
    and ``"properties"``, plus one ``"type"`` and ``"coordinates"`` per non-null geometry.
    A count that does not add up means a missing, duplicated or misplaced member somewhere
    (or merely an attribute with such a name); the full lint then says which. ``bbox`` and
    GeometryCollections are always linted (their rules need the parsed values).
    """
    for key in (b'"bbox"', b'"geometries"'):
        if counts[key]:
            return f"found {key.decode()}"
    crs = counts[b'"crs"']  # a legacy crs member: {"type": "name", "properties": {...}}
    if crs > 1:
        return f'"crs" occurs {crs} times'
    expected = {
        b'"type"': 1 + n_features + n_geometries + crs,
        b'"features"': 1,
        b'"geometry"': n_features,
        b'"properties"': n_features + crs,
        b'"coordinates"': n_geometries,
        b'"Feature"': n_features,
        b'"FeatureCollection"': 1,
    }
    for key, want in expected.items():
        if counts[key] != want:
            return f"{key.decode()} occurs {counts[key]} times, expected {want}"
    return None
