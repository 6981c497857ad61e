"""How an import meets the layer it writes to: replace, append, merge by id, or a new layer.

An import used to replace its layer whole: two buildings imported as ``building`` took the
town's 4,277 buildings off the map. :func:`plan_import` says, before anything is written,
what each layer of a read result would become (rows now, rows in the file, rows after);
:func:`apply_mode` builds the layer data a mode commits. Every mode is one new version
of the layer, so a rollback undoes it.

Modes
-----
``replace``  the file's rows become the layer (the old behaviour).
``append``   the current rows, then the file's rows; an id already in the layer is refused.
``merge``    rows whose id (the kind's id column) is in the file are replaced by the file's
             rows, the others kept; new ids are added.
``new``      the file's rows become a new layer of another name (:func:`layer_name_from_file`).

Example
-------
>>> from twin.import_modes import plan_import
>>> plans = plan_import(store, result, mode="append")  # doctest: +SKIP
>>> plans[0].current_rows, plans[0].incoming_rows, plans[0].result_rows  # doctest: +SKIP
(4277, 2, 4279)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .errors import ReaderError
from .io.report import ImportResult, LayerData
from .kinds import get_kind
from .store.base import Store, check_name

__all__ = ["MODES", "LayerPlan", "plan_import", "apply_mode", "refuse_shrink",
           "layer_name_from_file", "rename_layers", "SHRINK_LIMIT"]

MODES = ("replace", "append", "merge")
SHRINK_LIMIT = 0.5  # without an explicit replace, a layer may not lose more than half its rows


@dataclass(frozen=True)
class LayerPlan:
    """What committing one layer of a read result would do.

    ``mode`` is the mode that applies (``"new"`` when the layer does not exist yet),
    ``explicit`` True when the caller asked for it rather than taking the default;
    ``current_rows`` the rows of its current version (0 for a new layer), ``incoming_rows``
    the rows the file gives and ``result_rows`` the rows of the version it would write.
    """

    layer: str
    kind: str
    mode: str
    current_rows: int
    incoming_rows: int
    result_rows: int
    explicit: bool = False  # the mode was asked for (``--mode``), not the layer's default

    @property
    def lost_rows(self) -> int:
        """How many of the current rows the new version would not keep (replaced or gone)."""
        if self.mode == "new":
            return 0
        return max(0, self.current_rows - max(self.result_rows - self.incoming_rows, 0))

    @property
    def replaces_data(self) -> bool:
        """True when rows now in the layer would not be in the new version."""
        return self.lost_rows > 0


def _rows(data) -> int:
    if isinstance(data, (bytes, bytearray)):
        return 1
    return len(data)


def _is_frame(data) -> bool:
    return not isinstance(data, (bytes, bytearray))


def _default_mode(item: LayerData) -> str:
    """A layer that merges by key (IFC buildings) merges; any other replaces."""
    return "merge" if getattr(item, "replace_key", None) else "replace"


def _id_column(item: LayerData, current) -> str | None:
    key = getattr(item, "replace_key", None)
    if key and key in current.columns and key in item.data.columns:
        return key
    col = get_kind(item.kind).id_column
    if col and col in current.columns and col in item.data.columns:
        return col
    return None


def _concat(kept, new, *, layer: str = "", source: str = ""):
    """The current rows ``kept`` then the file's rows ``new``, as one frame in their CRS.
    Both must be in the same CRS (a store has one working CRS): two different CRSs are
    refused in one line rather than mixed, and a side without a CRS takes the other's."""
    from .crs import parse_crs

    a, b = getattr(kept, "crs", None), getattr(new, "crs", None)
    if a is not None and b is not None and parse_crs(a) != parse_crs(b):
        raise ReaderError(f"layer {layer} holds its features in {parse_crs(a).to_string()} "
                          f"but the file's are in {parse_crs(b).to_string()}: they cannot be "
                          "merged or appended", path=source,
                          hint="import into a store in the file's CRS, or import the file "
                               "as a new layer of a store in its CRS")
    if a is None and b is not None and hasattr(kept, "set_crs") and len(kept):
        kept = kept.set_crs(b)
    elif b is None and a is not None and hasattr(new, "set_crs") and len(new):
        new = new.set_crs(a)
    merged = pd.concat([kept, new], ignore_index=True)
    if hasattr(new, "crs") and not hasattr(merged, "crs"):
        import geopandas as gpd

        merged = gpd.GeoDataFrame(merged, geometry=new.geometry.name, crs=new.crs)
    return merged


def apply_mode(store: Store, item: LayerData, mode: str | None, *,
               existing: dict[str, str] | None = None, source: str = "") -> LayerData:
    """The :class:`LayerData` that ``mode`` commits for ``item``.

    ``mode`` None uses the layer's own default (merge for a layer with a ``replace_key``,
    else replace). A layer that does not exist yet, or holds another kind (which the store
    refuses with its own message), is returned as it is. ``append`` refuses ids already in
    the layer (a :class:`~twin.errors.ReaderError` naming them, with merge as the way out);
    ``merge`` without an id column on both sides is refused too. The result carries
    ``base_version``, so a commit that another import overtook is refused, not lost.
    """
    mode = mode or _default_mode(item)
    if mode not in MODES:
        raise ReaderError(f"unknown import mode {mode!r}", path=source,
                          hint="choose " + ", ".join(MODES))
    if existing is None:
        existing = {info.name: info.kind for info in store.layers()}
    if item.name not in existing:
        return replace(item, base_version=0) if mode != "replace" else item
    if existing[item.name] != item.kind or mode == "replace" or not _is_frame(item.data):
        if mode != "replace" and not _is_frame(item.data) and existing[item.name] == item.kind:
            raise ReaderError(f"layer {item.name} is a raster: it can only be replaced",
                              path=source, hint="import it as a replacement or as a new layer")
        return item
    base = store.current_version(item.name)
    current = store.read(item.name, version=base)
    key = _id_column(item, current)
    if mode == "append":
        if key is not None:
            clash = sorted(set(current[key].dropna().astype(str))
                           & set(item.data[key].dropna().astype(str)))
            if clash:
                shown = ", ".join(clash[:5]) + (" …" if len(clash) > 5 else "")
                raise ReaderError(
                    f"{len(clash)} {key} value(s) of the file are already in layer "
                    f"{item.name}: {shown}", path=source,
                    hint="merge by id to replace those features, or give them new ids")
        kept = current
    else:  # merge
        if key is None:
            raise ReaderError(f"layer {item.name} and the file have no id column in common, "
                              "so features cannot be merged by id", path=source,
                              hint="append the features, or import them as a new layer")
        drop = current[key].astype("string").isin(set(item.data[key].dropna().astype(str)))
        kept = current.loc[~drop.fillna(False).to_numpy(bool)]
    if not len(kept):
        return replace(item, base_version=base)
    return LayerData(item.name, item.kind, _concat(kept, item.data, layer=item.name,
                                                   source=source),
                     replace_key=getattr(item, "replace_key", None), base_version=base)


def plan_import(store: Store, result: ImportResult, mode: str | None = None) -> list[LayerPlan]:
    """One :class:`LayerPlan` per layer of ``result``: what committing it with ``mode``
    would do. Writes nothing; reads the current version of each layer the file touches.
    A result in another CRS than the store's is refused first
    (:func:`twin.importer.refuse_other_crs`)."""
    from .importer import refuse_other_crs

    existing = {info.name: info.kind for info in store.layers()}
    refuse_other_crs(store, result, existing)
    rows_now = {info.name: info.rows for info in store.layers()}
    plans = []
    for item in result.layers:
        incoming = _rows(item.data)
        if item.name not in existing:
            plans.append(LayerPlan(item.name, item.kind, "new", 0, incoming, incoming))
            continue
        used = mode or _default_mode(item)
        merged = apply_mode(store, item, used, existing=existing, source=result.report.source)
        plans.append(LayerPlan(item.name, item.kind, used, int(rows_now.get(item.name) or 0),
                               incoming, _rows(merged.data), explicit=mode is not None))
    return plans


def refuse_shrink(plans: list[LayerPlan], *, source: str = "") -> None:
    """Raise :class:`~twin.errors.ReaderError` when a plan made without an explicit mode
    would leave a layer with less than half its rows (the CLI's default guard); a plan
    with an explicit ``replace`` (``--mode replace``, ``--replace``) passes."""
    for plan in plans:
        if plan.mode == "replace" and not plan.explicit and plan.current_rows > 0 and \
                plan.result_rows < plan.current_rows * SHRINK_LIMIT:
            raise ReaderError(
                f"importing would replace the {plan.current_rows:,} features of layer "
                f"{plan.layer} with {plan.result_rows:,}", path=source,
                hint="pass --mode append or --mode merge to keep them, --layer NAME for a "
                     "new layer, or --replace to replace the layer on purpose")


def layer_name_from_file(path, taken, *, kind: str = "") -> str:
    """A valid layer name derived from the file name ``path`` that is not in ``taken``
    (``"new_parcels.geojson"`` → ``new_parcels``, then ``new_parcels_2`` …)."""
    stem = Path(str(path)).stem
    stem = re.sub(r"[^A-Za-z0-9_\-\u4e00-\u9fff]+", "_", stem).strip("_-")
    if not stem:
        stem = f"{kind or 'layer'}_import"
    stem = stem.encode("utf-8")[:50].decode("utf-8", "ignore").rstrip("_-")
    if stem == kind:
        stem = f"{stem}_import"
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}_{n}", n + 1
    return check_name(name)


def rename_layers(result: ImportResult, names: dict[str, str]) -> ImportResult:
    """``result`` with its layers renamed by ``names`` (``{old: new}``), each new name
    checked by the store's name rule."""
    layers = [replace(item, name=check_name(names[item.name])) if item.name in names else item
              for item in result.layers]
    return replace(result, layers=layers)
