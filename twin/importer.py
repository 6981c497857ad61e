"""Import a source file into the store: pick the reader, read, validate, commit one version.

This is the one path every import takes: the CLI's ``twin import``, the app's Import page
and the demo builder all call :func:`import_file`.

Example
-------
>>> from twin.importer import import_file
>>> from twin.store import open_store
>>> versions, report = import_file(open_store("layers"), "parcels.geojson", kind="parcel")
... # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from .errors import ReaderError, SchemaError, StoreError
from .io import reader_for
from .io.report import ImportReport, ImportResult, LayerData, file_sha256
from .kinds import get_kind
from .store.base import Store, check_name

__all__ = ["read_file", "import_file", "commit_result", "refuse_empty", "merge_with_current",
           "refuse_other_crs", "store_crs"]


def read_file(path, *, format: str | None = None, **options) -> ImportResult:
    """Read ``path`` with its reader and fill in the report's source, hash and timing.

    Nothing is written. ``options`` go to the reader (``kind``, ``layer``, ``crs``,
    ``mapping``, ``on_invalid``, ``progress``, ``anchor``...).
    """
    path = Path(path)
    if options.get("layer") is not None:  # a bad target name fails before any reading
        try:
            check_name(options["layer"])
        except StoreError as exc:
            raise StoreError(exc.message, path=path, hint=exc.hint) from None
    reader = reader_for(path, format)
    if options.get("check_on_import") not in (None, "off") and reader.name != "ifc":
        raise ReaderError("--check-on-import checks IFC models only", path=path,
                          hint="leave it out for this file")
    t0 = time.perf_counter()
    try:
        result = reader.read(path, **options)
    except SchemaError as exc:  # a kind's rule (twin.kinds.Kind.rules) names no file
        if exc.path is not None:
            raise
        raise SchemaError(exc.message, path=path, where=exc.where, hint=exc.hint) from None
    report: ImportReport = result.report
    report.source = str(path)
    report.source_sha256 = report.source_sha256 or file_sha256(path)  # a reader may hash as it reads
    report.reader = reader.name
    report.timings.setdefault("read_s", round(time.perf_counter() - t0, 4))
    return result


def import_file(store: Store, path, *, format: str | None = None, note: str = "",
                allow_empty: bool = False, mode: str | None = None,
                **options) -> tuple[dict[str, int], ImportReport]:
    """Read ``path`` and commit its layers to ``store`` as new versions.

    A layer with a ``replace_key`` (the IFC reader sets ``"building_id"``) is merged into
    the layer's current version rather than replacing it: see :func:`merge_with_current`.
    Returns ``({layer: version}, report)``. On any error nothing is written; a file that
    gives no feature at all is refused unless ``allow_empty``. ``mode`` (replace, append,
    merge: :mod:`twin.import_modes`) says how the file meets a layer that exists.
    """
    refuse_other_crs(store)  # before reading: a big file is not read for nothing
    result = read_file(path, format=format, **options)
    return (commit_result(store, result, note=note, allow_empty=allow_empty, mode=mode),
            result.report)


def commit_result(store: Store, result: ImportResult, *, note: str = "",
                  allow_empty: bool = False, mode: str | None = None) -> dict[str, int]:
    """Commit what :func:`read_file` read (after a preview, say) as new versions, merging
    layers that have a ``replace_key`` (see :func:`merge_with_current`); returns
    ``{layer: version}``. On any error nothing is written.

    An import that would write no feature at all (an empty collection, only null or
    unusable geometries) would replace the current layer with nothing, so it is refused
    with a :class:`~twin.errors.ReaderError` unless ``allow_empty``. With ``mode``
    (``replace``, ``append``, ``merge``) every layer that exists is written that way
    (:func:`twin.import_modes.apply_mode`) instead of by its default."""
    if not allow_empty:
        refuse_empty(result)
    t0 = time.perf_counter()
    existing = {info.name: info.kind for info in store.layers()}
    refuse_other_crs(store, result, existing)
    if mode is None:
        layers = [merge_with_current(store, item, result.report, existing=existing)
                  for item in result.layers]
    else:
        from .import_modes import apply_mode

        layers = [apply_mode(store, item, mode, existing=existing, source=result.report.source)
                  for item in result.layers]
        result.report.extra["import_mode"] = mode
    versions = store.commit(layers, report=result.report.to_dict(), note=note)
    result.report.timings["commit_s"] = round(time.perf_counter() - t0, 4)
    from .tiles import tiles_after_import  # the map's tiles of the new versions

    tiles_after_import(store, versions, result.report)
    return versions


def store_crs(store: Store):
    """The CRS a store's layers are in (:meth:`~twin.store.base.StoreReader.crs`), or
    None while it holds none."""
    crs = getattr(store, "crs", None)
    return crs() if callable(crs) else None


def refuse_other_crs(store: Store, result: ImportResult | None = None,
                     existing: dict | None = None) -> None:
    """A store has one working CRS: refuse, in one line, an import in another one (a
    different ``$TWIN_CRS`` than the store was made with, or layers of ``result`` in
    another CRS), on every backend. A store without layers takes any. ``existing`` is
    accepted for the callers that have the layer list already (the CRS tells the same)."""
    from .crs import parse_crs, working_crs

    held = store_crs(store)
    if not held:
        return
    want = parse_crs(held)
    # readers reproject to $TWIN_CRS (a raster's bytes carry no .crs to look at)
    crss = [(working_crs(), "from $TWIN_CRS")]
    if result is not None:
        crss += [(parse_crs(item.data.crs), f"layer {item.name}") for item in result.layers
                 if getattr(item.data, "crs", None) is not None]
    for crs, origin in crss:
        if crs != want:
            raise StoreError(f"the store holds its layers in {held} but this import is in "
                             f"{crs.to_string()} ({origin}); a store has one working CRS",
                             where=getattr(store, "display_url", None) or store.url,
                             hint=f"unset $TWIN_CRS (or set it to {held}) for this store, or "
                                  "import into another store (--store PATH)")


def refuse_empty(result: ImportResult) -> None:
    """Raise :class:`~twin.errors.ReaderError` when ``result`` holds no feature in any layer."""
    sized = [item for item in result.layers if not isinstance(item.data, (bytes, bytearray))]
    if not sized or any(len(item.data) for item in sized):
        return
    names = ", ".join(item.name for item in sized)
    skipped = result.report.skipped
    why = "the file holds no feature"
    if skipped:
        first = skipped[0]
        why = (f"all {len(skipped)} features were skipped (feature {first['feature']}: "
               f"{first['reason']})")
    raise ReaderError(f"nothing to import into {names}: {why}, and committing would replace "
                      "the layer with an empty version", path=result.report.source,
                      hint="fix the file, or pass "
                           "--allow-empty to write an empty version on purpose")


def merge_with_current(store: Store, item: LayerData, report: ImportReport, *,
                       existing: dict[str, str] | None = None) -> LayerData:
    """Apply ``item.replace_key``: keep the current rows of other keys, replace the rest.

    Without a ``replace_key``, or when the layer does not exist yet, ``item`` is returned
    unchanged (the new version replaces the layer). Otherwise rows of the current version
    whose ``replace_key`` value, or kind id, appears in ``item.data`` are dropped and the
    remaining rows are put in front of the new ones; the union is committed as the new
    version, so versions and rollback work as for any import. The report's
    ``extra["merged"]`` records how many rows were kept per layer. ``existing``
    (``{layer: kind}`` of the store) saves reading the catalog again.
    """
    key = getattr(item, "replace_key", None)
    if not key or isinstance(item.data, (bytes, bytearray)):
        return item
    if existing is None:
        existing = {info.name: info.kind for info in store.layers()}
    if item.name not in existing:  # a new layer, unless another import creates it first
        return replace(item, base_version=0)
    if existing[item.name] != item.kind:
        return item  # a kind change, which the store refuses clearly
    base = store.current_version(item.name)
    current = store.read(item.name, version=base)
    if key not in current.columns or key not in item.data.columns:
        return replace(item, base_version=base)
    drop = current[key].isin(set(item.data[key].dropna()))
    id_col = get_kind(item.kind).id_column
    if id_col and id_col in current.columns and id_col in item.data.columns:
        drop |= current[id_col].isin(set(item.data[id_col].dropna()))
    kept = current.loc[~drop]
    report.extra.setdefault("merged", {})[item.name] = {"kept_rows": int(len(kept)),
                                                        "replaced_rows": int(drop.sum())}
    if not len(kept):
        return replace(item, base_version=base)
    merged = pd.concat([kept, item.data], ignore_index=True)
    if hasattr(item.data, "crs") and not isinstance(merged, type(item.data)):
        import geopandas as gpd

        merged = gpd.GeoDataFrame(merged, geometry=item.data.geometry.name, crs=item.data.crs)
    return LayerData(item.name, item.kind, merged, replace_key=key, base_version=base)
