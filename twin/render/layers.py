"""deck.gl layers for prepared twin layers, and the compact deck that carries them.

This is the only module (with :mod:`twin.render.deck`) that imports pydeck. Each
part of a :class:`~twin.render.prepare.PreparedLayer` becomes one deck.gl layer whose id is
``"<store layer>::<geometry>"``; its data stay a placeholder until
:meth:`CompactDeck.to_json` splices the pre-encoded JSON text in, so pydeck never walks
(and indents, and sorts) a hundred thousand buildings.

Example
-------
>>> from twin.render.layers import deck_layers
>>> layers, data = deck_layers(prepared, opacity=0.8)  # doctest: +SKIP
"""

from __future__ import annotations

import json

import pydeck as pdk

from .bim import BimDetail
from .prepare import PreparedLayer

__all__ = ["deck_layers", "bim_layer", "layer_id", "split_layer_id", "placeholder",
           "palette_accessor"]

SEPARATOR = "::"


def layer_id(name: str, key: str) -> str:
    """The deck.gl layer id of group ``key`` of store layer ``name``."""
    return f"{name}{SEPARATOR}{key}"


def split_layer_id(deck_id: str) -> tuple[str, str]:
    """``(store layer, group key)`` of a deck.gl layer id."""
    name, _, key = str(deck_id).rpartition(SEPARATOR)
    return (name, key) if name else (key, "")


def placeholder(deck_id: str) -> str:
    """The stand-in string for a layer's data in the deck JSON."""
    return f"\u0000twin-data:{deck_id}\u0000"


def _s(text: str):
    return pdk.types.String(text)


def palette_accessor(palette, alpha: int) -> str:
    """A colour accessor for a part: a deck.gl JSON expression that picks the object's class
    ``c`` from the palette (a one-colour palette is the bare ``[r,g,b,a]`` expression).

    deck.gl's expression evaluator draws nothing useful for an indexed array literal
    (``[[…], […]][c]`` comes out black), but it does evaluate comparisons and ternaries, so
    the palette becomes a balanced tree ``c<2?(c<1?[…]:[…]):[…]`` of depth log2(n).

    Even one colour is an expression, not a constant: deck.gl then fills a per-object colour
    attribute, so every layer of one type has the same vertex layout and the browser's
    software WebGL (SwiftShader) compiles one pipeline for them instead of one per layout.
    """
    colors = [[int(r), int(g), int(b), int(alpha)] for r, g, b in palette]

    def pick(lo: int, hi: int) -> str:
        if hi - lo == 1:
            return json.dumps(colors[lo], separators=(",", ":"))
        mid = (lo + hi) // 2
        return f"c<{mid}?({pick(lo, mid)}):({pick(mid, hi)})"

    return pick(0, len(colors))


def _per_object(value) -> str:
    """A constant as a deck.gl expression, so that it becomes a per-object attribute (same
    vertex layout as the layers whose value varies; see :func:`palette_accessor`)."""
    return json.dumps(value, separators=(",", ":"))


def deck_layers(prepared: PreparedLayer, *, opacity: float = 1.0, wireframe: bool = False,
                pickable: bool = True) -> tuple[list, dict[str, str]]:
    """One deck.gl layer per part of ``prepared`` and ``{deck id: JSON data text}``."""
    layers, data = [], {}
    for part in prepared.parts:
        deck_id = layer_id(prepared.name, part.geometry)
        data[deck_id] = part.data
        common = dict(id=deck_id, data=placeholder(deck_id), pickable=pickable,
                      opacity=float(opacity), auto_highlight=True,
                      highlight_color=[255, 140, 0, 160])
        kind = prepared.kind
        if part.geometry == "polygon" and kind == "building":
            # drawn without picking; the roofs (pick_data) are picked: see twin.render.prepare
            solid_id = layer_id(prepared.name, "solid") if part.pick_data else deck_id
            data[solid_id] = part.data
            layers.append(pdk.Layer(
                "PolygonLayer", get_polygon="p", get_elevation="h", extruded=True,
                wireframe=wireframe, filled=True,
                get_fill_color=palette_accessor(part.palette, 235),
                get_line_color=[60, 60, 60], material=True,
                **{**common, "id": solid_id, "data": placeholder(solid_id),
                   "pickable": pickable and not part.pick_data,
                   "auto_highlight": not part.pick_data}))
            if part.pick_data:
                data[deck_id] = part.pick_data
                layers.append(pdk.Layer(
                    "SolidPolygonLayer", get_polygon="p", extruded=False, filled=True,
                    get_fill_color=_per_object([255, 255, 255, 1]), **common))
        elif part.geometry == "polygon":
            # the fill is picked; the outlines (a path layer, costly to pick in software
            # WebGL) are drawn by a second layer over the same data that is not picked
            alpha = 200 if kind == "river" else 150
            layers.append(pdk.Layer(
                "PolygonLayer", get_polygon="p", filled=True, stroked=False,
                get_fill_color=palette_accessor(part.palette, alpha), get_elevation="0",
                **common))
            line_id = layer_id(prepared.name, "outline")
            data[line_id] = part.data
            layers.append(pdk.Layer(
                "PolygonLayer", get_polygon="p", filled=False, stroked=True,
                get_line_color=_per_object([90, 90, 90, 200]), line_width_units=_s("pixels"),
                get_line_width="1", **{**common, "id": line_id, "data": placeholder(line_id),
                                       "pickable": False, "auto_highlight": False}))
        elif part.geometry == "path":
            layers.append(pdk.Layer(
                "PathLayer", get_path="p", get_width="w", width_units=_s("meters"),
                width_min_pixels=1.5, cap_rounded=True, joint_rounded=True,
                get_color=palette_accessor(part.palette, 255), **common))
        elif part.geometry == "point":
            layers.append(pdk.Layer(
                "ScatterplotLayer", get_position="p", get_radius=18, radius_units=_s("meters"),
                radius_min_pixels=4, radius_max_pixels=14, stroked=True, filled=True,
                get_fill_color=palette_accessor(part.palette, 240),
                get_line_color=[255, 255, 255], line_width_min_pixels=1.5, **common))
    return layers, data


def bim_layer(detail: BimDetail, *, name: str, opacity: float = 1.0) -> tuple[list, dict]:
    """The ``SolidPolygonLayer`` of one building's BIM triangles in metre offsets."""
    deck_id = layer_id(name, detail.building_id)
    layer = pdk.Layer(
        "SolidPolygonLayer", id=deck_id, data=placeholder(deck_id), _full3d=True,
        extruded=False, filled=True, get_polygon="p", get_fill_color="c",
        coordinate_system=_s("meter-offsets"), coordinate_origin=list(detail.origin),
        pickable=True, auto_highlight=True, highlight_color=[255, 140, 0, 200],
        opacity=float(opacity))
    return [layer], {deck_id: detail.data}
