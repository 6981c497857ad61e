"""Where a query gets its inputs: :class:`QueryInputs`, a mapping from layer kind to frame.

A query never opens a store itself. It asks a :class:`QueryInputs` for a kind
(``layers["building"]``) and gets every layer of that kind in one frame. The frames come

* from a store, read lazily on first use (``QueryInputs(store)``): all layers of the kind,
  concatenated, with a ``layer`` column naming the source layer (so the ``buildings`` layer
  and an IFC reader's LOD1 layer of kind ``building`` are one frame);
* or from frames given directly (``QueryInputs(frames={"building": gdf, ...})``), which is how a
  scenario runs queries on edited copies;
* or both: :meth:`QueryInputs.override` (or ``layers[kind] = frame``) replaces one kind and
  leaves the others to the store.

Vector kinds give GeoDataFrames in the working CRS, tables (``sensor_reading``,
``storey``) give DataFrames, and a raster kind (``terrain``) gives the GeoTIFF bytes.
A kind with no layer gives an empty frame of the kind's columns; :meth:`require` raises a
clear :class:`QueryError` instead.

Example
-------
>>> from twin.query.inputs import QueryInputs
>>> layers = QueryInputs(store)                                # doctest: +SKIP
>>> edited = layers.copy().override("building", gdf)      # scenario view  # doctest: +SKIP
>>> edited["building"] is gdf                             # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import geopandas as gpd
import pandas as pd

from ..errors import QueryError
from ..kinds import empty_frame, get_kind

__all__ = ["QueryInputs", "as_layers", "empty_frame"]


class QueryInputs(Mapping):
    """A mapping from kind (``"building"``, ``"parcel"``, ``"terrain"`` …) to its data.

    Parameters
    ----------
    store : twin.store.Store, optional
        Read kinds from this store on first use (every layer of the kind, concatenated).
    frames : dict, optional
        ``{kind: frame}`` given directly; they win over the store.
    bbox : tuple, optional
        ``(minx, miny, maxx, maxy)`` passed to ``store.read`` for vector layers.
    settings : dict, optional
        Values a scenario sets for queries, read when the matching parameter is not
        given: ``flood_level_m`` (the ``flood`` water level).
    """

    def __init__(self, store=None, frames: dict | None = None, *, bbox=None,
                 settings: dict | None = None):
        self.store = store
        self.bbox = bbox
        self.settings: dict = dict(settings or {})
        self._frames: dict = {}
        self._overrides: dict = dict(frames or {})
        for kind in self._overrides:
            get_kind(kind)

    # -- mapping -------------------------------------------------------------------------
    def __getitem__(self, kind: str):
        if kind in self._overrides:
            return self._overrides[kind]
        if kind not in self._frames:
            self._frames[kind] = self._load(kind)
        return self._frames[kind]

    def __setitem__(self, kind: str, frame) -> None:
        self.override(kind, frame)

    def __iter__(self) -> Iterator[str]:
        return iter(self.kinds())

    def __len__(self) -> int:
        return len(self.kinds())

    def __contains__(self, kind) -> bool:
        return self.has(kind)

    def kinds(self) -> list[str]:
        """The kinds that have data (given frames plus the store's kinds)."""
        out = list(self._overrides)
        if self.store is not None:
            for info in self.store.layers():
                if info.kind not in out:
                    out.append(info.kind)
        return out

    def has(self, kind: str) -> bool:
        """True when ``kind`` has at least one row (or a raster)."""
        if kind in self._overrides:
            data = self._overrides[kind]
            return data is not None and (isinstance(data, (bytes, bytearray)) or len(data) > 0)
        if self.store is None:
            return False
        return bool(self.store.layers_of_kind(kind))

    def overridden(self) -> list[str]:
        """The kinds given as frames (not read from the store)."""
        return list(self._overrides)

    def layer_names(self, kind: str) -> list[str]:
        """The store layers of ``kind`` (empty for given frames)."""
        if kind in self._overrides or self.store is None:
            return []
        return self.store.layers_of_kind(kind)

    # -- changing ------------------------------------------------------------------------
    def override(self, kind: str, frame) -> QueryInputs:
        """Use ``frame`` for ``kind`` from now on (the store is not touched); returns self."""
        get_kind(kind)
        self._overrides[kind] = frame
        return self

    def copy(self) -> QueryInputs:
        """A new QueryInputs on the same store, sharing loaded frames, with its own overrides.

        Frames are shared, not copied: a caller that edits a frame edits a ``.copy()`` of
        it and passes the result to :meth:`override`.
        """
        out = QueryInputs(self.store, dict(self._overrides), bbox=self.bbox, settings=self.settings)
        out._frames = self._frames  # the cache of store reads is safe to share
        return out

    # -- access helpers used by queries --------------------------------------------------
    def require(self, kind: str, *, query: str = ""):
        """The data of ``kind``; raises :class:`QueryError` when there is none."""
        if not self.has(kind):
            label = get_kind(kind).label_zh
            raise QueryError(f"{query + ' needs' if query else 'needs'} a {kind} ({label}) "
                             f"layer and there is none",
                             hint=f"import one with `twin import FILE --kind {kind}`")
        return self[kind]

    def frame(self, name: str):
        """A kind (``"building"``) or, failing that, one store layer by its name."""
        from ..kinds import KINDS

        if name in KINDS:
            return self[name]
        if self.store is not None:
            try:
                kind = self.store.kind_of(name)
            except Exception as exc:  # noqa: BLE001 - StoreError for an unknown layer
                raise QueryError(f"no kind or layer called {name!r}",
                                 hint="use a kind such as building, or a layer name from "
                                      "`twin layers`") from exc
            if get_kind(kind).is_raster:
                return self.store.read(name)
            return _with_layer_column(self.store.read(name, bbox=None if get_kind(kind).is_table
                                                      else self.bbox), name)
        raise QueryError(f"no kind called {name!r}", hint="kinds: " + ", ".join(KINDS))

    # -- loading -------------------------------------------------------------------------
    def _load(self, kind: str):
        k = get_kind(kind)
        names = self.store.layers_of_kind(kind) if self.store is not None else []
        if not names:
            return empty_frame(kind)
        if k.is_raster:
            return self.store.read(names[0])
        frames = []
        for name in names:
            data = self.store.read(name) if k.is_table else self.store.read(name, bbox=self.bbox)
            frames.append(_with_layer_column(data, name))
        if len(frames) == 1:
            return frames[0]
        if k.is_table:
            return pd.concat(frames, ignore_index=True)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True),
                                geometry="geometry", crs=frames[0].crs)


def _with_layer_column(frame, name: str):
    if "layer" not in frame.columns:
        frame = frame.copy()
        frame["layer"] = name
    return frame


def as_layers(source) -> QueryInputs:
    """A :class:`QueryInputs` from a QueryInputs (returned as is), a store, or a ``{kind: frame}``."""
    if isinstance(source, QueryInputs):
        return source
    if isinstance(source, Mapping):
        return QueryInputs(frames=dict(source))
    from ..store.base import StoreReader

    if isinstance(source, StoreReader):
        return QueryInputs(source)
    raise QueryError(f"cannot take query inputs from a {type(source).__name__}",
                     hint="pass a store, a twin.query.QueryInputs or a dict of frames by kind")
