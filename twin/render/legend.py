"""Legends and attribute panels as small HTML snippets in which every value is escaped.

Example
-------
>>> from twin.render.legend import legend_html
>>> legend_html([("居住用地 R", (255, 255, 0), 12)])[:4]
'<div'
"""

from __future__ import annotations

import html
import json
import math

from .palette import hex_color

__all__ = ["legend_html", "map_legend_html", "attribute_html", "plain"]


def plain(value) -> str:
    """Display text of a value: empty for None/NaN, numbers without noise, JSON for dicts."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN, pd.NA raises TypeError
            return ""
    except TypeError:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    return str(value)


def legend_html(entries) -> str:
    """A legend: ``entries`` is a list of ``(label, (r, g, b), count)``."""
    rows = []
    for label, color, count in entries:
        rows.append(
            "<div style='display:flex;align-items:center;gap:6px;font-size:12px;"
            "line-height:18px'>"
            f"<span style='display:inline-block;width:14px;height:10px;"
            f"background:{hex_color(color)};border:1px solid #777'></span>"
            f"<span>{html.escape(str(label))}</span>"
            f"<span style='color:#888'>{int(count)}</span></div>")
    return "<div>" + "".join(rows) + "</div>"


def attribute_html(rows, *, title: str = "") -> str:
    """An attribute table: ``rows`` is a list of ``(name, value)``; names and values are
    HTML-escaped, so a name like ``<script>`` shows as text."""
    head = f"<div style='font-weight:600;margin-bottom:4px'>{html.escape(title)}</div>" \
        if title else ""
    body = "".join(
        "<tr><td style='color:#555;padding:1px 8px 1px 0;vertical-align:top'>"
        f"{html.escape(str(name))}</td><td style='padding:1px 0;word-break:break-all'>"
        f"{html.escape(plain(value))}</td></tr>"
        for name, value in rows)
    return f"{head}<table style='font-size:13px;border-collapse:collapse'>{body}</table>"


def map_legend_html(sections, *, title: str = "", max_entries: int = 10,
                    overlay_on_px: int | None = None) -> str:
    """The compact legend of a map: ``sections`` is a list of ``(title, entries)`` with
    ``entries`` ``(label, (r, g, b))``; wrapping rows, at most ``max_entries`` swatches per
    section (then "+n"). Empty when there is nothing to explain.

    Placed right after a chart ``overlay_on_px`` high, it hangs over the chart's top-left
    corner, where the tilted view leaves sky (a zero-height box whose content is lifted by
    the chart's height; the mouse goes through to the map, except on its ``title``, which
    folds it); without ``overlay_on_px`` it is a row under the chart."""
    parts = []
    for name, entries in sections:
        entries = list(entries)
        if not entries:
            continue
        swatches = "".join(
            "<span style='display:inline-flex;align-items:center;gap:3px;margin-right:7px'>"
            f"<span style='display:inline-block;width:11px;height:8px;"
            f"background:{hex_color(color)};border:1px solid #888'></span>"
            f"{html.escape(str(text))}</span>"
            for text, color in entries[:max_entries])
        more = len(entries) - max_entries
        if more > 0:
            swatches += f"<span style='color:#888'>+{more}</span>"
        parts.append("<span class='twin-legend-section' style='margin-right:12px'>"
                     f"<b style='margin-right:4px'>{html.escape(str(name))}</b>{swatches}"
                     "</span>")
    if not parts:
        return ""
    body = "".join(parts)
    box = ("font-size:11px;line-height:17px;padding:3px 7px;border:1px solid #d8dbd3;"
           "border-radius:6px;")
    if overlay_on_px is None:
        return (f"<div class='twin-map-legend' style='{box}background:#f7f8f5'>"
                + body + "</div>")
    head = (f"<summary style='cursor:pointer;pointer-events:auto;font-weight:600'>"
            f"{html.escape(title)}</summary>") if title else ""
    return ("<div style='position:relative;height:0;margin:0'>"
            f"<details open class='twin-map-legend' style='{box}position:absolute;left:8px;"
            f"top:calc(8px - 1rem - {int(overlay_on_px)}px);"
            "max-width:min(62%, 760px);z-index:5;pointer-events:none;"
            "background:rgba(255,255,255,0.82);box-shadow:0 1px 3px rgba(0,0,0,0.12)'>"
            + head + body + "</details></div>")
