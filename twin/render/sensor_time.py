"""deck.gl layer of the sensors coloured by their reading at one time (sensor playback).

Example
-------
>>> from twin.render.sensor_time import sensor_points
>>> layers, data = sensor_points(sensors, state, name="playback")   # doctest: +SKIP
"""

from __future__ import annotations

import math

import pydeck as pdk

from .layers import layer_id, palette_accessor, placeholder
from .prepare import _points, compact_json

__all__ = ["sensor_points"]


def sensor_points(sensors, state, *, name: str = "playback", radius_m: float = 30.0,
                  texts: list[str] | None = None):
    """Sensors (a GeoDataFrame, working CRS) as dots coloured by ``state["color"]`` (rows in
    the same order, from :func:`twin.sensor_playback.readings_at`), alerts ringed in white
    and drawn larger. ``texts`` are the tooltips. Returns ``(layers, {deck id: data})``."""
    if sensors is None or len(sensors) == 0:
        return [], {}
    pts, idx = _points(sensors.geometry.values, sensors.crs)
    colors = [tuple(int(v) for v in c) for c in state["color"]]
    palette = list(dict.fromkeys(colors))
    alarms = state["alarm"].tolist()
    texts = texts or [str(s) for s in state["sensor_id"]]
    recs = []
    for p, i in zip(pts, idx.tolist()):
        value = state["value"].iat[i]
        recs.append({"p": p, "c": palette.index(colors[i]), "t": texts[i], "k": int(i),
                     "r": 1.6 if alarms[i] else (1.0 if math.isfinite(value) else 0.7)})
    deck_id = layer_id(name, "sensors")
    layer = pdk.Layer(
        "ScatterplotLayer", id=deck_id, data=placeholder(deck_id), get_position="p",
        get_radius=f"r * {float(radius_m)}", radius_units=pdk.types.String("meters"),
        radius_min_pixels=7, radius_max_pixels=40, stroked=True, filled=True,
        get_fill_color=palette_accessor(palette, 235), get_line_color="[255,255,255,255]",
        line_width_min_pixels=2, pickable=True, auto_highlight=True,
        highlight_color=[255, 220, 0, 255])
    return [layer], {deck_id: compact_json(recs)}
