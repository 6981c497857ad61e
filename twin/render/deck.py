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

import hashlib
import json
import math
import os
from pathlib import Path

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
    "prune_data_dir",
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
    as ready JSON text (``data``: ``{deck layer id: text}``).

    With ``data_dir`` and ``data_url``, each layer's data is written once to
    ``data_dir/<sha1>.json`` by :meth:`publish` and the deck refers to it by URL
    (``data_url`` + file name):
    deck.gl fetches and parses it natively in the browser. Streamlit parses the deck spec
    with a JavaScript JSON5 parser, which takes seconds for a megabyte, so the spec itself
    should stay small. Without ``data_dir`` the data are inlined.
    """

    def __init__(self, *args, data: dict[str, str] | None = None, data_dir=None,
                 data_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._twin_data = dict(data or {})
        self._twin_files = (Path(data_dir) if data_dir else None, data_url)

    def to_json(self) -> str:
        """Compact JSON of the deck, with every layer's data text (or file URL) spliced in.
        Pure: it writes nothing (see :meth:`publish`)."""
        text = json.dumps(self, default=_serialize, separators=(",", ":"), ensure_ascii=False)
        for deck_id, data in self._twin_data.items():
            token = json.dumps(placeholder(deck_id), ensure_ascii=False)
            text = text.replace(token, self._data_ref(data), 1)
        return text

    @staticmethod
    def _file_name(data: str) -> str:
        raw = data.encode("utf-8")
        return hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:20] + ".json"

    def _data_ref(self, data: str) -> str:
        folder, url = self._twin_files
        if folder is None:
            return data
        return json.dumps(url + self._file_name(data))

    def publish(self) -> list[Path]:
        """Write each layer's data file to the served folder (content-addressed: a file
        already there is only marked as recently used); returns the files. Nothing to do
        when the data are inlined. :func:`build_deck` publishes the deck it builds."""
        folder, _url = self._twin_files
        if folder is None:
            return []
        out = []
        for data in self._twin_data.values():
            path = folder / self._file_name(data)
            if path.exists():
                try:
                    os.utime(path)  # recently used: kept by prune_data_dir
                except OSError:
                    pass
            else:
                folder.mkdir(parents=True, exist_ok=True)
                from ..store.atomic import atomic_write_bytes

                atomic_write_bytes(path, data.encode("utf-8"))
            out.append(path)
        return out

    def data_bytes(self) -> int:
        """Bytes of layer data (inline or in files) that the browser loads."""
        return sum(len(d.encode("utf-8")) for d in self._twin_data.values())

    def payload_bytes(self) -> int:
        """Size in bytes of the deck JSON message plus the layer data it refers to."""
        spec = len(self.to_json().encode("utf-8"))
        return spec if self._twin_files[0] is None else spec + self.data_bytes()


def _serialize(obj):
    out = default_serialize(obj)
    if isinstance(out, dict):
        for key in ("_twin_data", "_twinData", "twinData", "_twin_files", "_twinFiles"):
            out.pop(key, None)
    return out


def build_deck(layers, data: dict[str, str], *, view: dict, map_style: str | None = None,
               tooltip: dict | None = None, data_dir=None, data_url: str = "",
               publish: bool = True) -> CompactDeck:
    """A :class:`CompactDeck` with ``layers`` (from :mod:`twin.render.layers`), their
    ``data`` texts, the initial ``view`` and a map style URL (the local style by default).
    ``data_dir``/``data_url``: serve layer data as files (see :class:`CompactDeck`), written
    now unless ``publish=False`` (then call :meth:`CompactDeck.publish` before showing it)."""
    deck = CompactDeck(layers=list(layers), data=data, initial_view_state=dict(view),
                       map_style=map_style or LOCAL_STYLE_URL, map_provider=None,
                       tooltip=tooltip if tooltip is not None else TOOLTIP,
                       data_dir=data_dir, data_url=data_url)
    if publish:
        deck.publish()
    return deck


def prune_data_dir(folder, *, keep: int = 400, max_bytes: int = 512 * 2**20) -> int:
    """Delete the least recently used data files in ``folder`` beyond the ``keep`` newest or
    ``max_bytes`` in all; returns how many were deleted. Files are content-addressed, so a
    deleted one is simply written again when a map needs it."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stats = []
    for path in folder.glob("*.json"):
        try:
            st = path.stat()
        except OSError:
            continue
        stats.append((st.st_mtime, st.st_size, path))
    stats.sort(key=lambda item: item[0], reverse=True)
    removed, total = 0, 0
    for i, (_, size, path) in enumerate(stats):
        total += size
        if i >= keep or total > max_bytes:
            try:
                os.remove(path)
                removed += 1
            except OSError:
                pass
    return removed


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


def union_bounds(bounds) -> tuple | None:
    """The box around every ``(minx, miny, maxx, maxy)`` in ``bounds`` (None entries
    ignored); None when there is none."""
    boxes = [b for b in bounds if b is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def overview_view(bounds) -> dict:
    """The town overview: the bounds of every drawn layer, tilted 45 degrees."""
    if bounds is None:
        return {"longitude": 119.90, "latitude": 35.73, "zoom": 12, "pitch": 45,
                "bearing": 0, "maxPitch": 85}
    view = bounds_view(bounds, pitch=45.0)
    view["zoom"] = round(max(1.0, view["zoom"] - 0.35), 2)  # the tilt widens the near edge
    return view


def nudge_view(view: dict, count: int) -> dict:
    """``view`` with every number moved by a negligible amount that depends on ``count``.

    Streamlit's map keeps the user's camera across reruns and only applies the keys of the
    initial view state that changed; nudging every key makes choosing the same preset again
    fly back there, while an unchanged view never makes the camera jump.
    """
    eps = 1e-9 * (count % 1000)
    return {k: (v + eps if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in view.items()}
