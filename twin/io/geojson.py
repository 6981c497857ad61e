"""GeoJSON (RFC 7946) → one layer of a kind: the OGR reader (:mod:`twin.io.ogr`) plus only
what GeoJSON adds.

* **Structure.** The text is checked against RFC 7946 by :mod:`twin.io.geojson_lint`
  (always for files up to ``LINT_ALWAYS_BYTES``; for larger ones when a byte-count screen,
  run while GDAL parses, or a GDAL warning says something is off). Format errors follow
  the ``on_invalid`` policy; under warn/fix a file GDAL refuses is read again without the
  features the lint found broken.
* **The no-crs rule.** No ``crs`` member means WGS84; a legacy ``crs`` member is honoured
  and noted.
* Numeric feature ids (which GDAL turns into FIDs) come back as ``id``; ``encoding=``
  transcodes the text (GBK…) to UTF-8 first; the file's sha256 is computed meanwhile.

Everything else (CRS, validity policy, attributes, reprojection) is the OGR reader's.
:class:`GeoJSONReader` still reads the other OGR formats it is given, exactly as
:class:`~twin.io.ogr.OGRReader` does.

Example
-------
>>> from twin.io.geojson import GeoJSONReader
>>> result = GeoJSONReader().read("roads.geojson", kind="road", on_invalid="fix")
... # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from .. import crs as twin_crs
from ..errors import ReaderError
from .geojson_lint import GEOMETRY_TYPES, LintResult, count_members, lint_geojson, needs_lint
from .ogr import _HANDLED_GDAL_WARNINGS, OGRReader, _Background, _gdal_text, _read_arrow
from .policy import HINT as _HINT
from .policy import MAX_LISTED, POLICIES

__all__ = ["GeoJSONReader", "LINT_ALWAYS_BYTES", "MAX_LISTED", "POLICIES"]

LINT_ALWAYS_BYTES = 256 << 10  # GeoJSON up to 256 KiB is always fully linted
_JSON_SUFFIXES = (".geojson", ".json")  # GeoJSONSeq (.geojsonl) goes to GDAL only


class GeoJSONReader(OGRReader):
    """Reads GeoJSON (RFC 7946) into one layer of a kind; the options of
    :class:`~twin.io.ogr.OGRReader`, ``lint`` and ``encoding`` included."""

    name = "geojson"
    suffixes = (".geojson", ".json")

    def can_read(self, path) -> bool:
        """True for ``.geojson``, and a ``.json`` file that is not CityJSON."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in self.suffixes:
            return False
        if suffix == ".json":
            try:
                with open(path, "rb") as fh:
                    head = fh.read(4096)
            except OSError:
                return False
            return b"CityJSON" not in head
        return True

    # -- the GeoJSON layer over the OGR reader -----------------------------------------
    def _text(self, path: Path, encoding):
        if path.suffix.lower() not in _JSON_SUFFIXES:
            return None
        raw = path.read_bytes()
        return _transcode(raw, encoding, path) if encoding is not None else raw

    def _early_lint(self, raw, path, lint):
        if raw is not None and (lint == "always" or (lint == "auto"
                                                     and len(raw) <= LINT_ALWAYS_BYTES)):
            return self._lint(raw, path)
        return None

    def _background(self, raw, linted, lint):
        if raw is None:
            return None
        # overlaps GDAL's parse: the byte screen and the file's hash
        return _Background(_screen_and_hash, raw, linted is None and lint != "never")

    def _late_lint(self, background, linted, raw, path, decoded, table, gdal_msgs, report):
        if background is not None:
            counts, digest = background.result()
            report.source_sha256 = digest
            if counts is not None and linted is None:
                why = self._suspicion(counts, decoded, table, gdal_msgs)
                if why:
                    report.extra["lint_reason"] = why
                    linted = self._lint(raw, path)
        return linted

    def _unreadable(self, path, raw, linted, on_invalid, gdal_text, geometry):
        if linted is None:
            linted = self._lint(raw, path)
        if not linted.errors:
            raise ReaderError(f"GDAL cannot read it as GeoJSON ({gdal_text})", path=path,
                              hint=_gdal_limit_hint(gdal_text)) from None
        if on_invalid == "raise":
            _raise_first(linted.errors, path)
        cleaned = _without_bad_features(linted)
        try:
            return (*_read_arrow(io.BytesIO(cleaned), on_batch=geometry), linted)
        except (DataSourceError, DataLayerError, GeometryError, FieldError, OSError) as exc:
            raise ReaderError(f"{linted.errors[0].message}; GDAL cannot read the rest either "
                              f"({_gdal_text(exc)})", path=path) from None

    def _crs_rule(self, src, file_crs, raw, linted, report) -> None:
        if raw is None:
            return
        has_member = linted.has_crs if linted is not None else b'"crs"' in raw
        if has_member and src != twin_crs.parse_crs(twin_crs.WGS84):
            report.warn(None, f"legacy GeoJSON crs member honoured: {file_crs} "
                              "(RFC 7946 files are WGS84 and have no crs member)")
        elif has_member:
            report.extra["crs_rule"] = "crs member names WGS84 lon/lat (CRS84)"
        else:
            report.extra["crs_rule"] = "RFC 7946: no crs member, WGS84 assumed"

    @staticmethod
    def _lint(raw: bytes, path) -> LintResult:
        result = lint_geojson(raw)
        if result.fatal:
            raise ReaderError(result.fatal[0].message, path=path,
                              hint="the file must be GeoJSON (RFC 7946)")
        return result

    @staticmethod
    def _suspicion(counts, decoded, table, gdal_msgs) -> str | None:
        """Why a large GeoJSON file needs the full structural lint, or None: GDAL warned,
        found no features, gave null or empty geometries (the format may be at fault), an
        ``id`` that looks like an object, or the byte counts do not add up."""
        told = [m for m in gdal_msgs if not m.startswith(_HANDLED_GDAL_WARNINGS)]
        if told:
            return "GDAL warned: " + told[0]
        n = table.num_rows
        if n == 0:
            return "GDAL found no features"
        missing = shapely.is_missing(decoded.geoms)
        if missing.any() or shapely.is_empty(decoded.geoms[~missing]).any():
            return "null or empty geometries"
        if "id" in table.column_names and pa.types.is_string(table.column("id").type):
            col = table.column("id")
            odd = pc.or_(pc.starts_with(col, "{"), pc.starts_with(col, "["))
            if pc.any(odd).as_py():
                return "an id looks like an object or array"
        return needs_lint(counts, n_features=n, n_geometries=int((~missing).sum()))

    @staticmethod
    def _lint_report(linted: LintResult, path, on_invalid, report) -> None:
        errors = linted.errors
        if errors and on_invalid == "raise":
            _raise_first(errors, path)
        for p in errors[:MAX_LISTED]:
            report.warn(p.feature_id if p.feature_id is not None else p.feature,
                        f"format error: {p.message}", index=p.feature, check="format")
        for p in linted.notices[:MAX_LISTED]:
            report.warn(p.feature_id if p.feature_id is not None else p.feature,
                        p.message, index=p.feature, check="format")

    @staticmethod
    def _restore_ids(attrs: pd.DataFrame, meta, raw, kind_obj) -> pd.DataFrame:
        """GDAL turns numeric GeoJSON feature ids into FIDs: bring them back as ``id``."""
        if raw is None:
            return attrs
        fids = meta.get("_fids")
        if (raw is not None and fids is not None and "id" not in attrs.columns
                and kind_obj.id_column == "id" and b'"id"' in raw):
            attrs = attrs.copy()
            attrs.insert(0, "id", pd.Series(fids, dtype="Int64").astype("string"))
        return attrs


def _transcode(raw: bytes, encoding: str, path) -> bytes:
    """``raw`` text in ``encoding`` as UTF-8 bytes; a clear error for an unknown encoding or
    bytes that are not in it."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ReaderError(f"unknown text encoding {encoding!r}", path=path,
                          hint="use a Python codec name such as gbk, gb18030, big5 or "
                               "utf-8") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReaderError(f"the bytes at offset {exc.start} are not {encoding} text", path=path,
                          hint="check the encoding (gb18030 covers GBK and more), or leave "
                               "--encoding out for UTF-8") from None
    return text.lstrip("\ufeff").encode("utf-8")


def _screen_and_hash(raw: bytes, screen: bool):
    """The structural member counts (when ``screen``) and the sha256 of the file's bytes."""
    counts = count_members(raw) if screen else None
    return counts, hashlib.sha256(raw).hexdigest()


def _gdal_limit_hint(gdal_text: str) -> str:
    """What to do when GDAL refuses a file that is valid GeoJSON: name the limit it hit."""
    if "OGR_GEOJSON_MAX_OBJ_SIZE" in gdal_text or "maximum object size" in gdal_text.lower():
        return ("one feature is larger than GDAL's object-size limit: raise it with "
                "OGR_GEOJSON_MAX_OBJ_SIZE=0 (no limit, in MB otherwise) and import again")
    if "Too many characters" in gdal_text:
        return ("the file is valid GeoJSON, but one value in it is longer than the 10 million "
                "characters GDAL reads in one JSON token (a huge property or coordinate "
                "string): shorten that value, or keep it in a file of its own")
    return "check the file against RFC 7946"


def _raise_first(errors, path) -> None:
    """Raise the first format error of a lint, counting the others."""
    first, more = errors[0], len(errors) - 1
    raise ReaderError(first.message + (f" ({more} more problem(s))" if more else ""),
                      path=path, where=first.where(), hint=_HINT)


def _without_bad_features(linted: LintResult) -> bytes:
    """The linted document with the geometry of every feature that has a format error set
    to null (GDAL then reads the rest; those features are listed as skipped)."""
    doc = linted.document
    bad = linted.bad_features()
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        feats = []
        for i, feat in enumerate(doc.get("features", [])):
            if not isinstance(feat, dict):
                continue
            feat = dict(feat)
            feat["type"] = "Feature"
            if i in bad:
                feat["geometry"] = None
            if not isinstance(feat.get("properties"), dict):
                feat["properties"] = None
            feats.append(feat)
        doc = {"type": "FeatureCollection", "features": feats}
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        feat = dict(doc)
        if 0 in bad:
            feat["geometry"] = None
        if not isinstance(feat.get("properties"), dict):
            feat["properties"] = None
        doc = {"type": "FeatureCollection", "features": [feat]}
    elif isinstance(doc, dict) and doc.get("type") in GEOMETRY_TYPES:
        doc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": None, "geometry": None if 0 in bad else doc}]}
    crs = linted.document.get("crs") if isinstance(linted.document, dict) else None
    if isinstance(crs, dict):
        doc["crs"] = crs  # keep a legacy crs member for GDAL
    return json.dumps(doc).encode("utf-8")
