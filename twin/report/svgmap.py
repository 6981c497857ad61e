"""Static maps for reports as plain SVG (no plotting library): polygons, lines, points, a
scale bar and a north arrow, in the working CRS (metres, grid north up).

Example
-------
>>> from shapely.geometry import box
>>> svg = svg_map([MapLayer([box(0, 0, 10, 10)], fill="#ccc")], width=200)
>>> svg.startswith("<svg")
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import shapely

__all__ = ["MapLayer", "svg_map"]


@dataclass
class MapLayer:
    """Geometries drawn with one style; ``fills`` (one colour per geometry) overrides
    ``fill``; ``titles`` become SVG tooltips; ``label`` goes in the legend."""

    geoms: list
    fill: str = "none"
    stroke: str = "#333"
    width: float = 1.0
    opacity: float = 1.0
    radius: float = 3.0
    fills: list | None = None
    titles: list | None = None
    label: str = ""
    dash: str = ""
    legend: list = field(default_factory=list)  # [(colour, text)] extra legend entries


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _ring_path(coords: np.ndarray, tx) -> str:
    pts = tx(coords)
    return "M" + " L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in pts) + " Z"


def _geom_svg(geom, tx, style: str, radius: float) -> str:
    if geom is None or geom.is_empty:
        return ""
    kind = geom.geom_type
    if kind in ("Polygon", "MultiPolygon"):
        d = []
        for poly in shapely.get_parts(geom):
            d.append(_ring_path(np.asarray(poly.exterior.coords), tx))
            for ring in poly.interiors:
                d.append(_ring_path(np.asarray(ring.coords), tx))
        return f'<path d="{" ".join(d)}" fill-rule="evenodd" {style}/>'
    if kind in ("LineString", "MultiLineString", "LinearRing"):
        d = []
        for line in shapely.get_parts(geom):
            pts = tx(np.asarray(line.coords))
            d.append("M" + " L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in pts))
        return f'<path d="{" ".join(d)}" fill="none" {style}/>'
    if kind in ("Point", "MultiPoint"):
        out = []
        for pt in shapely.get_parts(geom):
            (x, y), = tx(np.asarray(pt.coords))
            out.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{radius:g}" {style}/>')
        return "".join(out)
    return "".join(_geom_svg(g, tx, style, radius) for g in shapely.get_parts(geom))


def _nice(length: float) -> float:
    if length <= 0:
        return 1.0
    exp = 10 ** np.floor(np.log10(length))
    for m in (5, 2, 1):
        if m * exp <= length:
            return float(m * exp)
    return float(exp)


def svg_map(layers: list[MapLayer], *, bbox=None, width: int = 640, height: int | None = None,
            margin_frac: float = 0.05, title: str = "") -> str:
    """An SVG document drawing ``layers`` in order (first at the bottom).

    ``bbox`` (minx, miny, maxx, maxy) defaults to the bounds of every geometry; the map
    keeps its aspect ratio (1 m is the same on both axes).
    """
    allg = [g for lay in layers for g in lay.geoms if g is not None and not g.is_empty]
    if bbox is None:
        bbox = shapely.total_bounds(np.asarray(allg, dtype=object)) if allg else (0, 0, 1, 1)
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    minx -= dx * margin_frac
    maxx += dx * margin_frac
    miny -= dy * margin_frac
    maxy += dy * margin_frac
    dx, dy = maxx - minx, maxy - miny
    scale = width / dx
    if height is None:
        height = int(round(dy * scale))
        height = max(160, min(height, int(width * 1.4)))
    scale = min(width / dx, height / dy)
    ox = (width - dx * scale) / 2
    oy = (height - dy * scale) / 2

    def tx(coords: np.ndarray) -> np.ndarray:
        c = np.asarray(coords, dtype=float)[:, :2]
        return np.column_stack([ox + (c[:, 0] - minx) * scale, oy + (maxy - c[:, 1]) * scale])

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, sans-serif" '
             f'font-size="11">',
             f'<rect width="{width}" height="{height}" fill="#fbfbf8" stroke="#999"/>']
    if title:
        parts.append(f"<title>{html.escape(title)}</title>")
    for lay in layers:
        parts.append("<g>")
        for i, geom in enumerate(lay.geoms):
            fill = lay.fills[i] if lay.fills is not None else lay.fill
            style = (f'fill="{fill}" stroke="{lay.stroke}" stroke-width="{lay.width:g}" '
                     f'opacity="{lay.opacity:g}"'
                     + (f' stroke-dasharray="{lay.dash}"' if lay.dash else ""))
            body = _geom_svg(geom, tx, style, lay.radius)
            if body and lay.titles is not None:
                body = f"<g><title>{html.escape(str(lay.titles[i]))}</title>{body}</g>"
            parts.append(body)
        parts.append("</g>")
    # scale bar and north arrow
    bar = _nice(dx / 4)
    px = bar * scale
    y0 = height - 14
    parts.append(f'<g><rect x="10" y="{y0 - 4}" width="{px:.1f}" height="4" fill="#333"/>'
                 f'<text x="10" y="{y0 - 8}">{bar:g} m</text></g>')
    parts.append(f'<g><path d="M{width - 20} 12 L{width - 26} 30 L{width - 20} 26 '
                 f'L{width - 14} 30 Z" fill="#333"/><text x="{width - 24}" y="44">N</text></g>')
    # legend
    entries = []
    for lay in layers:
        if lay.label:
            entries.append((lay.fill if lay.fill != "none" else lay.stroke, lay.label))
        entries.extend(lay.legend)
    for i, (colour, label) in enumerate(entries):
        y = 14 + i * 15
        parts.append(f'<rect x="10" y="{y - 9}" width="10" height="10" fill="{colour}" '
                     f'stroke="#333" stroke-width="0.5"/>'
                     f'<text x="24" y="{y}">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
