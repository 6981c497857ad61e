"""The one map's tiled layers: buildings, parcels, roads and rivers drawn from their tile
pyramids (:mod:`twin.tiles`), built on first use of a layer version when the import did not
build them. The page calls :func:`tiled_parts` for each such layer."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.common import read_layer
from twin.config import map_tiles
from twin.render.tiles import tile_groups, tile_layer, tile_pick_row
from twin.tiles import TILED_KINDS, ensure_tileset, tileset_url

__all__ = ["TILE_MIN_ROWS", "uses_tiles", "tileset_for", "tiled_parts", "bim_tiled_parts",
           "pick_position"]

# Below this many rows a layer goes to the browser whole: one deck.gl layer costs software
# WebGL less than a TileLayer's GeoJsonLayer per tile (every demo layer tiled: 12 s warm
# against 4.8 s whole, load 7). The demo's 4,277 buildings are above it: sent whole they
# were 1.3 MB of JSON (blocks plus the roofs that are picked); from tiles the demo's first
# paint carries 0.37 MB decoded and painted in 3.2 s warm against 4.1 s (load 0.5).
TILE_MIN_ROWS = 2000


def uses_tiles(kind: str) -> bool:
    """True when layers of ``kind`` are drawn from tiles (``TWIN_MAP_TILES`` not ``0``)."""
    return kind in TILED_KINDS and map_tiles()


def tileset_for(url: str, layer: str, kind: str, version: int, sha: str,
                language: str | None = None):
    """The tileset of a layer version in ``language`` (built now if the import did not, if
    it was pruned since, or for the other language: its small manifest is read on every
    run, so it is not cached here)."""
    tileset, _built = ensure_tileset(lambda: read_layer(url, layer, version, sha), kind=kind,
                                     layer=layer, version=version, sha256=sha,
                                     language=language)
    return tileset


@st.cache_data(show_spinner=False, max_entries=32)
def _hidden_rows(url: str, layer: str, version: int, sha: str, ids: tuple) -> tuple:
    frame = read_layer(url, layer, version, sha)
    wanted = set(ids)
    hit = np.zeros(len(frame), dtype=bool)
    for col in ("id", "ifc_guid"):
        if col in frame.columns:
            hit |= frame[col].astype("string").isin(wanted).fillna(False).to_numpy(dtype=bool)
    return tuple(np.flatnonzero(hit).tolist())


def tiled_parts(url: str, layer: str, kind: str, version: int, sha: str, *, color_by: str,
                opacity: float, visible: bool, hidden_ids=(), language: str | None = None):
    """``(deck layers, legend groups, WGS84 bounds)`` of a tiled layer, or None when the
    layer is small enough to send whole (fewer than :data:`TILE_MIN_ROWS` rows: one
    deck.gl layer costs the browser less than one per tile); ``hidden_ids`` are building
    ids drawn as BIM detail instead; tooltips in ``language``."""
    tileset = tileset_for(url, layer, kind, version, sha, language)
    if tileset.rows < TILE_MIN_ROWS:
        return None
    groups = tile_groups(tileset, color_by)
    layers = []
    if visible and tileset.rows:
        hidden = _hidden_rows(url, layer, version, sha, tuple(sorted(hidden_ids))) \
            if hidden_ids else ()
        layers.append(tile_layer(tileset, name=layer, url=tileset_url(tileset),
                                 color_by=color_by, opacity=opacity, hidden_rows=hidden))
    bounds = tuple(tileset.bounds) if tileset.rows else None
    return layers, groups, bounds


def bim_tiled_parts(url: str, layer: str, version: int, sha: str, *, opacity: float,
                    visible: bool):
    """``(deck layers, legend groups)`` of a ``bim_element`` layer drawn from its tiles: the
    browser fetches element meshes only for the tiles in view at the detail zoom, and
    draws each building as a block further out (see :mod:`twin.tiles.bim`)."""
    tileset = tileset_for(url, layer, "bim_element", version, sha)
    groups = tile_groups(tileset)
    drawn = any(level["features"] for level in tileset.levels)
    layers = [tile_layer(tileset, name=layer, url=tileset_url(tileset), opacity=opacity)] \
        if visible and drawn else []
    return layers, groups


def pick_position(obj) -> int | None:
    """The layer row of a picked object: ``k`` of a whole-layer object or of a tile
    feature's properties (None for a merged block)."""
    return tile_pick_row(obj)
