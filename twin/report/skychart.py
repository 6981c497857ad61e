"""The skyline profile as an inline SVG chart (no plotting library): elevation angle over
azimuth, one polyline point per azimuth bin, several profiles overlaid (before/after).

Example
-------
>>> import pandas as pd
>>> p = pd.DataFrame({"azimuth_deg": [45.0, 135.0, 225.0, 315.0],
...                   "elevation_deg": [0.0, 10.0, 5.0, 0.0]})
>>> skyline_chart([SkylineSeries(p, "#1f4e9c", "now")]).count("<polyline")
1
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SkylineSeries", "skyline_chart"]


@dataclass
class SkylineSeries:
    """One profile (``azimuth_deg``, ``elevation_deg`` per bin) drawn in ``colour``."""

    profile: pd.DataFrame
    colour: str
    label: str
    dash: str = ""


def _nice_top(value: float) -> float:
    for top in (5, 10, 15, 20, 30, 45, 60, 90):
        if value <= top:
            return float(top)
    return 90.0


def skyline_chart(series: list[SkylineSeries], *, width: int = 660, height: int = 240,
                  x_label: str = "azimuth (°)", y_label: str = "elevation (°)",
                  title: str = "") -> str:
    """An SVG document: x from azimuth 0° (north) clockwise to 360°, y the elevation angle
    from 0° up to a rounded maximum; each series a polyline with one point per bin, its
    greatest angle marked and given in its tooltip."""
    left, right, top, bottom = 44, 12, 14, 34
    pw, ph = width - left - right, height - top - bottom
    peak = max([float(np.nanmax(s.profile["elevation_deg"])) if len(s.profile) else 0.0
                for s in series] + [1.0])
    ymax = _nice_top(peak)

    def xy(az, el):
        return left + np.asarray(az, float) / 360.0 * pw, \
            top + (ymax - np.clip(np.asarray(el, float), 0, ymax)) / ymax * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, sans-serif" '
           f'font-size="10">',
           f'<rect width="{width}" height="{height}" fill="#fbfbf8" stroke="#999"/>']
    if title:
        out.append(f"<title>{html.escape(title)}</title>")
    for az in range(0, 361, 45):
        x, _ = xy(az, 0)
        name = {0: "N", 90: "E", 180: "S", 270: "W", 360: "N"}.get(az, "")
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#ddd"/>'
                   f'<text x="{x:.1f}" y="{top + ph + 12}" text-anchor="middle">'
                   f'{az}°{name}</text>')
    for k in range(5):
        el = ymax * k / 4
        _, y = xy(0, el)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" '
                   f'stroke="#eee"/><text x="{left - 4}" y="{y + 3:.1f}" '
                   f'text-anchor="end">{el:g}</text>')
    out.append(f'<text x="{left + pw / 2:.0f}" y="{height - 4}" text-anchor="middle">'
               f'{html.escape(x_label)}</text>'
               f'<text x="10" y="{top + ph / 2:.0f}" transform="rotate(-90 10 '
               f'{top + ph / 2:.0f})" text-anchor="middle">{html.escape(y_label)}</text>')
    for i, s in enumerate(series):
        az = s.profile["azimuth_deg"].to_numpy(float)
        el = s.profile["elevation_deg"].to_numpy(float)
        x, y = xy(az, el)
        pts = " ".join(f"{a:.2f},{b:.2f}" for a, b in zip(x, y, strict=True))
        j = int(np.nanargmax(el)) if len(el) else 0
        tip = f"{s.label}: max {el[j]:.2f}° @ {az[j]:g}°" if len(el) else s.label
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(f'<g class="series" data-label="{html.escape(s.label)}">'
                   f'<title>{html.escape(tip)}</title>'
                   f'<polyline fill="none" stroke="{s.colour}" stroke-width="1.2"{dash} '
                   f'points="{pts}"/>')
        if len(el):
            out.append(f'<circle cx="{x[j]:.2f}" cy="{y[j]:.2f}" r="3" fill="{s.colour}"/>')
        out.append("</g>")
        ly = top + 10 + i * 13
        out.append(f'<rect x="{left + pw - 250}" y="{ly - 8}" width="10" height="3" '
                   f'fill="{s.colour}"/><text x="{left + pw - 236}" y="{ly - 4}">'
                   f'{html.escape(tip)}</text>')
    out.append("</svg>")
    return "".join(out)
