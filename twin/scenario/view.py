"""A read-only view of the store with a scenario's edits on top.

:class:`LayerView` holds in-memory copies of the store's layers (by layer name, each with its
kind) and implements the read-only store protocol (:class:`~twin.store.base.StoreReader`:
``layers``, ``read``, ``kind_of``, ``layers_of_kind``, ``current_version``, ``raster_path``), so
a query that reads a store reads a view the same way.
The base store is only ever read.

Each kind has a *primary* layer where proposed features go: the layer named like the kind
when there is one, else the first layer of that kind, else a new layer named like the kind.
Rows added or changed by edits carry ``scenario_change`` (``"added"`` or ``"changed"``); the
edit log is :attr:`LayerView.changes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..errors import StoreError
from ..kinds import empty_frame
from ..store.base import LayerInfo, StoreReader

__all__ = ["Change", "LayerView", "empty_frame", "CHANGE_COLUMN"]

CHANGE_COLUMN = "scenario_change"


@dataclass
class Change:
    """One feature an edit touched: ``change`` is ``added``, ``changed`` or ``removed``."""

    edit: int
    op: str
    kind: str
    layer: str
    id: str
    change: str
    geometry: Any = None
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (geometry as WKT)."""
        return {"edit": self.edit, "op": self.op, "kind": self.kind, "layer": self.layer,
                "id": self.id, "change": self.change,
                "geometry": None if self.geometry is None else self.geometry.wkt,
                "fields": self.fields}


class LayerView(StoreReader):
    """In-memory layers by name, with the store's read interface.

    Parameters
    ----------
    data : dict
        ``{layer: frame or GeoTIFF bytes}``.
    kinds : dict
        ``{layer: kind}``.
    params : dict, optional
        Query parameter overrides, ``{query name: {param: value}}`` (a flood level).
    base : Store, optional
        The store the view was read from (for raster paths).
    name : str
        ``"base"`` or the scenario's name.
    """

    def __init__(self, data: dict[str, Any], kinds: dict[str, str], *, params=None, base=None,
                 name: str = "base", versions: dict[str, int] | None = None):
        self.data = dict(data)
        self.kinds = dict(kinds)
        self.params: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (params or {}).items()}
        self.base = base
        self.name = name
        self.versions = dict(versions or {})
        self.changes: list[Change] = []
        self.url = f"{getattr(base, 'url', 'memory')}#{name}"

    # -- the store's read interface ---------------------------------------------------------
    def layers(self) -> list[LayerInfo]:
        """The layers of the view, sorted by name."""
        out = []
        for name in sorted(self.data):
            value = self.data[name]
            rows = 1 if isinstance(value, (bytes, bytearray)) else len(value)
            bbox = None
            if isinstance(value, gpd.GeoDataFrame) and len(value):
                bbox = [float(v) for v in value.total_bounds]
            out.append(LayerInfo(name=name, kind=self.kinds[name],
                                 current=self.versions.get(name, 0), versions=1, rows=rows,
                                 bbox=bbox))
        return out

    def kind_of(self, layer: str) -> str:
        """The kind of ``layer``."""
        try:
            return self.kinds[layer]
        except KeyError:
            raise StoreError(f"no layer called {layer!r}", where=self.url,
                             hint="layers: " + ", ".join(sorted(self.kinds))) from None

    def layers_of_kind(self, kind: str) -> list[str]:
        """Names of the layers of one kind, primary layer first."""
        names = sorted(n for n, k in self.kinds.items() if k == kind)
        if kind in names:
            names.remove(kind)
            names.insert(0, kind)
        return names

    def read(self, layer: str, *, bbox=None, columns=None, version: int | None = None):
        """A copy of ``layer`` (bytes for a raster); ``bbox`` and ``columns`` as in the store."""
        self.kind_of(layer)
        value = self.data[layer]
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        frame = value
        if bbox is not None and isinstance(frame, gpd.GeoDataFrame):
            frame = frame.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
        if columns is not None:
            cols = list(dict.fromkeys(columns))
            if isinstance(frame, gpd.GeoDataFrame):
                geom = frame.geometry.name
                if geom not in cols:
                    cols.append(geom)
            frame = frame[[c for c in cols if c in frame.columns]]
        return frame.copy()

    def raster_path(self, layer: str, version: int | None = None) -> Path:
        """The GeoTIFF path of a raster layer (rasters are never edited: the base's file)."""
        self.kind_of(layer)
        if not isinstance(self.base, StoreReader):
            raise StoreError(f"layer {layer!r} has no file behind it", where=self.url)
        return self.base.raster_path(layer, self.versions.get(layer) or None)

    def current_version(self, layer: str) -> int:
        """The base version this view's copy of ``layer`` came from (0 when it is new)."""
        self.kind_of(layer)
        return self.versions.get(layer, 0)

    # -- what the edits use -----------------------------------------------------------------
    def frame(self, kind: str):
        """Every layer of ``kind`` concatenated (with a ``layer`` column), or an empty frame."""
        names = [n for n in self.layers_of_kind(kind)
                 if not isinstance(self.data[n], (bytes, bytearray))]
        if not names:
            out = empty_frame(kind)
            out["layer"] = pd.Series([], dtype="string")
            return out
        parts = [self.data[n].assign(layer=n) for n in names]
        if len(parts) == 1:
            return parts[0]
        out = pd.concat(parts, ignore_index=True)
        if isinstance(parts[0], gpd.GeoDataFrame):
            out = gpd.GeoDataFrame(out, geometry=parts[0].geometry.name, crs=parts[0].crs)
        return out

    def primary_layer(self, kind: str) -> str:
        """The layer where proposed features of ``kind`` go (created empty when missing)."""
        names = [n for n in self.layers_of_kind(kind)
                 if not isinstance(self.data[n], (bytes, bytearray))]
        if names:
            return names[0]
        name = kind
        while name in self.data:
            name = f"scenario_{name}"
        self.data[name] = empty_frame(kind)
        self.kinds[name] = kind
        return name

    def copy(self, name: str | None = None) -> LayerView:
        """A view sharing nothing mutable with this one (frames are copied on write by edits)."""
        out = LayerView(self.data, self.kinds, params=self.params, base=self.base,
                        name=name or self.name, versions=self.versions)
        out.changes = list(self.changes)
        return out

    def terrain(self) -> bytes | None:
        """The GeoTIFF bytes of the first terrain layer, if any."""
        for name in self.layers_of_kind("terrain"):
            value = self.data[name]
            if isinstance(value, (bytes, bytearray)):
                return bytes(value)
        return None

    def changed_ids(self, kind: str, change: str | None = None) -> list[str]:
        """Ids of features of ``kind`` that edits added/changed/removed (in edit order)."""
        seen: dict[str, None] = {}
        for c in self.changes:
            if c.kind == kind and (change is None or c.change == change):
                seen.setdefault(c.id, None)
        return list(seen)
