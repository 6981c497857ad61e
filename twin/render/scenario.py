"""deck.gl layers for what-if scenarios: proposed buildings ghosted, changed items outlined.

A scenario page draws the ordinary layers of the view (:func:`~twin.render.deck_layers`)
and, on top, the features a scenario touched: proposed buildings as translucent extrusions
with a wireframe, demolished ones as dashed-looking flat outlines, and the parcels and
buildings whose pass/fail status changed as bright outlines.

Example
-------
>>> from twin.render.scenario import ghost_buildings, outline_layer
>>> layers, data = ghost_buildings(proposed, name="proposed")     # doctest: +SKIP
>>> more, more_data = outline_layer(changed, name="changed", color=(230, 40, 40))  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from .layers import layer_id, placeholder
from .prepare import DEFAULT_HEIGHT_M, _line_paths, _points, compact_json, polygon_rings

__all__ = ["ghost_buildings", "outline_layer", "snap_grid", "PROPOSED_COLOR", "WORSE_COLOR",
           "BETTER_COLOR", "REMOVED_COLOR"]

PROPOSED_COLOR = (150, 70, 230)  # violet: apart from every land-use and use colour
WORSE_COLOR = (230, 40, 40)
BETTER_COLOR = (40, 170, 80)
REMOVED_COLOR = (120, 120, 120)


def _texts(frame, column: str = "t") -> list[str]:
    if column in frame.columns:
        return ["" if v is None or v is pd.NA else str(v) for v in frame[column].tolist()]
    ids = frame["id"] if "id" in frame.columns else pd.Series(range(len(frame)))
    return [str(v) for v in ids.tolist()]


def _heights(frame) -> np.ndarray:
    if "height_m" not in frame.columns:
        return np.full(len(frame), DEFAULT_HEIGHT_M)
    h = pd.to_numeric(frame["height_m"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(h) & (h > 0), h, DEFAULT_HEIGHT_M)


def ghost_buildings(frame, *, name: str = "proposed", color=PROPOSED_COLOR,
                    opacity: float = 0.45, outline_only: bool = False, pickable: bool = True):
    """Proposed buildings as translucent extrusions with a wireframe (or wireframe only).

    ``frame`` is a building GeoDataFrame (working CRS) with ``height_m``; a ``t`` column, if
    present, is the tooltip text. Returns ``(layers, {deck id: data text})``.
    """
    if frame is None or len(frame) == 0:
        return [], {}
    rings, idx = polygon_rings(frame.geometry.values, frame.crs)
    hs = np.round(_heights(frame), 1).tolist()
    texts = _texts(frame)
    recs = [{"p": ring, "h": hs[i], "t": texts[i], "k": int(i)} for ring, i in
            zip(rings, idx.tolist())]
    deck_id = layer_id(name, "ghost")
    rgb = [int(c) for c in color]
    layer = pdk.Layer(
        "PolygonLayer", id=deck_id, data=placeholder(deck_id), get_polygon="p",
        get_elevation="h", extruded=True, wireframe=True, filled=not outline_only,
        stroked=True, get_fill_color=rgb + [110], get_line_color=rgb + [255],
        line_width_min_pixels=2, pickable=bool(pickable), auto_highlight=True,
        highlight_color=[255, 220, 0, 200], opacity=float(opacity))
    return [layer], {deck_id: compact_json(recs)}


def outline_layer(frame, *, name: str, color=WORSE_COLOR, width_px: float = 3.0,
                  fill_alpha: int = 40, elevation: bool = False, point_radius_m: float = 25.0,
                  point_px: tuple[float, float] = (7.0, 30.0), point_alpha: int = 220,
                  pickable: bool = True, on_top: bool = False):
    """Outlines (polygons), thick paths (lines) or ringed dots (points) in one bright colour.

    Used for the parcels and buildings whose status changed, removed buildings, and
    proposed roads and facilities. ``elevation`` extrudes building outlines to their height.
    Points are dots of ``point_radius_m`` clamped to ``point_px`` (min, max) pixels.
    ``on_top`` draws them over everything, buildings included (a search hit).
    """
    if frame is None or len(frame) == 0:
        return [], {}
    rgb = [int(c) for c in color]
    over = {"parameters": {"depthCompare": "always", "depthWriteEnabled": False}} if on_top else {}
    geoms = frame.geometry.values
    types = set(shapely.get_type_id(np.asarray(geoms, dtype=object)).tolist())
    texts = _texts(frame)
    layers, data = [], {}
    if types & {3, 6}:
        rings, idx = polygon_rings(geoms, frame.crs)
        hs = np.round(_heights(frame), 1).tolist()
        recs = [{"p": r, "h": hs[i], "t": texts[i], "k": int(i)} for r, i in
                zip(rings, idx.tolist())]
        deck_id = layer_id(name, "outline")
        layers.append(pdk.Layer(
            "PolygonLayer", id=deck_id, data=placeholder(deck_id), get_polygon="p",
            get_elevation="h" if elevation else 0, extruded=bool(elevation),
            wireframe=bool(elevation), filled=True, stroked=True,
            get_fill_color=rgb + [int(fill_alpha)], get_line_color=rgb + [255],
            line_width_units=pdk.types.String("pixels"), get_line_width=float(width_px),
            line_width_min_pixels=float(width_px), pickable=bool(pickable), auto_highlight=True,
            highlight_color=[255, 220, 0, 200], **over))
        data[deck_id] = compact_json(recs)
    if types & {1, 5}:
        paths, idx = _line_paths(geoms, frame.crs)
        widths = (pd.to_numeric(frame["width_m"], errors="coerce").fillna(8.0).to_numpy()
                  if "width_m" in frame.columns else np.full(len(frame), 8.0))
        recs = [{"p": p, "w": float(widths[i]), "t": texts[i], "k": int(i)} for p, i in
                zip(paths, idx.tolist())]
        deck_id = layer_id(name, "path")
        layers.append(pdk.Layer(
            "PathLayer", id=deck_id, data=placeholder(deck_id), get_path="p", get_width="w",
            width_units=pdk.types.String("meters"), width_min_pixels=3, get_color=rgb + [230],
            cap_rounded=True, joint_rounded=True, pickable=bool(pickable), auto_highlight=True,
            **over))
        data[deck_id] = compact_json(recs)
    if types & {0, 4}:
        pts, idx = _points(geoms, frame.crs)
        recs = [{"p": p, "t": texts[i], "k": int(i)} for p, i in zip(pts, idx.tolist())]
        deck_id = layer_id(name, "point")
        layers.append(pdk.Layer(
            "ScatterplotLayer", id=deck_id, data=placeholder(deck_id), get_position="p",
            get_radius=float(point_radius_m), radius_units=pdk.types.String("meters"),
            radius_min_pixels=float(point_px[0]), radius_max_pixels=float(point_px[1]),
            stroked=True, filled=True, get_fill_color=rgb + [int(point_alpha)],
            get_line_color=[255, 255, 255], line_width_min_pixels=1, pickable=bool(pickable),
            auto_highlight=True, highlight_color=[255, 220, 0, 255], **over))
        data[deck_id] = compact_json(recs)
    return layers, data


def snap_grid(cells, *, name: str = "grid", color=(60, 60, 200), lift_m: float = 0.3):
    """A clickable drawing grid: square cells (a GeoDataFrame with the snapped vertex text
    in ``t``) as a faint mat lifted ``lift_m`` above the ground, so that a click anywhere on
    it picks the cell whose centre becomes the next vertex."""
    if cells is None or len(cells) == 0:
        return [], {}
    rings, idx = polygon_rings(cells.geometry.values, cells.crs)
    texts = _texts(cells)
    recs = [{"p": r, "t": texts[i], "k": int(i)} for r, i in zip(rings, idx.tolist())]
    deck_id = layer_id(name, "cells")
    rgb = [int(c) for c in color]
    layer = pdk.Layer(
        "PolygonLayer", id=deck_id, data=placeholder(deck_id), get_polygon="p",
        extruded=True, get_elevation=float(lift_m), wireframe=True, filled=True,
        get_fill_color=rgb + [28], get_line_color=rgb + [110], pickable=True,
        auto_highlight=True, highlight_color=[255, 220, 0, 220])
    return [layer], {deck_id: compact_json(recs)}
