"""deck.gl ``TileLayer`` for a tiled store layer (:mod:`twin.tiles`): the browser fetches
only the tiles in view, as JSON arrays of GeoJSON features that it parses on the main
thread (no web worker, so nothing is fetched from a CDN), and draws each tile with the
``GeoJsonLayer`` that ``TileLayer`` renders by default.

Accessors are deck.gl JSON expressions on the features' ``properties`` (see
:mod:`twin.tiles.features`); colours come from the tileset's palettes through the same
balanced ternary tree as :func:`twin.render.layers.palette_accessor`.

Example
-------
>>> from twin.render.tiles import tile_layer
>>> layer = tile_layer(tileset, name="buildings", color_by="height")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib

import pydeck as pdk

from .layers import layer_id, palette_accessor
from .prepare import Group

__all__ = ["TILES_KEY", "tile_layer", "tile_groups", "is_tile_layer_id", "tile_pick_row"]

TILES_KEY = "tiles"


def _s(text: str):
    return pdk.types.String(text)


def _palette(colors, alpha: int, var: str) -> str:
    # palette_accessor's only variable is the class ``c``; colours hold digits only.
    return palette_accessor(colors, alpha).replace("c<", f"properties.{var}<")


def tile_groups(tileset, color_by: str = "use") -> list[Group]:
    """The legend groups of a tileset for a colour mode (``"use"``/``"height"`` for
    buildings; other kinds have one mode)."""
    groups = tileset.groups.get(color_by) or next(iter(tileset.groups.values()), [])
    return [Group(key=k, color=tuple(c), count=n, geometry=g) for k, c, n, g in groups]


def is_tile_layer_id(key: str) -> bool:
    """True when a deck layer id's group key (see :func:`twin.render.split_layer_id`) is a
    tile layer's."""
    return str(key).startswith(TILES_KEY)


def tile_pick_row(obj) -> int | None:
    """The layer row position of a picked tile feature (None for a merged block or a
    non-feature)."""
    if not isinstance(obj, dict):
        return None
    props = obj.get("properties")
    k = (props if isinstance(props, dict) else obj).get("k")
    try:
        k = int(k)
    except (TypeError, ValueError):
        return None
    return k if k >= 0 else None


def tile_layer(tileset, *, name: str, url: str, color_by: str = "use", opacity: float = 1.0,
               hidden_rows=(), pickable: bool = True) -> pdk.Layer:
    """The ``TileLayer`` of ``tileset`` (served at ``url``, a ``{z}/{x}/{y}`` template).

    ``hidden_rows``: row positions not to draw (buildings whose BIM detail is drawn instead):
    they become transparent and flat. The colour mode and the hidden rows are part of the
    layer id, so that changing them draws the tiles anew.
    """
    kind = tileset.kind
    mode = color_by if kind == "building" and color_by in tileset.palettes else \
        next(iter(tileset.palettes), "")
    var = "g" if mode == "height" else "c"
    hidden = sorted({int(r) for r in hidden_rows})
    digest = hashlib.sha1(repr((mode, hidden)).encode(), usedforsecurity=False).hexdigest()[:8]
    common = dict(
        id=layer_id(name, f"{TILES_KEY}-{digest}"), data=_s(url),
        min_zoom=tileset.minzoom, max_zoom=tileset.maxzoom, extent=list(tileset.bounds),
        tile_size=tileset.tile_px, pickable=pickable, auto_highlight=True,
        highlight_color=[255, 140, 0, 160], opacity=float(opacity))
    if kind == "bim_element":
        # one feature per IFC element, triangles at their own heights, colours baked in
        return pdk.Layer("TileLayer", filled=True, stroked=False, extruded=False,
                         _full3d=True, get_fill_color="properties.c", **common)
    colors = tileset.palettes[mode]
    if kind == "building":
        fill = _palette(colors, 235, var)
        height = "properties.h"
        if hidden:
            test = "||".join(f"properties.k=={r}" for r in hidden)
            fill = f"({test})?[0,0,0,0]:({fill})"
            height = f"({test})?0:properties.h"
        return pdk.Layer("TileLayer", extruded=True, filled=True, stroked=False,
                         get_fill_color=fill, get_elevation=height, material=True,
                         **common)
    if kind == "road":
        return pdk.Layer("TileLayer", filled=False, stroked=True,
                         get_line_color=_palette(colors, 255, var),
                         get_line_width="properties.w", line_width_units=_s("meters"),
                         line_width_min_pixels=1.5, line_cap_rounded=True,
                         line_joint_rounded=True, **common)
    if kind == "river":  # polygons and centre lines, lines as wide as the river
        water = _palette(colors, 200, var)
        return pdk.Layer("TileLayer", filled=True, stroked=True, get_fill_color=water,
                         get_line_color=water, get_line_width="properties.w",
                         line_width_units=_s("meters"), line_width_min_pixels=1.5,
                         **common)
    return pdk.Layer("TileLayer", filled=True, stroked=True,
                     get_fill_color=_palette(colors, 150, var),
                     get_line_color="[90,90,90,200]", get_line_width="1",
                     line_width_units=_s("pixels"), line_width_min_pixels=1, **common)
