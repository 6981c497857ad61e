"""Vectorized validity checks of vector geometries, on the coordinates as the file holds them.

GDAL hands geometries over as WKB exactly as written in the file: an unclosed GeoJSON
ring stays unclosed there. Shapely and GEOS, on the other hand, refuse (or silently close)
such rings. So the checks start from the raw WKB: :func:`decode` parses every geometry
with GEOS in one call, and only the few that GEOS rejects are looked at one by one, to say
why (unclosed ring, too few points) and to close them.

:func:`check` then finds, all with shapely 2 array functions: null and empty geometries,
NaN/Inf coordinates, longitudes/latitudes out of range, invalid geometries (self-
intersection and the like, with GEOS's reason), rings wound against RFC 7946's right-hand
rule, and repeated consecutive vertices.

Example
-------
>>> import numpy as np, shapely
>>> wkb = np.array([shapely.to_wkb(shapely.box(0, 0, 1, 1)), None], dtype=object)
>>> decoded = decode(wkb)
>>> found = check(decoded.geoms, lonlat=True)
>>> found.masks["null"].tolist()
[False, True]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

__all__ = ["Decoded", "Findings", "decode", "check", "repair", "keep_types", "TYPE_IDS"]

TYPE_IDS = {"Point": 0, "LineString": 1, "LinearRing": 2, "Polygon": 3, "MultiPoint": 4,
            "MultiLineString": 5, "MultiPolygon": 6, "GeometryCollection": 7}


@dataclass
class Decoded:
    """Geometries parsed from WKB: ``geoms`` (None where null or unreadable), plus masks of
    rings that were not closed in the file and of WKB that could not be read at all, and the
    GEOS message for each such feature (``reasons``, by index)."""

    geoms: np.ndarray
    unclosed: np.ndarray
    unreadable: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)


def decode(wkb) -> Decoded:
    """Parse an array of WKB (``None`` for null geometries) into shapely geometries.

    Rings that are not closed in the source are closed (GEOS's ``fix``) and flagged in
    ``unclosed`` (GEOS's structural fix does nothing else); WKB that GEOS cannot read even
    so is flagged ``unreadable``, with GEOS's reason.
    """
    wkb = np.asarray(wkb, dtype=object)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    n = len(wkb)
    unclosed = np.zeros(n, dtype=bool)
    unreadable = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    failed = np.flatnonzero(shapely.is_missing(geoms) & (wkb != None))  # noqa: E711
    if len(failed):
        # GEOS's "fix" closes rings that the file left open; what it still cannot read is
        # broken WKB, looked at one by one for GEOS's reason (rare)
        try:
            fixed = shapely.from_wkb(wkb[failed], on_invalid="fix")
        except shapely.errors.GEOSException:
            fixed = np.array([_fix_one(w) for w in wkb[failed]], dtype=object)
        ok = ~shapely.is_missing(fixed)
        geoms[failed[ok]] = fixed[ok]
        unclosed[failed[ok]] = True
        for i in failed[~ok]:
            unreadable[i] = True
            try:
                shapely.from_wkb(wkb[i])
                reasons[int(i)] = "unreadable geometry"
            except shapely.errors.GEOSException as exc:
                reasons[int(i)] = str(exc).split(":", 1)[-1].strip()
    return Decoded(geoms=geoms, unclosed=unclosed, unreadable=unreadable, reasons=reasons)


def _fix_one(wkb):
    try:
        return shapely.from_wkb(wkb, on_invalid="fix")
    except shapely.errors.GEOSException:
        return None


@dataclass
class Findings:
    """Boolean masks, one per check, over the features; ``invalid_reason`` maps the index of
    each invalid geometry to GEOS's explanation."""

    masks: dict[str, np.ndarray]
    invalid_reason: dict[int, str]
    bounds: np.ndarray


def check(geoms: np.ndarray, *, lonlat: bool, winding: bool = True,
          repeated: bool = True, area: tuple[float, float, float, float] | None = None
          ) -> Findings:
    """Run every geometry check on ``geoms`` at once.

    Masks: ``null``, ``empty``, ``nonfinite`` (NaN/Inf coordinates), ``out_of_range`` (only
    when ``lonlat``: outside -180..180 / -90..90), ``outside_area`` (only when ``lonlat``
    and ``area`` (west, south, east, north in degrees) is given: beyond that box),
    ``invalid`` (not OGC-valid; reasons in
    ``invalid_reason``), ``winding`` (a polygon ring against the right-hand rule) and
    ``repeated`` (consecutive duplicate vertices).
    """
    n = len(geoms)
    null = shapely.is_missing(geoms)
    empty = ~null & shapely.is_empty(geoms)
    live = ~null & ~empty
    bounds = shapely.bounds(geoms)
    nonfinite = np.zeros(n, dtype=bool)
    coords, index = shapely.get_coordinates(geoms[live], return_index=True)
    if len(coords):
        bad = ~np.isfinite(coords).all(axis=1)
        if bad.any():
            nonfinite[np.flatnonzero(live)[np.unique(index[bad])]] = True
    live &= ~nonfinite
    out_of_range = np.zeros(n, dtype=bool)
    if lonlat:
        with np.errstate(invalid="ignore"):
            out_of_range = live & ((bounds[:, 0] < -180) | (bounds[:, 2] > 180)
                                   | (bounds[:, 1] < -90) | (bounds[:, 3] > 90))
    outside_area = np.zeros(n, dtype=bool)
    if lonlat and area is not None:
        west, south, east, north = area
        with np.errstate(invalid="ignore"):
            outside_area = live & ~out_of_range & (
                (bounds[:, 0] < west) | (bounds[:, 2] > east) | (bounds[:, 1] < south)
                | (bounds[:, 3] > north))
    invalid = np.zeros(n, dtype=bool)
    invalid[live] = ~shapely.is_valid(geoms[live])
    reasons = {}
    idx = np.flatnonzero(invalid)
    if len(idx):
        for i, text in zip(idx, shapely.is_valid_reason(geoms[idx])):
            reasons[int(i)] = text
    wound = np.zeros(n, dtype=bool)
    rep = np.zeros(n, dtype=bool)
    if (winding or repeated) and len(coords):
        live_idx = np.flatnonzero(live)  # the non-finite ones are out already
        if nonfinite.any():
            coords, index = shapely.get_coordinates(geoms[live_idx], return_index=True)
        if len(coords):  # every feature may have been non-finite
            _ring_stats(geoms, live_idx, coords, index, wound, rep, winding, repeated)
    return Findings(
        masks={"null": null, "empty": empty, "nonfinite": nonfinite,
               "out_of_range": out_of_range, "outside_area": outside_area, "invalid": invalid,
               "winding": wound,
               "repeated": rep},
        invalid_reason=reasons, bounds=bounds,
    )


def _ring_stats(geoms, live_idx, coords, index, wound, rep, winding, repeated) -> None:
    """Winding and repeated vertices from one coordinate array.

    A Polygon without holes, or a LineString, is one ring or line: its coordinates are
    contiguous in ``coords``, so the shoelace sum and the comparison of neighbours are
    plain numpy over all features at once. Multi-part geometries and polygons with holes
    (usually few) go through shapely ring by ring.
    """
    sub = geoms[live_idx]
    types = shapely.get_type_id(sub)
    simple = (types == 1) | ((types == 3) & (shapely.get_num_interior_rings(sub) == 0))
    x = coords[:, 0]
    y = coords[:, 1]
    same = index[1:] == index[:-1]
    if repeated:
        eq = same & (x[1:] == x[:-1]) & (y[1:] == y[:-1])
        hit = np.zeros(len(sub), dtype=bool)
        hit[index[1:][eq]] = True
        rep[live_idx[hit & simple]] = True
    if winding:
        starts = np.r_[0, np.flatnonzero(~same) + 1]
        counts = np.diff(np.r_[starts, len(x)])
        dx = x - np.repeat(x[starts], counts)  # relative to each feature's first vertex
        dy = y - np.repeat(y[starts], counts)
        cross = dx[:-1] * dy[1:] - dx[1:] * dy[:-1]
        cross[~same] = 0.0
        area2 = np.bincount(index[:-1], weights=cross, minlength=len(sub))
        cw = (types == 3) & simple & (area2 < 0)
        wound[live_idx[cw]] = True
    complex_ = ~simple & ((types == 3) | (types == 5) | (types == 6))
    if complex_.any():
        idx = live_idx[complex_]
        if winding:
            live = np.zeros(len(geoms), dtype=bool)
            live[idx] = True
            wound |= _wrong_winding(geoms, live)
        if repeated:
            part = geoms[idx]
            rep[idx] = (shapely.get_num_coordinates(shapely.remove_repeated_points(part, 0.0))
                        != shapely.get_num_coordinates(part))


def _wrong_winding(geoms: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Features with a polygon ring against RFC 7946's right-hand rule (exterior rings
    counterclockwise, holes clockwise)."""
    out = np.zeros(len(geoms), dtype=bool)
    types = shapely.get_type_id(geoms)
    polys = np.flatnonzero(live & ((types == 3) | (types == 6)))
    if not len(polys):
        return out
    parts, part_of = shapely.get_parts(geoms[polys], return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    first = np.ones(len(rings), dtype=bool)
    first[1:] = ring_of[1:] != ring_of[:-1]
    ccw = shapely.is_ccw(rings)
    wrong = np.where(first, ~ccw, ccw)
    if wrong.any():
        out[polys[np.unique(part_of[ring_of[wrong]])]] = True
    return out


def keep_types(geoms: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """For each geometry whose type is not in ``allowed``, keep only its parts of an
    allowed dimension (as a Multi* geometry); ``None`` where no such part exists."""
    allowed_ids = {TYPE_IDS[t] for t in allowed}
    out = geoms.copy()
    for i, geom in enumerate(geoms):
        if geom is None or TYPE_IDS[geom.geom_type] in allowed_ids:
            continue
        parts = [p for p in shapely.get_parts(geom) if p is not None and not p.is_empty]
        flat = []
        for p in parts:  # nested collections
            flat.extend(shapely.get_parts(p) if p.geom_type.startswith("Multi")
                        or p.geom_type == "GeometryCollection" else [p])
        polys = [p for p in flat if p.geom_type == "Polygon"]
        lines = [p for p in flat if p.geom_type == "LineString"]
        points = [p for p in flat if p.geom_type == "Point"]
        if polys and allowed_ids & {3, 6}:
            out[i] = polys[0] if len(polys) == 1 and 3 in allowed_ids else \
                shapely.multipolygons(polys)
        elif lines and allowed_ids & {1, 5}:
            out[i] = lines[0] if len(lines) == 1 and 1 in allowed_ids else \
                shapely.multilinestrings(lines)
        elif points and allowed_ids & {0, 4}:
            out[i] = points[0] if len(points) == 1 and 0 in allowed_ids else \
                shapely.multipoints(points)
        else:
            out[i] = None
    return out


def repair(geoms: np.ndarray) -> np.ndarray:
    """``shapely.make_valid`` keeping the dimension: polygons are rebuilt with the
    ``structure`` method (no stray lines), other geometries with ``linework``."""
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    poly = (types == 3) | (types == 6)
    if poly.any():
        out[poly] = shapely.make_valid(geoms[poly], method="structure", keep_collapsed=False)
    other = ~poly & ~shapely.is_missing(geoms)
    if other.any():
        out[other] = shapely.make_valid(geoms[other])
    return out
