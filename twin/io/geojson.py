"""GeoJSON and any other OGR vector (GeoPackage, Shapefile, FlatGeobuf) → one layer of a kind.

The reader is thin on purpose: GDAL (``pyogrio.raw.open_arrow``) reads the file into
Arrow batches, and everything after that works on whole arrays. GDAL parses in a producer
thread (it releases the GIL) while each batch it delivers is decoded, checked and
reprojected; the file's hash and byte screen run in the background meanwhile.

1. **Structure.** GeoJSON text is checked against RFC 7946 by
   :mod:`twin.io.geojson_lint` (always for files up to ``LINT_ALWAYS_BYTES``; for larger
   ones when a byte-count screen or a GDAL warning says something is off).
2. **CRS.** RFC 7946: no ``crs`` member means WGS84. A legacy ``crs`` member is honoured
   and noted. ``crs=`` (``--crs``) overrides the file. Coordinates that cannot be in the
   CRS (lon/lat out of range, or far outside a projected CRS's area of use) stop the import
   with a :class:`~twin.errors.GeoreferenceError` that names the likely CRS.
3. **Validity** (:mod:`twin.io.validity`) on the raw coordinates, with the policy
   ``on_invalid``:

   ============================  ===========  ==========================  =========================
   finding                       ``raise``    ``warn``                    ``fix``
   ============================  ===========  ==========================  =========================
   null / empty geometry         dropped and listed in skipped under every policy (RFC 7946
                                 allows unlocated features; a map layer cannot hold them)
   NaN/Inf, lon/lat out of range error        dropped, listed             dropped, listed
   unreadable feature (format)   error        dropped, listed             dropped, listed
   ring not closed               error        closed, warning             closed, repair
   invalid (self-intersection)   error        kept as is, warning         ``make_valid``, repair
   duplicate id                  error        renamed ``id~2``, warning   renamed, repair
   geometry type not of the kind error        dropped, listed             collection parts kept
                                                                          when they fit, else dropped
   wrong winding, repeated       warning      warning                     warning (repeated
   vertices, SHOULD-level                                                 vertices removed: repair)
   format remarks
   ============================  ===========  ==========================  =========================

   Under ``fix`` the geometry as read is kept as WKB in ``geometry_original`` for every
   repaired feature.
4. **Attributes** (:mod:`twin.io.attributes`): recognised names are mapped onto the kind's
   columns, ``mapping`` overrides, missing required values become explicit nulls
   (:func:`twin.kinds.conform`) and are counted in the report.
5. **Reprojection** into the working CRS (:func:`twin.crs.transform_geometries`, one
   pyproj call per batch).

``kind`` is required: a geometry type alone does not tell a road from a river, nor a
parcel from a building. The generic kind ``feature`` takes any vector geometry.

Example
-------
>>> from twin.io.geojson import GeoJSONReader
>>> result = GeoJSONReader().read("roads.geojson", kind="road", on_invalid="fix")
... # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import queue
import threading
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from .. import crs as twin_crs
from ..errors import GeoreferenceError, ReaderError, SchemaError
from ..kinds import KINDS, conform, get_kind
from .attributes import map_attributes, sanitise_columns
from .geojson_lint import GEOMETRY_TYPES, LintResult, count_members, lint_geojson, needs_lint
from .report import ImportReport, ImportResult, LayerData
from .validity import TYPE_IDS, Decoded, Findings, check, decode, keep_types, repair

__all__ = ["GeoJSONReader", "LINT_ALWAYS_BYTES", "MAX_LISTED", "POLICIES"]

LINT_ALWAYS_BYTES = 256 << 10  # GeoJSON up to 256 KiB is always fully linted
MAX_LISTED = 1000  # per-feature report entries kept per finding; counts hold the totals
POLICIES = ("raise", "warn", "fix")
_JSON_SUFFIXES = (".geojson", ".json")  # GeoJSONSeq (.geojsonl) goes to GDAL only
# GDAL warnings about things the array checks already find on their own
_HANDLED_GDAL_WARNINGS = ("Non closed ring detected",)
_HINT = "rerun with --on-invalid fix to repair or drop such features, or --on-invalid warn"


def _progress(progress, done, total, message):
    if progress is not None:
        progress(done, total, message)


class _Findings:
    """Collects per-feature findings and turns them into report entries or one error."""

    def __init__(self, path, ids: np.ndarray | None):
        self.path = path
        self.ids = ids
        self.errors: list[tuple[int, str, int]] = []  # (first index, reason, how many)

    def label(self, i: int) -> str:
        fid = None if self.ids is None or i >= len(self.ids) else self.ids[i]
        return f"feature {i}" + ("" if fid is None or fid is pd.NA else f" (id {fid!r})")

    def entries(self, mask: np.ndarray, reason, record, **more) -> int:
        """Record ``reason`` (text or callable of the index) for each feature in ``mask``,
        at most MAX_LISTED of them, plus one summary entry; returns the count."""
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_LISTED]:
            text = reason(int(i)) if callable(reason) else reason
            record(self.feature_ref(int(i)), text, index=int(i), **more)
        if len(idx) > MAX_LISTED:
            text = reason(int(idx[0])) if callable(reason) else reason
            record(None, f"{len(idx) - MAX_LISTED} more feature(s): {text}",
                   count=int(len(idx) - MAX_LISTED))
        return int(len(idx))

    def feature_ref(self, i: int):
        fid = None if self.ids is None else self.ids[i]
        return i if fid is None or fid is pd.NA else fid

    def error(self, mask: np.ndarray, reason) -> None:
        idx = np.flatnonzero(mask)
        if len(idx):
            i = int(idx[0])
            self.errors.append((i, reason(i) if callable(reason) else reason, len(idx)))

    def raise_first(self) -> None:
        if not self.errors:
            return
        self.errors.sort(key=lambda e: e[0])
        i, reason, _ = self.errors[0]
        more = sum(e[2] for e in self.errors) - 1
        raise ReaderError(reason + (f" ({more} more problem(s) in this file)" if more else ""),
                          path=self.path, where=self.label(i), hint=_HINT)


class GeoJSONReader:
    """Reads GeoJSON (RFC 7946) and every OGR vector format into one layer of a kind.

    Options of :meth:`read`: ``kind`` (required), ``layer`` (default: the kind's name),
    ``crs`` (overrides the file's), ``mapping`` ({source attribute: column}),
    ``on_invalid`` (``raise``, ``warn``, ``fix``), ``progress`` (callable(done, total,
    message)), ``source_layer`` (for multi-layer sources such as GeoPackage), ``lint``
    (``auto``, ``always``, ``never``: the structural check of GeoJSON text), ``encoding``
    (the source's text encoding when it is not UTF-8, e.g. ``gbk``).
    """

    name = "geojson"
    suffixes = (".geojson", ".json", ".geojsonl", ".gpkg", ".shp", ".fgb", ".gml", ".kml")

    def can_read(self, path) -> bool:
        """True for the vector suffixes; a ``.json`` file must look like GeoJSON."""
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

    # -- the pipeline ------------------------------------------------------------------
    def read(self, path, *, kind=None, layer=None, crs=None, mapping=None,
             on_invalid="raise", progress=None, source_layer=None, lint="auto",
             encoding=None, **_other) -> ImportResult:
        """Read ``path`` into one layer of ``kind`` in the working CRS, plus the report."""
        t_start = time.perf_counter()
        path = Path(path)
        kind_obj = self._kind(kind, path)
        if on_invalid not in POLICIES:
            raise ReaderError(f"unknown --on-invalid policy {on_invalid!r}",
                              hint="use raise, warn or fix")
        if lint not in ("auto", "always", "never"):
            raise ReaderError(f"unknown lint mode {lint!r}", hint="use auto, always or never")
        if crs is not None:
            twin_crs.parse_crs(crs, path=path)  # a bad --crs fails before any reading
        layer = layer or kind_obj.name
        report = ImportReport(kind=kind_obj.name)
        report.extra["on_invalid"] = on_invalid
        timings = report.timings
        _progress(progress, 0, 5, f"reading {path.name}")

        is_json = path.suffix.lower() in _JSON_SUFFIXES
        raw = path.read_bytes() if is_json else None
        if raw is not None and encoding is not None:
            raw = _transcode(raw, encoding, path)
        linted: LintResult | None = None
        if is_json and (lint == "always" or (lint == "auto" and len(raw) <= LINT_ALWAYS_BYTES)):
            linted = self._lint(raw, path)
        background = None
        if is_json:  # overlaps GDAL's parse: the byte screen and the file's hash
            screen = linted is None and lint != "never"
            background = _Background(_screen_and_hash, raw, screen)
        geometry = _GeometryWork(self, meta_args=(crs, raw, report, path), linted=linted)
        t0 = time.perf_counter()
        meta, table, gdal_msgs, linted = self._gdal_read(path, raw, linted, on_invalid,
                                                         source_layer, report, geometry,
                                                         encoding=encoding)
        timings["gdal_s"] = round(time.perf_counter() - t0, 4)
        _progress(progress, 1, 5, "checking geometries")
        geom_col = meta.get("geometry_name") or "wkb_geometry"
        names = [c for c in table.column_names if c != geom_col]
        n = table.num_rows
        src_crs = geometry.source_crs(meta)
        wkb, decoded, checks = geometry.merged()
        timings.update(geometry.timings)

        if background is not None:
            counts, digest = background.result()
            report.source_sha256 = digest
            if counts is not None and linted is None:
                why = self._suspicion(counts, decoded, table, gdal_msgs)
                if why:
                    report.extra["lint_reason"] = why
                    linted = self._lint(raw, path)
        if linted is not None:
            self._apply_lint(linted, path, on_invalid, report)
        for msg in gdal_msgs:
            if linted is None or not linted.problems:
                report.warn(None, f"GDAL: {msg}")

        # attributes (the id column is needed to name features in messages)
        t0 = time.perf_counter()
        attrs = table.select(names).to_pandas() if names else pd.DataFrame(index=range(n))
        for note in _nested_notes(meta, table, names):
            report.warn(None, note)
        attrs, renamed = sanitise_columns(attrs)
        if renamed:
            report.warn(None, f"renamed attributes {renamed}")
        attrs = self._feature_ids(attrs, meta, raw, kind_obj)
        attrs, used, notes = map_attributes(attrs, kind_obj, mapping=mapping, layer=layer)
        report.mapping = used
        for note in notes:
            report.warn(None, note)
        timings["attributes_s"] = round(time.perf_counter() - t0, 4)
        ids = (attrs[kind_obj.id_column].to_numpy(dtype=object)
               if kind_obj.id_column in attrs.columns else None)
        found = _Findings(path, ids)

        self._check_georeference(checks, decoded, src_crs, crs is not None, path, report)
        reprojected = geometry.reprojected
        if isinstance(src_crs, _NoCRS):
            src_crs = src_crs.resolved
        _progress(progress, 2, 5, "applying the validity policy")

        geoms, keep, original = self._apply_policy(decoded, checks, found, kind_obj,
                                                   on_invalid, report, attrs)
        found.raise_first()

        # assemble the layer
        all_kept = bool(keep.all())
        frame = attrs if all_kept else attrs.loc[keep].reset_index(drop=True)
        if original is not None and original[keep].any():
            frame["geometry_original"] = pd.Series(
                np.where(original[keep], wkb[keep], None), dtype=object)
        _progress(progress, 3, 5, "reprojecting")
        work = twin_crs.working_crs()
        out_geoms = geoms if all_kept else geoms[keep]
        if not reprojected:  # a source without a CRS: known only now
            t0 = time.perf_counter()
            out_geoms = twin_crs.transform_geometries(out_geoms, src_crs, work, in_place=True)
            timings["reproject_s"] = round(time.perf_counter() - t0, 4)
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(out_geoms, crs=work), crs=work)
        gdf, nulls = conform(gdf, kind_obj)
        report.nulls = nulls
        report.crs = twin_crs.working_crs().to_string()
        if len(gdf) == 0:
            report.warn(None, "the layer is empty: the file holds no usable features")
        report.counts.update({
            "features_read": int(n), "features_written": int(len(gdf)),
            "repaired": int(report.extra.get("repaired_total", 0)),
            "skipped": int(report.extra.get("skipped_total", 0)),
            "warnings": len(report.warnings),
        })
        _progress(progress, 5, 5, "done")
        timings["reader_s"] = round(time.perf_counter() - t_start, 4)
        return ImportResult(layers=[LayerData(layer, kind_obj.name, gdf)], report=report)

    # -- steps -------------------------------------------------------------------------
    @staticmethod
    def _kind(kind, path):
        vector = [k.name for k in KINDS.values() if not k.is_raster and not k.is_table]
        if kind is None:
            raise SchemaError("no layer kind given: a geometry type alone does not say what "
                              "the features are", path=path,
                              hint="pass --kind, one of " + ", ".join(vector))
        kind_obj = get_kind(kind)
        if kind_obj.is_raster or kind_obj.is_table:
            raise SchemaError(f"kind {kind_obj.name!r} is not a vector layer", path=path,
                              hint="vector kinds: " + ", ".join(vector))
        return kind_obj

    @staticmethod
    def _lint(raw: bytes, path) -> LintResult:
        result = lint_geojson(raw)
        if result.fatal:
            raise ReaderError(result.fatal[0].message, path=path,
                              hint="the file must be GeoJSON (RFC 7946)")
        return result

    def _gdal_read(self, path, raw, linted, on_invalid, source_layer, report, geometry, *,
                   encoding=None):
        """GDAL's read (see :func:`_read_arrow`) → ``(meta, table, warnings, lint)``; a file
        GDAL refuses is explained by the lint (and, under warn/fix, read again without the
        features the lint found broken). A transcoded GeoJSON (``encoding``) is read from
        its UTF-8 bytes; other formats pass ``encoding`` to GDAL."""
        kwargs = {}
        source = path
        if raw is not None and encoding is not None:
            source = io.BytesIO(raw)
        elif encoding is not None:
            kwargs["encoding"] = encoding
        if raw is None:
            try:
                found = pyogrio.list_layers(path)
            except (DataSourceError, OSError) as exc:
                raise ReaderError(f"GDAL cannot open it ({_gdal_text(exc)})", path=path) from None
            names = [str(x) for x in found[:, 0]]
            if source_layer is not None:
                if source_layer not in names:
                    raise ReaderError(f"has no layer {source_layer!r}", path=path,
                                      hint="layers: " + ", ".join(names))
                kwargs["layer"] = source_layer
            elif len(names) > 1:
                report.warn(None, f"the source has {len(names)} layers {names}; read the "
                                  f"first, {names[0]!r} (choose with source_layer=)")
        try:
            return (*_read_arrow(source, on_batch=geometry, **kwargs), linted)
        except (DataSourceError, DataLayerError, GeometryError, FieldError, OSError) as exc:
            gdal_text = _gdal_text(exc)
        geometry.reset()
        if raw is None:
            raise ReaderError(f"GDAL cannot read it ({gdal_text})", path=path) from None
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
    def _apply_lint(linted: LintResult, path, on_invalid, report) -> None:
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
    def _feature_ids(attrs: pd.DataFrame, meta, raw, kind_obj) -> pd.DataFrame:
        """GDAL turns numeric GeoJSON feature ids into FIDs: bring them back as ``id``."""
        fids = meta.get("_fids")
        if (raw is not None and fids is not None and "id" not in attrs.columns
                and kind_obj.id_column == "id" and b'"id"' in raw):
            attrs = attrs.copy()
            attrs.insert(0, "id", pd.Series(fids, dtype="Int64").astype("string"))
        return attrs

    @staticmethod
    def _source_crs(meta, crs_option, raw, linted, report, path):
        file_crs = meta.get("crs")
        if crs_option is not None:
            src = twin_crs.parse_crs(crs_option, path=path)
            if file_crs and twin_crs.parse_crs(file_crs, path=path) != src:
                report.warn(None, f"--crs {crs_option} overrides the file's CRS {file_crs}")
        elif file_crs:
            src = twin_crs.parse_crs(file_crs, path=path)
            if raw is not None:
                has_member = linted.has_crs if linted is not None else b'"crs"' in raw
                if has_member and src != twin_crs.parse_crs(twin_crs.WGS84):
                    report.warn(None, f"legacy GeoJSON crs member honoured: {file_crs} "
                                      "(RFC 7946 files are WGS84 and have no crs member)")
                elif has_member:
                    report.extra["crs_rule"] = "crs member names WGS84 lon/lat (CRS84)"
                else:
                    report.extra["crs_rule"] = "RFC 7946: no crs member, WGS84 assumed"
        else:
            return _NoCRS()
        text = str(crs_option if crs_option is not None else file_crs).strip()
        if len(src.axis_info) > 2:  # 3D geographic (EPSG:4979): its horizontal part
            src = src.to_2d()
            text = ""
        if text.upper().startswith("EPSG:"):
            text = "EPSG:" + text[5:].strip()
        else:
            epsg = src.to_epsg()
            text = f"EPSG:{epsg}" if epsg else src.to_string()
        report.source_crs = text
        return src

    @staticmethod
    def _check_georeference(checks, decoded, src, explicit, path, report) -> None:
        """Refuse coordinates that cannot be in the source CRS; name the likely one."""
        live = ~checks.masks["null"] & ~checks.masks["empty"] & ~checks.masks["nonfinite"]
        if not live.any():
            if isinstance(src, _NoCRS):
                raise GeoreferenceError("the file has no coordinate reference system",
                                        path=path, hint="pass --crs EPSG:XXXX")
            return
        b = checks.bounds[live]
        bounds = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                  float(b[:, 3].max()))
        box = _fmt_bounds(bounds)
        if isinstance(src, _NoCRS):
            if twin_crs.lonlat_in_range(bounds):
                report.warn(None, "the file has no CRS; its coordinates are in lon/lat range, "
                                  "so WGS84 (EPSG:4326) was assumed")
                src.resolve(twin_crs.parse_crs(twin_crs.WGS84))
                report.source_crs = twin_crs.WGS84
                return
            guesses = twin_crs.suggest_crs(bounds)
            raise GeoreferenceError(f"the file has no CRS and its coordinates {box} are not "
                                    "longitude/latitude", path=path,
                                    hint="pass --crs " + (guesses[0] if guesses else "EPSG:XXXX")
                                    + (f" (likely: {', '.join(guesses)})" if guesses else ""))
        name = report.source_crs
        if src.is_geographic:
            in_range = live & ~checks.masks["out_of_range"]
            metres = max(abs(v) for v in bounds) > 1000.0  # no longitude or latitude is
            if not in_range.any() and metres:
                guesses = twin_crs.suggest_crs(bounds, exclude=src)
                rule = report.extra.get("crs_rule", "")
                how = ("as --crs" if explicit else "assumed by RFC 7946 as the file has no crs "
                       "member" if rule.startswith("RFC 7946") else "declared by the file")
                raise GeoreferenceError(
                    f"coordinates {box} are outside longitude/latitude range, but the CRS "
                    f"{name} ({how}) is geographic", path=path,
                    hint="pass the file's real CRS with --crs "
                    + (guesses[0] + f" (likely: {', '.join(guesses)})" if guesses
                       else "EPSG:XXXX"))
            return
        if not twin_crs.bounds_in_area_of_use(src, bounds):
            guesses = twin_crs.suggest_crs(bounds, exclude=src)
            aou = src.area_of_use
            where = f" ({aou.name})" if aou is not None else ""
            raise GeoreferenceError(
                f"coordinates {box} fall far outside the area of use of {name}{where}"
                + (f"; they look like {guesses[0]}" if guesses else ""),
                path=path,
                hint=("pass --crs " + guesses[0]) if guesses else "pass the right --crs")

    def _apply_policy(self, decoded, checks, found: _Findings, kind_obj, on_invalid,
                      report, attrs):
        """Decide, per finding and policy, what each feature becomes; returns the
        geometries, the rows to keep and (under fix) which rows were repaired."""
        masks = checks.masks
        geoms = decoded.geoms.copy()
        n = len(geoms)
        keep = np.ones(n, dtype=bool)
        repaired = np.zeros(n, dtype=bool)
        skip_total = 0
        repair_total = 0

        drop = [
            ("null", masks["null"] & ~decoded.unreadable,
             "null geometry (no coordinates): nothing to place on the map"),
            ("unreadable", decoded.unreadable,
             lambda i: f"unreadable geometry ({decoded.reasons.get(i, 'bad WKB')})"),
            ("empty", masks["empty"], "empty geometry (no coordinates)"),
            ("nonfinite", masks["nonfinite"], "NaN or infinite coordinates"),
            ("out_of_range", masks["out_of_range"], lambda i: _out_of_range_reason(checks.bounds[i])),
            ("outside_area", masks.get("outside_area", np.zeros(n, dtype=bool)),
             lambda i: _outside_area_reason(checks.bounds[i])),
        ]
        for code, mask, reason in drop:
            mask = mask & keep
            if not mask.any():
                continue
            if on_invalid == "raise" and code not in ("null", "empty"):
                found.error(mask, reason)
            else:
                skip_total += found.entries(mask, reason, report.skip)
            keep &= ~mask

        # geometry type against the kind
        allowed = {TYPE_IDS[t] for t in kind_obj.geometry}
        types = shapely.get_type_id(geoms)
        wrong = keep & ~np.isin(types, list(allowed))
        if wrong.any():
            def wrong_reason(i):
                return (f"geometry type {geoms[i].geom_type} does not fit a {kind_obj.name} layer "
                        f"({'/'.join(kind_obj.geometry)})")
            if on_invalid == "raise":
                idx = int(np.flatnonzero(wrong)[0])
                types_found = sorted({g.geom_type for g in geoms[wrong][:1000]})
                raise SchemaError(
                    f"geometry type {'/'.join(types_found)} does not fit a {kind_obj.name} "
                    f"layer, which takes {'/'.join(kind_obj.geometry)} "
                    f"({int(wrong.sum())} feature(s))",
                    path=found.path, where=found.label(idx),
                    hint="import it as another --kind, or --on-invalid fix to keep the "
                         "parts that fit")
            if on_invalid == "fix":
                fitted = keep_types(geoms[wrong], kind_obj.geometry)
                ok = ~shapely.is_missing(fitted)
                idx = np.flatnonzero(wrong)
                fixed_mask = np.zeros(n, dtype=bool)
                fixed_mask[idx[ok]] = True
                if ok.any():
                    before = geoms.copy()
                    geoms[idx[ok]] = fitted[ok]
                    repair_total += found.entries(
                        fixed_mask, lambda i: f"{before[i].geom_type} reduced to its "
                        f"{geoms[i].geom_type} parts to fit a {kind_obj.name} layer",
                        report.repaired)
                    repaired |= fixed_mask
                wrong &= ~fixed_mask
            skip_total += found.entries(wrong, wrong_reason, report.skip)
            keep &= ~wrong

        # rings not closed in the file
        unclosed = decoded.unclosed & keep
        if unclosed.any():
            text = "ring not closed (first and last positions differ)"
            if on_invalid == "raise":
                found.error(unclosed, text)
            elif on_invalid == "warn":
                found.entries(unclosed, text + ": closed it", report.warn, check="geometry")
            else:
                repair_total += found.entries(unclosed, text + ": closed it", report.repaired)
                repaired |= unclosed

        # OGC validity (self-intersection...)
        invalid = masks["invalid"] & keep
        if invalid.any():
            def invalid_reason(i):
                return f"invalid geometry: {checks.invalid_reason.get(i, 'not valid')}"
            if on_invalid == "raise":
                found.error(invalid, invalid_reason)
            elif on_invalid == "warn":
                found.entries(invalid, lambda i: invalid_reason(i) + " (kept as is)",
                              report.warn, check="geometry")
            else:
                idx = np.flatnonzero(invalid)
                fixed = repair(geoms[idx])
                if kind_obj.geometry:
                    fixed = keep_types(fixed, kind_obj.geometry)
                gone = shapely.is_missing(fixed) | shapely.is_empty(fixed)
                geoms[idx] = fixed
                ok_mask = np.zeros(n, dtype=bool)
                ok_mask[idx[~gone]] = True
                bad_mask = np.zeros(n, dtype=bool)
                bad_mask[idx[gone]] = True
                repair_total += found.entries(
                    ok_mask, lambda i: invalid_reason(i) + f": repaired with make_valid "
                    f"→ {geoms[i].geom_type}", report.repaired)
                skip_total += found.entries(
                    bad_mask, lambda i: invalid_reason(i) + ": nothing of a "
                    f"{kind_obj.name} geometry is left after make_valid", report.skip)
                repaired |= ok_mask
                keep &= ~bad_mask

        # notices: winding, repeated vertices
        wound = masks["winding"] & keep
        if wound.any():
            found.entries(wound, "polygon rings do not follow the right-hand rule (RFC 7946 "
                                 "winding); accepted", report.warn, check="winding")
        rep = masks["repeated"] & keep
        if rep.any():
            if on_invalid == "fix":
                idx = np.flatnonzero(rep)
                geoms[idx] = shapely.remove_repeated_points(geoms[idx], 0.0)
                repair_total += found.entries(rep, "repeated consecutive vertices removed",
                                              report.repaired)
                repaired |= rep
            else:
                found.entries(rep, "repeated consecutive vertices", report.warn,
                              check="geometry")

        # ids
        if kind_obj.id_column and kind_obj.id_column in attrs.columns:
            ids = attrs[kind_obj.id_column]
            dup = (ids.duplicated(keep="first").to_numpy() & keep)
            dup &= ids.notna().to_numpy()
            if dup.any():
                if on_invalid == "raise":
                    found.error(dup, lambda i: f"duplicate {kind_obj.id_column} {ids.iat[i]!r}")
                else:
                    col = kind_obj.id_column
                    new = _unique_ids(ids, dup)
                    old_ids = ids.to_numpy(dtype=object)
                    new_ids = new.to_numpy(dtype=object)

                    def text(i, old_ids=old_ids, new_ids=new_ids, col=col):
                        return f"duplicate {col} {old_ids[i]!r}: renamed to {new_ids[i]!r}"

                    if on_invalid == "warn":
                        found.entries(dup, text, report.warn, check="id")
                    else:
                        repair_total += found.entries(dup, text, report.repaired)
                    attrs[col] = new
                    found.ids = new.to_numpy(dtype=object)

        report.extra["skipped_total"] = skip_total
        report.extra["repaired_total"] = repair_total
        return geoms, keep, (repaired if on_invalid == "fix" else None)


class _Background:
    """Run ``func(*args)`` in a thread; :meth:`result` waits and returns (or raises)."""

    def __init__(self, func, *args):
        self._out = None
        self._exc = None

        def run():
            try:
                self._out = func(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self._exc = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self):
        """The function's return value, once it has finished."""
        self._thread.join()
        if self._exc is not None:
            raise self._exc
        return self._out


class _NoCRS:
    """Stands for a source without any CRS until the coordinates tell (lon/lat → WGS84)."""

    is_geographic = True

    def __init__(self):
        self.resolved = None

    def resolve(self, crs) -> None:
        self.resolved = crs


def _nested_notes(meta, table, names) -> list[str]:
    """Notices for attributes that held nested JSON objects (kept as JSON text) or arrays
    (kept as lists), so that the user knows how the values were stored."""
    subtypes = dict(zip(meta.get("fields", []), meta.get("ogr_subtypes", []), strict=False))
    as_json = [n for n in names if subtypes.get(n) == "OFSTJSON"]
    as_list = [n for n in names if n not in as_json and pa.types.is_list(table.schema.field(n).type)]
    notes = []
    if as_json:
        notes.append(f"attribute(s) {as_json} hold nested JSON objects: stored as JSON text "
                     "(one string per feature); flatten them first to query their members")
    if as_list:
        notes.append(f"attribute(s) {as_list} hold arrays: stored as lists")
    return notes


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


def _read_arrow(source, *, on_batch=None, batch_size=16384, **kwargs):
    """Read ``source`` with GDAL into one Arrow table (plus the FIDs and GDAL's warnings as
    text), calling ``on_batch(meta, batch)`` on each batch as it arrives.

    GDAL parses in a producer thread (it releases the GIL), so the caller's per-batch work
    (geometry checks, reprojection) overlaps with the parse of the next batch.
    """
    batches = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pyogrio.raw.open_arrow(source, use_pyarrow=True, return_fids=True,
                                    batch_size=batch_size, **kwargs) as (meta, reader):
            meta = dict(meta)
            schema = reader.schema
            inbox: queue.Queue = queue.Queue()
            stop = threading.Event()

            def produce():
                try:
                    # GDAL's error handlers are per thread: without this, its warnings
                    # in this thread go to stderr instead of Python's warnings
                    with _capture_gdal_errors():
                        for batch in reader:
                            if stop.is_set():  # the consumer failed: stop reading
                                break
                            inbox.put(batch)
                    inbox.put(None)
                except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                    inbox.put(exc)

            thread = threading.Thread(target=produce, daemon=True)
            thread.start()
            try:
                while (item := inbox.get()) is not None:
                    if isinstance(item, BaseException):
                        raise item
                    batches.append(item)
                    if on_batch is not None:
                        on_batch(meta, item)
            finally:
                stop.set()
                thread.join()  # the dataset closes only after GDAL is done with it
    table = pa.Table.from_batches(batches, schema=schema)
    fcol = next((c for c in ("OGC_FID", "__fid") if c in table.column_names), None)
    if fcol is not None:
        meta["_fids"] = table.column(fcol).to_numpy()
        table = table.drop_columns([fcol])
    msgs = list(dict.fromkeys(str(w.message).split("\n")[0] for w in caught
                              if issubclass(w.category, RuntimeWarning)))
    return meta, table, msgs


def _capture_gdal_errors():
    """pyogrio's context that turns GDAL warnings into Python warnings in this thread."""
    try:
        from pyogrio._err import capture_errors
    except ImportError:  # a pyogrio without it: GDAL prints its warnings itself
        return contextlib.nullcontext()
    return capture_errors()


def _screen_and_hash(raw: bytes, screen: bool):
    """The structural member counts (when ``screen``) and the sha256 of the file's bytes."""
    counts = count_members(raw) if screen else None
    return counts, hashlib.sha256(raw).hexdigest()


class _GeometryWork:
    """What the reader does to each batch of geometries as GDAL delivers it: parse the
    WKB (:func:`decode`), run every check (:func:`check`) on the source coordinates, then
    reproject into the working CRS in place. :meth:`merged` joins the batches."""

    def __init__(self, reader, *, meta_args, linted):
        self.reader = reader
        self.meta_args = meta_args
        self.linted = linted
        self.src = None
        self.reset()

    def reset(self) -> None:
        """Forget the batches of a read that failed (the reader reads again)."""
        self.parts = []
        self.timings = {"decode_s": 0.0, "checks_s": 0.0, "reproject_s": 0.0}

    def source_crs(self, meta):
        """The source CRS, decided once from GDAL's metadata and the ``crs`` option."""
        if self.src is None:
            crs, raw, report, path = self.meta_args
            self.src = self.reader._source_crs(meta, crs, raw, self.linted, report, path)
        return self.src

    @property
    def reprojected(self) -> bool:
        """True when the geometries are already in the working CRS."""
        return not isinstance(self.src, _NoCRS)

    def __call__(self, meta, batch) -> None:
        src = self.source_crs(meta)
        name = meta.get("geometry_name") or "wkb_geometry"
        if name in batch.schema.names:
            wkb = batch.column(name).to_numpy(zero_copy_only=False)
        else:
            wkb = np.full(batch.num_rows, None, dtype=object)
        t0 = time.perf_counter()
        decoded = decode(wkb)
        t1 = time.perf_counter()
        checks = check(decoded.geoms, lonlat=src.is_geographic,
                       area=twin_crs.working_area_lonlat() if src.is_geographic else None)
        t2 = time.perf_counter()
        if self.reprojected:
            twin_crs.transform_geometries(decoded.geoms, src, twin_crs.working_crs(),
                                          in_place=True)
        t3 = time.perf_counter()
        for key, dt in (("decode_s", t1 - t0), ("checks_s", t2 - t1), ("reproject_s", t3 - t2)):
            self.timings[key] = round(self.timings[key] + dt, 4)
        self.parts.append((wkb, decoded, checks))

    def merged(self):
        """``(wkb, decoded, checks)`` over all batches."""
        if not self.parts:
            empty = np.empty(0, dtype=object)
            return empty, decode(empty), check(empty, lonlat=True)
        if len(self.parts) == 1:
            return self.parts[0]
        wkb = np.concatenate([p[0] for p in self.parts])
        offsets = np.cumsum([0] + [len(p[0]) for p in self.parts])
        reasons, invalid = {}, {}
        for off, (_, dec, chk) in zip(offsets, self.parts):
            reasons.update({int(k) + int(off): v for k, v in dec.reasons.items()})
            invalid.update({int(k) + int(off): v for k, v in chk.invalid_reason.items()})
        decoded = Decoded(
            geoms=np.concatenate([p[1].geoms for p in self.parts]),
            unclosed=np.concatenate([p[1].unclosed for p in self.parts]),
            unreadable=np.concatenate([p[1].unreadable for p in self.parts]),
            reasons=reasons)
        checks = Findings(
            masks={k: np.concatenate([p[2].masks[k] for p in self.parts])
                   for k in self.parts[0][2].masks},
            invalid_reason=invalid,
            bounds=np.concatenate([p[2].bounds for p in self.parts]))
        return wkb, decoded, checks


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


def _gdal_text(exc) -> str:
    text = str(exc).replace("\n", " ").strip()
    if "not recognized as" in text:
        return "not recognised as a supported vector format"
    return text[:300]


def _raise_first(errors, path) -> None:
    """Raise the first format error of a lint, counting the others."""
    first, more = errors[0], len(errors) - 1
    raise ReaderError(first.message + (f" ({more} more problem(s))" if more else ""),
                      path=path, where=first.where(), hint=_HINT)


def _out_of_range_reason(b) -> str:
    """Why lon/lat bounds ``b`` are impossible; names swapped axes when they look swapped."""
    text = f"coordinates outside longitude/latitude range {_fmt_bounds(b)}"
    if abs(b[1]) > 90 and abs(b[3]) > 90 and abs(b[0]) <= 90 and abs(b[2]) <= 90:
        text += ("; the axes look swapped (latitude first): write each position as "
                 "[longitude, latitude]")
    return text


def _outside_area_reason(b) -> str:
    """Why lon/lat bounds ``b`` cannot be placed in the working CRS."""
    work = twin_crs.working_crs()
    aou = work.area_of_use
    text = (f"coordinates {_fmt_bounds(b)} lie outside the working CRS's area "
            f"({work.to_string()}: {aou.name if aou else 'unknown'})")
    if b[2] - b[0] > 180.0:
        text += (f"; the feature spans {b[2] - b[0]:.0f}° of longitude, so it probably "
                 "crosses the antimeridian (cut it there, as RFC 7946 asks)")
    return text + "; set $TWIN_CRS to a CRS that covers them, or fix the coordinates"


def _fmt_bounds(b) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in b) + "]"


def _unique_ids(ids: pd.Series, dup: np.ndarray) -> pd.Series:
    """Make duplicated ids unique by appending ``~2``, ``~3``…"""
    values = ids.astype("string").to_numpy(dtype=object, na_value=None)
    taken = {v for v in values if v is not None}
    counter: dict[str, int] = {}
    for i in np.flatnonzero(dup):
        base = values[i]
        k = counter.get(base, 1) + 1
        while f"{base}~{k}" in taken:
            k += 1
        counter[base] = k
        values[i] = f"{base}~{k}"
        taken.add(values[i])
    return pd.Series(values, index=ids.index, dtype="string")


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
