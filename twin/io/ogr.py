"""Any OGR vector (GeoPackage, Shapefile, FlatGeobuf, GeoJSON…) → one layer of a kind.

The reader is thin on purpose: GDAL (``pyogrio.raw.open_arrow``) reads the file into
Arrow batches, and everything after that works on whole arrays. GDAL parses in a producer
thread (it releases the GIL) while each batch it delivers is decoded, checked and
reprojected; the file's hash and byte screen run in the background meanwhile.

1. **Structure.** A format's own layer may check the text first: GeoJSON's
   (:mod:`twin.io.geojson`: RFC 7946 lint and its no-``crs`` rule) is one; its hooks are
   the methods ``_text`` … ``_crs_rule`` of :class:`OGRReader`.
2. **CRS.** The file's CRS, as GDAL reports it; ``crs=`` (``--crs``) overrides the file.
   A file without any CRS is taken as WGS84 when its coordinates are lon/lat. Coordinates
   that cannot be in the CRS (lon/lat out of range, or far outside a projected CRS's area
   of use) stop the import with a :class:`~twin.errors.GeoreferenceError` that names the
   likely CRS.
3. **Validity** (:mod:`twin.io.validity`) on the raw coordinates, with the policy
   ``on_invalid`` (decided in :func:`twin.io.policy.apply_policy`):

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
>>> from twin.io.ogr import OGRReader
>>> result = OGRReader().read("roads.gpkg", kind="road", on_invalid="fix")
... # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from .. import crs as twin_crs
from ..errors import GeoreferenceError, ReaderError, SchemaError
from ..kinds import KINDS, conform, get_kind
from .attributes import map_attributes, sanitise_columns
from .policy import Findings, apply_policy, check_policy, fmt_bounds
from .report import ImportReport, ImportResult, LayerData
from .validity import Decoded, check, decode
from .validity import Findings as Checks

__all__ = ["OGRReader"]

_HANDLED_GDAL_WARNINGS = ("Non closed ring detected",)


def _progress(progress, done, total, message):
    if progress is not None:
        progress(done, total, message)


class OGRReader:
    """Reads every OGR vector format into one layer of a kind (see the module docstring).

    Options of :meth:`read`: ``kind`` (required), ``layer`` (default: the kind's name),
    ``crs`` (overrides the file's), ``mapping`` ({source attribute: column}),
    ``on_invalid`` (``raise``, ``warn``, ``fix``), ``progress`` (callable(done, total,
    message)), ``source_layer`` (for multi-layer sources such as GeoPackage), ``lint``
    (``auto``, ``always``, ``never``: a format layer's structural check), ``encoding``
    (the source's text encoding when it is not UTF-8, e.g. ``gbk``).
    """

    name = "ogr"
    suffixes = (".geojsonl", ".gpkg", ".shp", ".fgb", ".gml", ".kml")

    def can_read(self, path) -> bool:
        """True for the vector suffixes GDAL reads."""
        return Path(path).suffix.lower() in self.suffixes

    # -- a format layer's hooks (GeoJSON overrides them) -------------------------------
    def _text(self, path: Path, encoding):
        """The file's text as UTF-8 bytes when the format layer checks it, else None."""
        return None

    def _early_lint(self, raw, path, lint):
        """A structural check before GDAL reads, or None."""
        return None

    def _background(self, raw, linted, lint):
        """Work to overlap with GDAL's parse (a :class:`_Background`), or None."""
        return None

    def _late_lint(self, background, linted, raw, path, decoded, table, gdal_msgs, report):
        """The structural check after GDAL read, when the early one was skipped."""
        return linted

    def _lint_report(self, linted, path, on_invalid, report) -> None:
        """Put a structural check's findings in the report (or raise under ``raise``)."""

    def _unreadable(self, path, raw, linted, on_invalid, gdal_text, geometry):
        """GDAL refused the file's text: explain it, or read what can be read."""
        raise ReaderError(f"GDAL cannot read it ({gdal_text})", path=path)

    def _restore_ids(self, attrs: pd.DataFrame, meta, raw, kind_obj) -> pd.DataFrame:
        """Feature ids GDAL moved out of the attributes, brought back."""
        return attrs

    def _crs_rule(self, src, file_crs, raw, linted, report) -> None:
        """Notes on how the format declares its CRS."""

    # -- the pipeline ------------------------------------------------------------------
    def read(self, path, *, kind=None, layer=None, crs=None, mapping=None,
             on_invalid="raise", progress=None, source_layer=None, lint="auto",
             encoding=None, **_other) -> ImportResult:
        """Read ``path`` into one layer of ``kind`` in the working CRS, plus the report."""
        t_start = time.perf_counter()
        path = Path(path)
        kind_obj = self._kind(kind, path)
        check_policy(on_invalid)
        if lint not in ("auto", "always", "never"):
            raise ReaderError(f"unknown lint mode {lint!r}", hint="use auto, always or never")
        if crs is not None:
            twin_crs.parse_crs(crs, path=path)  # a bad --crs fails before any reading
        layer = layer or kind_obj.name
        report = ImportReport(kind=kind_obj.name)
        report.extra["on_invalid"] = on_invalid
        timings = report.timings
        _progress(progress, 0, 5, f"reading {path.name}")

        raw = self._text(path, encoding)
        linted = self._early_lint(raw, path, lint)
        background = self._background(raw, linted, lint)
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

        linted = self._late_lint(background, linted, raw, path, decoded, table, gdal_msgs,
                                 report)
        if linted is not None:
            self._lint_report(linted, path, on_invalid, report)
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
        attrs = self._restore_ids(attrs, meta, raw, kind_obj)
        attrs, used, notes = map_attributes(attrs, kind_obj, mapping=mapping, layer=layer)
        report.mapping = used
        for note in notes:
            report.warn(None, note)
        timings["attributes_s"] = round(time.perf_counter() - t0, 4)
        ids = (attrs[kind_obj.id_column].to_numpy(dtype=object)
               if kind_obj.id_column in attrs.columns else None)
        found = Findings(path, ids)

        self._check_georeference(checks, decoded, src_crs, crs is not None, path, report)
        reprojected = geometry.reprojected
        if isinstance(src_crs, _NoCRS):
            src_crs = src_crs.resolved
        _progress(progress, 2, 5, "applying the validity policy")

        geoms, keep, original = apply_policy(decoded, checks, found, kind_obj, on_invalid,
                                             report, attrs)
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

    def _gdal_read(self, path, raw, linted, on_invalid, source_layer, report, geometry, *,
                   encoding=None):
        """GDAL's read (see :func:`_read_arrow`) → ``(meta, table, warnings, lint)``; text
        GDAL refuses goes to :meth:`_unreadable`. Text the format layer transcoded
        (``encoding``) is read from its UTF-8 bytes; otherwise GDAL gets ``encoding``."""
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
        return self._unreadable(path, raw, linted, on_invalid, gdal_text, geometry)

    def _source_crs(self, meta, crs_option, raw, linted, report, path):
        file_crs = meta.get("crs")
        if crs_option is not None:
            src = twin_crs.parse_crs(crs_option, path=path)
            if file_crs and twin_crs.parse_crs(file_crs, path=path) != src:
                report.warn(None, f"--crs {crs_option} overrides the file's CRS {file_crs}")
        elif file_crs:
            src = twin_crs.parse_crs(file_crs, path=path)
            self._crs_rule(src, file_crs, raw, linted, report)
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
        box = fmt_bounds(bounds)
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
        checks = Checks(
            masks={k: np.concatenate([p[2].masks[k] for p in self.parts])
                   for k in self.parts[0][2].masks},
            invalid_reason=invalid,
            bounds=np.concatenate([p[2].bounds for p in self.parts]))
        return wkb, decoded, checks


def _gdal_text(exc) -> str:
    text = str(exc).replace("\n", " ").strip()
    if "not recognized as" in text:
        return "not recognised as a supported vector format"
    return text[:300]
