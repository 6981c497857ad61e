"""A store layer as GeoJSON features for the tile pyramid: one JSON text per row (all of
its parts), its WGS84 anchor point and box, and the colour classes of the legend.

Each feature's ``properties`` use the short keys of :mod:`twin.render.prepare`:

``k``  the row position in the layer frame (the attribute panel reads the row), ``-1`` for
       a merged block
``t``  tooltip text (plain; the browser HTML-escapes it)
``h``  extrusion height in metres (buildings)
``w``  line width in metres (roads, river lines)
``c``  colour class: building use, land use, road class (index into the layer's palette)
``g``  height class (buildings, for "colour by height")

Coordinates are lon/lat rounded to 1e-6 (about 0.1 m), rings without the closing vertex.

Example
-------
>>> from twin.tiles.features import layer_features
>>> table = layer_features(frame, "building")  # doctest: +SKIP
>>> table.texts[0][:40]  # doctest: +SKIP
'{"type":"Feature","geometry":{"type":"Po'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import orjson
import pandas as pd
import shapely

from ..crs import WGS84, parse_crs, transform_xy, working_crs
from ..render import palette
from ..render.prepare import COORD_DECIMALS, Group

__all__ = ["TILED_KINDS", "FeatureTable", "layer_features", "encode_features"]

TILED_KINDS = ("building", "parcel", "road", "river", "bim_element")  # bim: twin.tiles.bim
DEFAULT_HEIGHT_M = 10.0
DEFAULT_ROAD_WIDTH_M = 7.0
DEFAULT_RIVER_WIDTH_M = 15.0


@dataclass
class FeatureTable:
    """The drawable rows of one layer: ``texts[i]`` is row ``i``'s features as JSON text
    (several, comma-separated, for a multi-part row; None without geometry), ``lon``/``lat``
    its anchor point, ``box`` its lon/lat bounds, ``weight`` its area or length in metres.
    Buildings also have ``height``, ``use_class`` and ``height_class``. ``palettes`` and
    ``groups`` are keyed by colour mode (``"use"``, ``"height"``, or ``""``)."""

    kind: str
    texts: list
    lon: np.ndarray
    lat: np.ndarray
    box: np.ndarray
    weight: np.ndarray
    height: np.ndarray | None = None
    use_class: np.ndarray | None = None
    height_class: np.ndarray | None = None
    palettes: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    parent: np.ndarray | None = None  # BIM: each row's building (see twin.tiles.bim)
    parent_features: list | None = None

    @property
    def drawn(self) -> np.ndarray:
        """Positions of the rows that have something to draw."""
        return np.flatnonzero(np.isfinite(self.lon))


def encode_features(features: list[dict]) -> bytes:
    """A JSON array of GeoJSON features, compact, non-ASCII kept as it is."""
    return orjson.dumps(features, option=orjson.OPT_SERIALIZE_NUMPY)


def _lonlat(x, y, crs) -> tuple[np.ndarray, np.ndarray]:
    src = parse_crs(crs) if crs is not None else working_crs()
    if len(x) == 0 or (src.is_geographic and src.to_epsg() == 4326):
        lon, lat = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    else:
        lon, lat = transform_xy(np.asarray(x), np.asarray(y), src, WGS84)
    return np.round(lon, COORD_DECIMALS), np.round(lat, COORD_DECIMALS)


def _texts(frame, column: str, fallback: str | None = None) -> list[str]:
    def clean(values):
        return ["" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                else str(v) for v in values]
    out = clean(frame[column].tolist()) if column in frame.columns else [""] * len(frame)
    if fallback and fallback in frame.columns:
        other = clean(frame[fallback].tolist())
        out = [a or b for a, b in zip(out, other)]
    return out


def _numbers(frame, column: str, default: float, digits: int = 1) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), default)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.round(np.where(np.isfinite(values), values, default), digits)


def _num(value: float):
    return int(value) if float(value).is_integer() else float(value)


def _geometries(geoms, crs) -> tuple[list, np.ndarray]:
    """GeoJSON geometry dicts of every single part (Polygon, LineString, Point) of
    ``geoms`` in lon/lat, and the row index of each part."""
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, index = shapely.get_parts(geoms[ok], return_index=True)
    index = np.flatnonzero(ok)[index]
    types = shapely.get_type_id(parts)
    out: list = [None] * len(parts)
    for type_id, name in ((3, "Polygon"), (1, "LineString"), (0, "Point")):
        sel = np.flatnonzero(types == type_id)
        if not len(sel):
            continue
        coords, rings = shapely.get_coordinates(parts[sel], return_index=False), None
        lon, lat = _lonlat(coords[:, 0], coords[:, 1], crs)
        pts = np.ascontiguousarray(np.column_stack([lon, lat]))
        if type_id == 3:
            rings = shapely.get_rings(parts[sel], return_index=True)
            counts = shapely.get_num_coordinates(rings[0])
            ends = np.cumsum(counts)
            starts = ends - counts
            ring_of = rings[1]
            poly: dict[int, list] = {}
            for r, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
                poly.setdefault(int(ring_of[r]), []).append(pts[a:b - 1])
            for j, s in enumerate(sel.tolist()):
                out[s] = {"type": name, "coordinates": poly.get(j, [])}
        elif type_id == 1:
            counts = shapely.get_num_coordinates(parts[sel])
            ends = np.cumsum(counts)
            for s, a, b in zip(sel.tolist(), (ends - counts).tolist(), ends.tolist()):
                out[s] = {"type": name, "coordinates": pts[a:b]}
        else:
            for s, p in zip(sel.tolist(), pts):
                out[s] = {"type": name, "coordinates": p}
    keep = [i for i, g in enumerate(out) if g is not None]
    return [out[i] for i in keep], index[keep]


def _row_texts(n: int, geoms: list, index: np.ndarray, props: list[dict]) -> list:
    """One JSON text per row: its parts as features carrying the row's properties."""
    texts: list = [None] * n
    for geom, i in zip(geoms, index.tolist()):
        text = orjson.dumps({"type": "Feature", "geometry": geom, "properties": props[i]},
                            option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
        texts[i] = text if texts[i] is None else texts[i] + "," + text
    return texts


def _classes(keys: list[str], order: list[str], colors) -> tuple[np.ndarray, list, list]:
    """Class index of every key, the palette, and the legend groups (present classes)."""
    index = {k: i for i, k in enumerate(order)}
    cls = np.array([index[k] for k in keys], dtype=np.int64) if keys else np.zeros(0, int)
    pal = [tuple(int(c) for c in colors(k)) for k in order]
    return cls, pal, order


def _groups(cls: np.ndarray, order: list[str], pal: list, drawn: np.ndarray,
            geometry: str) -> list[Group]:
    counts = np.bincount(cls[drawn], minlength=len(order)) if len(drawn) else \
        np.zeros(len(order), int)
    return [Group(key=str(k), color=pal[i], count=int(counts[i]), geometry=geometry)
            for i, k in enumerate(order) if counts[i]]


def layer_features(frame, kind: str, language: str | None = None) -> FeatureTable:
    """The :class:`FeatureTable` of a store layer of ``kind`` (one of :data:`TILED_KINDS`),
    in the working CRS as the store returns it; tooltips in ``language`` (coded values as
    they are without one)."""
    from ..render.prepare import parcel_tip, river_tip, road_tip

    if kind == "bim_element":
        from .bim import element_features

        return element_features(frame)
    n = len(frame)
    crs = frame.crs
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    anchor = shapely.point_on_surface(np.where(missing, None, geoms)) if kind != "road" \
        else shapely.line_interpolate_point(np.where(missing, None, geoms), 0.5,
                                            normalized=True)
    axy = shapely.get_coordinates(anchor)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    has = ~shapely.is_missing(anchor) & ~missing
    if has.any():
        lon[has], lat[has] = _lonlat(axy[:, 0], axy[:, 1], crs)
    bounds = shapely.bounds(geoms)
    box = np.full((n, 4), np.nan)
    if has.any():
        w, s = _lonlat(bounds[has, 0], bounds[has, 1], crs)
        e, no = _lonlat(bounds[has, 2], bounds[has, 3], crs)
        box[has] = np.column_stack([np.minimum(w, e), np.minimum(s, no), np.maximum(w, e),
                                    np.maximum(s, no)])
    weight = np.where(missing, 0.0, shapely.area(geoms) + shapely.length(geoms))
    table = FeatureTable(kind=kind, texts=[], lon=lon, lat=lat, box=box, weight=weight)
    drawn = np.flatnonzero(has)
    parts, index = _geometries(geoms, crs)
    positions = list(range(n))
    names = _texts(frame, "name", "id")
    if kind == "building":
        height = _numbers(frame, "height_m", float("nan"))
        if "floors" in frame.columns:
            height = np.where(np.isfinite(height), height,
                              _numbers(frame, "floors", float("nan"), 0) * 3.0)
        height = np.where(np.isfinite(height) & (height > 0), height, DEFAULT_HEIGHT_M)
        uses = _texts(frame, "use")
        lookup = {u: palette.building_use_group(u) for u in set(uses)}
        use_order = list(palette.BUILDING_USE_COLORS)
        ucls, upal, _ = _classes([lookup[u] for u in uses], use_order,
                                 lambda k: palette.BUILDING_USE_COLORS[k])
        hcls = np.array([palette.height_bin(h) for h in height.tolist()], dtype=np.int64)
        horder = [f"h{b}" for b in range(len(palette.HEIGHT_BINS))]
        hpal = [palette.height_color(b) for b in range(len(palette.HEIGHT_BINS))]
        table.height, table.use_class, table.height_class = height, ucls, hcls
        table.palettes = {"use": upal, "height": hpal}
        table.groups = {"use": _groups(ucls, use_order, upal, drawn, "polygon"),
                        "height": _groups(hcls, horder, hpal, drawn, "polygon")}
        hs = [_num(h) for h in height.tolist()]
        props = [{"k": k, "t": f"{nm} · {h:g} m", "h": h, "c": int(c), "g": int(g)}
                 for k, nm, h, c, g in zip(positions, names, hs, ucls.tolist(),
                                           hcls.tolist())]
    elif kind == "parcel":
        codes = _texts(frame, "land_use")
        keys = [palette.land_use_group(c) for c in codes]
        order = sorted(set(keys))
        cls, pal, _ = _classes(keys, order,
                               lambda k: palette.LAND_USE_COLORS.get(k, palette.UNKNOWN))
        table.palettes = {"": pal}
        table.groups = {"": _groups(cls, order, pal, drawn, "polygon")}
        far = _numbers(frame, "max_far", float("nan"), 2)
        hmax = _numbers(frame, "max_height_m", float("nan"), 1)
        props = [{"k": k, "t": parcel_tip(names[k], codes[k], far[k], hmax[k], language),
                  "c": int(cls[k])} for k in positions]
    elif kind == "road":
        classes = _texts(frame, "road_class")
        keys = [c.strip().lower() or "other" for c in classes]
        order = sorted(set(keys))
        cls, pal, _ = _classes(keys, order, palette.road_color)
        table.palettes = {"": pal}
        table.groups = {"": _groups(cls, order, pal, drawn, "path")}
        width = _numbers(frame, "width_m", DEFAULT_ROAD_WIDTH_M)
        props = [{"k": k, "t": road_tip(names[k], classes[k], width[k], language),
                  "w": _num(width[k]), "c": int(cls[k])} for k in positions]
    elif kind == "river":
        width = _numbers(frame, "width_m", DEFAULT_RIVER_WIDTH_M)
        setback = _numbers(frame, "setback_m", float("nan"))
        table.palettes = {"": [palette.WATER_COLOR]}
        table.groups = {"": [Group("water", palette.WATER_COLOR, len(drawn), "polygon")]
                        if len(drawn) else []}
        props = [{"k": k, "t": river_tip(names[k], width[k], setback[k], language),
                  "w": _num(width[k]), "c": 0} for k in positions]
    else:
        raise ValueError(f"kind {kind!r} is not tiled (tiled kinds: {', '.join(TILED_KINDS)})")
    table.texts = _row_texts(n, parts, index, props)
    return table
