"""The deck: compact JSON for Streamlit, the offline map style, view-state presets, tooltip.

``st.pydeck_chart`` calls ``deck.to_json()``. pydeck's own serialisation indents and sorts
every key of every object (about 570 B per extruded building, 5.5 s for 100k); here the deck
skeleton is dumped without spaces and each layer's pre-encoded data text is spliced in.

Example
-------
>>> from twin.render.deck import build_deck, overview_view
>>> deck = build_deck(layers, data, view=overview_view(bounds))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math

import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from .layers import placeholder

__all__ = [
    "CompactDeck",
    "build_deck",
    "overview_view",
    "bounds_view",
    "nudge_view",
    "TOOLTIP",
    "LOCAL_STYLE_URL",
]

# Served by Streamlit's static file serving from ./static (server.enableStaticServing).
LOCAL_STYLE_URL = "app/static/map-style.json"

# One template for every layer: each drawn object carries its plain-text label in ``t``.
# Streamlit's frontend HTML-escapes every {field} value when it fills an ``html`` template.
TOOLTIP = {
    "html": "<div style='max-width:320px'>{t}</div>",
    "style": {"backgroundColor": "rgba(30,30,30,0.88)", "color": "white",
              "fontSize": "12px", "padding": "6px 8px", "borderRadius": "4px"},
}


class CompactDeck(pdk.Deck):
    """A :class:`pydeck.Deck` whose JSON has no whitespace and whose layer data are given
    as ready JSON text (``data``: ``{deck layer id: text}``)."""

    def __init__(self, *args, data: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._twin_data = dict(data or {})

    def to_json(self) -> str:
        """Compact JSON of the deck, with every layer's data text spliced in."""
        text = json.dumps(self, default=_serialize, separators=(",", ":"), ensure_ascii=False)
        for deck_id, data in self._twin_data.items():
            token = json.dumps(placeholder(deck_id), ensure_ascii=False)
            text = text.replace(token, data, 1)
        return text

    def payload_bytes(self) -> int:
        """Size in bytes of the JSON that goes to the browser."""
        return len(self.to_json().encode("utf-8"))


def _serialize(obj):
    out = default_serialize(obj)
    if isinstance(out, dict):
        for key in ("_twin_data", "_twinData", "twinData"):
            out.pop(key, None)
    return out


def build_deck(layers, data: dict[str, str], *, view: dict, map_style: str | None = None,
               tooltip: dict | None = None) -> CompactDeck:
    """A :class:`CompactDeck` with ``layers`` (from :mod:`twin.render.layers`), their
    ``data`` texts, the initial ``view`` and a map style URL (the local style by default)."""
    return CompactDeck(layers=list(layers), data=data, initial_view_state=dict(view),
                       map_style=map_style or LOCAL_STYLE_URL, map_provider=None,
                       tooltip=tooltip if tooltip is not None else TOOLTIP)


def bounds_view(bounds, *, pitch: float = 45.0, bearing: float = 0.0,
                width_px: int = 640, height_px: int = 520, max_zoom: float = 19.0) -> dict:
    """A view state that fits WGS84 ``bounds`` ``(west, south, east, north)``."""
    west, south, east, north = bounds
    lon = (west + east) / 2.0
    lat = (south + north) / 2.0
    span_lon = max(east - west, 1e-6)
    # Web Mercator: 256 px per 360 degrees at zoom 0.
    zoom_lon = math.log2(width_px * 360.0 / (256.0 * span_lon))
    merc = math.log(math.tan(math.pi / 4 + math.radians(north) / 2)) - \
        math.log(math.tan(math.pi / 4 + math.radians(south) / 2))
    zoom_lat = math.log2(height_px * 2 * math.pi / (256.0 * max(merc, 1e-9)))
    zoom = max(1.0, min(zoom_lon, zoom_lat, max_zoom) - 0.6)
    return {"longitude": round(lon, 6), "latitude": round(lat, 6), "zoom": round(zoom, 2),
            "pitch": pitch, "bearing": bearing, "maxPitch": 85}


def overview_view(bounds) -> dict:
    """The town overview: the bounds of every drawn layer, tilted 45 degrees."""
    if bounds is None:
        return {"longitude": 119.90, "latitude": 35.73, "zoom": 12, "pitch": 45,
                "bearing": 0, "maxPitch": 85}
    return bounds_view(bounds, pitch=45.0)


def nudge_view(view: dict, count: int) -> dict:
    """``view`` with every number moved by a negligible amount that depends on ``count``.

    Streamlit's map keeps the user's camera across reruns and only applies the keys of the
    initial view state that changed; nudging every key makes choosing the same preset again
    fly back there, while an unchanged view never makes the camera jump.
    """
    eps = 1e-9 * (count % 1000)
    return {k: (v + eps if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in view.items()}
