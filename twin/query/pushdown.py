"""Push-down of a spatial search to a store that can run it (PostGIS), for any query.

A query that looks for the rows of a kind near some reference geometries (``select``'s
reference, ``setbacks``'s rivers and roads with their required distances) asks
:func:`candidates`. When the target layers live in a store that offers spatial search
(:class:`~twin.store.base.SpatialSearch`: PostGIS) and the query runs on the store itself
(the kind is not replaced by a scenario's frame, and no ``bbox`` limits the reads), the
spatial search runs on the server: ``ST_DWithin`` over the layer's
GiST index, against the reference geometries sent as WKB, finds the candidate rows, and
only those rows are read back. The query then runs its ordinary shapely code on the
candidates, which is why the answers are the same as the embedded path's, row for row:

* the server search is a superset of every possible match (``ST_DWithin`` with the
  required distance, plus 1 µm; ``intersects``, ``within`` and ``contains`` all imply a
  distance of 0), so no match is lost;
* each predicate is row-wise (a building violates a setback, a target meets a reference, on
  its own), so running the exact check on the candidates gives exactly the matches of the
  full layer, and the candidates keep their positions as index labels, as
  :class:`~twin.query.inputs.QueryInputs` would give them.

``select``'s attribute filter (``where``) goes the same way through :func:`filtered`, on a
store that offers :class:`~twin.store.base.AttributeSearch` (PostGIS): the parsed filter is
compiled by :func:`twin.query.expr.to_sql` against the layer's own columns (names checked
and quoted, values bound as parameters) and only the matching rows are read back. It is
pushed only when the SQL answer is exactly the in-memory one, test by test (see
:func:`twin.query.expr.to_sql`); any other filter (a column of another type, a ``contains``
with letters, the added ``layer`` column, a kind kept in several layers) runs in memory.

Set ``TWIN_PUSHDOWN=0`` to turn both off.

Example
-------
>>> found = candidates(layers, "building", refs.geometry, 50.0)  # doctest: +SKIP
>>> found.frame, found.total  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..kinds import KINDS
from .inputs import QueryInputs

__all__ = ["Candidates", "pushdown_store", "candidates", "filtered", "EPSILON_M"]

EPSILON_M = 1e-6  # widen the server search by 1 µm: float noise never loses a match


@dataclass
class Candidates:
    """The rows the server found: ``frame`` (as QueryInputs would give them, restricted to the
    candidates, index = position in the full frame), ``total`` rows of the full frame, and
    ``engine`` (a description for the query's methods)."""

    frame: gpd.GeoDataFrame
    total: int
    engine: str


def pushdown_store(layers, name: str, capability=None):
    """The store to push a search on ``name`` (a kind or layer) down to (one that offers
    ``capability``, by default :class:`~twin.store.base.SpatialSearch`), or None."""
    from ..store.base import SpatialSearch

    if os.environ.get("TWIN_PUSHDOWN", "1").strip() in ("0", "false", "no", "off"):
        return None
    if not isinstance(layers, QueryInputs) or not isinstance(layers.store,
                                                        capability or SpatialSearch):
        return None
    if layers.bbox is not None or name in layers.overridden():
        return None
    return layers.store


def _layer_names(layers: QueryInputs, name: str) -> list[str]:
    if name in KINDS:
        return layers.store.layers_of_kind(name)
    return [name] if name in {i.name for i in layers.store.layers()} else []


def candidates(layers, name: str, geometries, distance) -> Candidates | None:
    """The rows of ``name`` (a kind: all its layers, in store order; or one layer) within
    ``distance`` (+1 µm) of any of ``geometries``, found and read on the PostGIS server.

    Returns None when the search cannot be pushed down (not a PostGIS store, a scenario
    frame, a bbox, no such vector layer); the caller then takes its embedded path.
    """
    store = pushdown_store(layers, name)
    if store is None:
        return None
    names = _layer_names(layers, name)
    if not names or any(store.kind_of(n) in ("terrain", "storey", "sensor_reading")
                        for n in names):
        return None
    geoms = np.asarray(geometries, dtype=object)
    dist = np.broadcast_to(np.asarray(distance, dtype=float), geoms.shape) + EPSILON_M
    frames = []
    offset = 0
    for layer in names:
        total = store.row_count(layer)
        rows = store.dwithin_rows(layer, geoms, dist)
        part = store.read_rows(layer, rows)  # even when empty: its columns join the frame
        if "layer" not in part.columns:
            part["layer"] = layer
        part.index = part.index + offset
        frames.append(part)
        offset += total
    if len(frames) == 1:
        frame = frames[0]
    else:
        frame = gpd.GeoDataFrame(pd.concat(frames), geometry="geometry", crs=frames[0].crs)
    return Candidates(frame=frame, total=offset,
                      engine=f"PostGIS ST_DWithin on the GiST index of {', '.join(names)} "
                             f"({len(frame)} of {offset} rows read), then the exact shapely test")


def filtered(layers, name: str, where: str | None) -> Candidates | None:
    """The rows of ``name`` (a kind kept in one layer, or a layer) matching the filter
    ``where``, found by a ``WHERE`` on the server and read back alone.

    The filter is parsed and its columns checked here, as the in-memory path does (so a
    hostile or wrong filter is the same one-line :class:`~twin.errors.QueryError`). Returns
    None when the filter is not pushed (no filter, not a PostGIS store, a scenario frame, a
    bbox, a kind in several layers, a raster or table, no exact SQL form); the caller then
    filters in memory.
    """
    from ..kinds import get_kind
    from ..store.base import AttributeSearch
    from .expr import check_columns, columns_of, parse

    if where is None or not str(where).strip():
        return None
    store = pushdown_store(layers, name, AttributeSearch)
    if store is None:
        return None
    names = _layer_names(layers, name)
    if len(names) != 1:
        return None
    layer = names[0]
    kind = get_kind(store.kind_of(layer))
    if kind.is_raster or kind.is_table:
        return None
    ast = parse(where)
    empty = store.read_rows(layer, [])
    own = list(empty.columns)
    check_columns(ast, own if "layer" in own else [*own, "layer"])
    if "layer" in columns_of(ast) and "layer" not in own:
        return None  # the column QueryInputs adds; not in the table
    rows = store.where_rows(layer, ast)
    if rows is None:
        return None
    total = store.row_count(layer)
    frame = store.read_rows(layer, rows)
    if "layer" not in frame.columns:
        frame["layer"] = layer
    return Candidates(frame=frame, total=total,
                      engine=f"PostGIS WHERE on {layer} ({len(frame)} of {total} rows read)")
