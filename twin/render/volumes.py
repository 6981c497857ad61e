"""Translucent volumes for deck.gl: a query's boxes (the 控规盒 control envelope, a massing's
envelope) drawn as extruded, see-through polygons with a wireframe, so the buildings inside
them stay visible.

A frame with an ``extrude_m`` column is drawn this way: each polygon rises from the ground
by ``extrude_m`` metres. The data go through the same compact encoding as every layer
(:mod:`twin.render.prepare`), so the deck spec stays small.

Example
-------
>>> from twin.render.volumes import volume_layers
>>> layers, data = volume_layers(result.layer, name="envelope")   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pydeck as pdk

from .layers import layer_id, placeholder
from .prepare import compact_json, polygon_rings, wgs84_bounds

__all__ = ["EXTRUDE_COLUMN", "has_volumes", "volume_layers", "volume_bounds"]

EXTRUDE_COLUMN = "extrude_m"
_FILL = "[70,130,220,60]"
_LINE = "[30,80,170,220]"


def has_volumes(frame) -> bool:
    """True when ``frame`` carries heights to draw as volumes."""
    return frame is not None and len(frame) > 0 and EXTRUDE_COLUMN in frame.columns


def volume_layers(frame, *, name: str, id_column: str | None = "id",
                  opacity: float = 1.0) -> tuple[list, dict[str, str]]:
    """One translucent extruded deck.gl layer for the polygons of ``frame`` (heights from
    ``extrude_m``) and ``{deck id: JSON data text}``."""
    if not has_volumes(frame):
        return [], {}
    rings, idx = polygon_rings(frame.geometry.values, frame.crs)
    heights = np.nan_to_num(np.asarray(frame[EXTRUDE_COLUMN], dtype=float), nan=0.0)
    ids = frame[id_column].astype(str).tolist() if id_column in frame.columns else \
        [""] * len(frame)
    records = [{"p": ring, "h": round(float(heights[i]), 2),
                "t": f"{ids[i]} · {heights[i]:g} m", "k": int(i)}
               for ring, i in zip(rings, idx.tolist())]
    deck_id = layer_id(name, "volume")
    layer = pdk.Layer("PolygonLayer", id=deck_id, data=placeholder(deck_id), get_polygon="p",
                      get_elevation="h", extruded=True, wireframe=True, filled=True,
                      stroked=True, get_fill_color=_FILL, get_line_color=_LINE,
                      line_width_min_pixels=1, pickable=True, opacity=float(opacity),
                      auto_highlight=True, highlight_color=[255, 140, 0, 90], material=False)
    return [layer], {deck_id: compact_json(records)}


def volume_bounds(frame):
    """The WGS84 bounds of ``frame`` (for the view), or None."""
    return wgs84_bounds(frame)
