"""Measurement (量测) in the working CRS: distance along a polyline, area of a polygon and
height difference, from typed or clicked points, each with a geodesic check.

Points are E/N (metres, working CRS) with an optional H (metres, 1985 height datum); lon/lat
pairs are recognised and reprojected with :mod:`twin.crs`. The geodesic check measures the
same points on the CGCS2000 ellipsoid (GRS 80) with :class:`pyproj.Geod`; in the working
CRS's zone the two agree to well within 0.1 %.

Example
-------
>>> from twin.measure import parse_points, measure
>>> pts = parse_points("491000,3955000; 491300,3955400")
>>> round(measure("distance", pts).value, 3)
500.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .errors import TwinError

__all__ = ["MODES", "Measurement", "parse_points", "measure", "geodesic_length",
           "geodesic_area", "points_to_lonlat", "feature_point", "format_point"]

MODES = ("distance", "area", "height")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_POINT = re.compile(rf"^\s*({_NUMBER})\s*[, ]\s*({_NUMBER})(?:\s*[, ]\s*({_NUMBER}))?\s*$")


def parse_points(text: str) -> np.ndarray:
    """Points typed as ``E,N[,H]`` (or ``lon,lat[,H]``), separated by ``;`` or new lines,
    as an ``(n, 3)`` array in the working CRS (H is NaN where not given).

    Pairs that all look like lon/lat (|x| ≤ 180, |y| ≤ 90) are reprojected from WGS84.
    A malformed point is an error naming it.
    """
    items = [p for p in re.split(r"[;\n]+", str(text or "")) if p.strip()]
    rows = []
    for n, item in enumerate(items, start=1):
        match = _POINT.match(item.replace("，", ","))
        if not match:
            raise TwinError(f"point {n} {item.strip()!r} is not E,N or E,N,H",
                            hint="type numbers like 491000.5,3955000.2,4.5; one point per line")
        x, y, h = (float(v) if v is not None else math.nan for v in match.groups())
        if not (math.isfinite(x) and math.isfinite(y)):
            raise TwinError(f"point {n} {item.strip()!r} is not a finite number")
        rows.append((x, y, h))
    pts = np.array(rows, dtype=float).reshape(-1, 3)
    if len(pts) and (np.abs(pts[:, 0]) <= 180).all() and (np.abs(pts[:, 1]) <= 90).all():
        from .crs import WGS84, transform_xy, working_crs

        e, n_ = transform_xy(pts[:, 0], pts[:, 1], WGS84, working_crs())
        pts = np.column_stack([e, n_, pts[:, 2]])
    return pts


def points_to_lonlat(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lon, lat)`` of working-CRS points."""
    from .crs import WGS84, transform_xy, working_crs

    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    lon, lat = transform_xy(pts[:, 0], pts[:, 1], working_crs(), WGS84)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def feature_point(row) -> tuple[float, float, float]:
    """The point a picked feature stands for, ``(E, N, H)`` in the working CRS: a point
    itself, else a point inside the shape (``shapely.point_on_surface``); H is the top of a
    building (``base_elev_m + height_m``), the ``elev_m`` of an element or the
    ``base_elev_m`` given, else NaN."""
    import shapely

    geom = row.get("geometry")
    if geom is None or shapely.is_empty(geom):
        raise TwinError("the picked feature has no geometry to measure from")
    pt = geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)

    def num(col):
        try:
            value = float(row.get(col))
        except (TypeError, ValueError):
            return math.nan
        return value if math.isfinite(value) else math.nan

    base, height = num("base_elev_m"), num("height_m")
    h = base + height if math.isfinite(base) and math.isfinite(height) else \
        num("elev_m") if math.isfinite(num("elev_m")) else base
    return float(pt.x), float(pt.y), h


def format_point(point) -> str:
    """``E,N`` or ``E,N,H`` to the millimetre, as :func:`parse_points` reads it."""
    x, y, h = point
    return f"{x:.3f},{y:.3f}" + ("" if math.isnan(h) else f",{h:.3f}")


def _geod():
    """The ellipsoid of the working CRS's datum (CGCS2000 for Boli), from pyproj."""
    from .crs import working_crs

    return working_crs().get_geod()


def geodesic_length(points: np.ndarray) -> float:
    """The geodesic length (m) of the polyline through ``points`` (working CRS)."""
    lon, lat = points_to_lonlat(points)
    return float(_geod().line_length(lon, lat))


def geodesic_area(points: np.ndarray) -> float:
    """The geodesic area (m², unsigned) of the polygon through ``points`` (working CRS)."""
    lon, lat = points_to_lonlat(points)
    area, _perimeter = _geod().polygon_area_perimeter(lon, lat)
    return abs(float(area))


@dataclass(frozen=True)
class Measurement:
    """One measurement: ``mode`` (distance, area, height), ``value`` with its ``unit``, the
    ``points`` (working CRS), per-segment lengths, and the geodesic check value with the
    relative difference ``check_diff`` (None for a height)."""

    mode: str
    value: float
    unit: str
    points: np.ndarray
    segments: tuple[float, ...] = ()
    perimeter_m: float | None = None
    check_value: float | None = None
    slope_m: float | None = None

    @property
    def check_diff(self) -> float | None:
        """``|value − check| / check``, or None without a check."""
        if self.check_value is None or not self.check_value:
            return None
        return abs(self.value - self.check_value) / abs(self.check_value)

    def text(self) -> str:
        """A copyable plain-text summary (English keys, numbers in metres)."""
        lines = [f"{self.mode} = {self.value:.3f} {self.unit}"]
        if self.check_value is not None:
            lines.append(f"geodesic (pyproj Geod, GRS80) = {self.check_value:.3f} {self.unit}"
                         f" (diff {100 * (self.check_diff or 0):.4f} %)")
        if self.perimeter_m is not None:
            lines.append(f"perimeter = {self.perimeter_m:.3f} m")
        if self.slope_m is not None:
            lines.append(f"slope distance = {self.slope_m:.3f} m")
        if self.segments and self.mode == "distance":
            lines.append("segments = " + ", ".join(f"{s:.3f}" for s in self.segments))
        for i, (x, y, h) in enumerate(self.points, start=1):
            lines.append(f"P{i} E {x:.3f} N {y:.3f}" + ("" if math.isnan(h) else f" H {h:.3f}"))
        return "\n".join(lines)


def measure(mode: str, points: np.ndarray) -> Measurement:
    """Measure ``points`` (an ``(n, 3)`` working-CRS array) as a ``distance`` along the
    polyline, the ``area`` of the polygon, or the ``height`` difference from the first to
    the last point; refuses too few points or missing heights in one line."""
    import shapely

    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    if mode not in MODES:
        raise TwinError(f"unknown measurement {mode!r}", hint="use one of " + ", ".join(MODES))
    need = {"distance": 2, "area": 3, "height": 2}[mode]
    if len(pts) < need:
        article = "an" if mode == "area" else "a"
        raise TwinError(f"{article} {mode} needs at least {need} points, got {len(pts)}",
                        hint="type one point per line as E,N (and H for a height)")
    if mode == "distance":
        seg = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
        return Measurement("distance", float(seg.sum()), "m", pts,
                           segments=tuple(float(s) for s in seg),
                           check_value=geodesic_length(pts))
    if mode == "area":
        poly = shapely.Polygon(pts[:, :2])
        if not poly.is_valid:
            raise TwinError("the polygon's edges cross each other",
                            hint="list the corners in order around the shape")
        return Measurement("area", float(poly.area), "m²", pts, perimeter_m=float(poly.length),
                           check_value=geodesic_area(pts))
    first, last = pts[0], pts[-1]
    if math.isnan(first[2]) or math.isnan(last[2]):
        raise TwinError("a height difference needs H on the first and last point",
                        hint="type them as E,N,H")
    dh = float(last[2] - first[2])
    flat = float(math.hypot(last[0] - first[0], last[1] - first[1]))
    return Measurement("height", dh, "m", pts, slope_m=math.hypot(flat, dh))
