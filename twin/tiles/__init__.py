"""Tile pyramids of the vector layers, for drawing a city's worth of buildings, parcels,
roads and rivers with deck.gl's ``TileLayer``: only the tiles in view are fetched, low zooms
carry generalised geometry (buildings as blocks), high zooms the full features.

``features``  a layer → GeoJSON feature texts, anchor points, legend classes
``pyramid``   Web Mercator tile arithmetic
``generalize`` blocks and thinning for crowded low-zoom tiles
``tileset``   building one pyramid into a folder, its manifest
``cache``     where tilesets live, keyed by layer version and checksum; store-wide builds

Example
-------
>>> from twin.tiles import build_store_tiles
>>> results = build_store_tiles(store)  # doctest: +SKIP
"""

from __future__ import annotations

from ..lazy import lazy_exports

# each public name is imported from its module on first use (pydeck, pandas, shapely
# only when a command draws or tiles)
_LAZY = {
    "TILES_URL": ".cache",
    "build_store_tiles": ".cache",
    "cached_tileset": ".cache",
    "ensure_tileset": ".cache",
    "prune_tiles": ".cache",
    "tiles_after_import": ".cache",
    "tiles_root": ".cache",
    "tileset_key": ".cache",
    "tileset_url": ".cache",
    "TILED_KINDS": ".features",
    "FeatureTable": ".features",
    "layer_features": ".features",
    "DETAIL_ZOOM": ".tileset",
    "FULL_BUDGET": ".tileset",
    "Tileset": ".tileset",
    "build_pyramid": ".tileset",
    "read_tileset": ".tileset",
}

__all__ = [
    "TILES_URL",
    "TILED_KINDS",
    "DETAIL_ZOOM",
    "FULL_BUDGET",
    "FeatureTable",
    "Tileset",
    "build_pyramid",
    "build_store_tiles",
    "cached_tileset",
    "ensure_tileset",
    "layer_features",
    "prune_tiles",
    "read_tileset",
    "tiles_root",
    "tileset_key",
    "tileset_url",
    "tiles_after_import",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
