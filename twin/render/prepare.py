"""Turn a store layer into compact drawing data: WGS84 coordinates rounded to ~0.1 m, only
the fields a layer needs, grouped by colour, each group already encoded as compact JSON text.

This module has no pydeck: what it returns is plain, picklable data that the app can cache
(``st.cache_data``) and that :mod:`twin.render.layers` wraps in deck.gl layers.

A layer is drawn as one :class:`Part` per geometry type (few deck.gl layers: each costs the
browser time to set up), and its colour classes (land-use codes, building uses, height bins,
road classes…) are :class:`Group` entries for the legend; each object carries the index of
its class in the part's palette.

Each drawn object is a small dict with short keys:

``p``  geometry (polygon rings without the closing vertex, a path, or a point)
``h``  extrusion height in metres (buildings)
``w``  width in metres (roads, river lines)
``t``  tooltip text (plain text; the browser HTML-escapes it when it fills the tooltip)
``k``  the row position in the layer frame, for the attribute panel
``c``  the index of the object's colour in its part's palette

Extruded buildings are drawn without picking; a flat roof at each building's height
(:attr:`Part.pick_data`: ``p`` as ``[lon, lat, height]``, with ``t`` and ``k``) takes
the hover and click picks instead. deck.gl picks at pointer-down synchronously, and in
software WebGL (SwiftShader) a picking pass over the demo's 4,277 extruded blocks took
≈0.3–0.5 s, longer than the 250 ms a press may last to count as a click: the click was
dropped. The roofs are a quarter of the vertices (no walls) and the pick takes ≈0.1 s.

Example
-------
>>> from twin.render.prepare import prepare_layer
>>> prepared = prepare_layer(frame, "building", name="buildings")  # doctest: +SKIP
>>> prepared.groups[0].count  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import orjson
import pandas as pd
import shapely

from ..crs import WGS84, parse_crs, transform_xy, working_crs
from ..i18n import label as label_of
from . import palette

__all__ = [
    "Group",
    "Part",
    "PreparedLayer",
    "DRAWN_KINDS",
    "prepare_layer",
    "parcel_tip",
    "road_tip",
    "river_tip",
    "compact_json",
    "wgs84_bounds",
    "polygon_rings",
    "prepare_features",
    "numeric_bins",
    "feature_color",
    "STATUS_COLORS",
]

DRAWN_KINDS = ("parcel", "river", "road", "building", "facility", "sensor")
COORD_DECIMALS = 6  # ~0.1 m in longitude/latitude
DEFAULT_HEIGHT_M = 10.0
DEFAULT_ROAD_WIDTH_M = 7.0
DEFAULT_RIVER_WIDTH_M = 15.0
ROOF_LIFT_M = 0.05  # the picked roof sits just above the drawn one


@dataclass
class Group:
    """One colour class, for the legend: ``key`` (a land-use code, a use, a height bin
    ``h0``…, a road class, a facility kind), its colour and how many objects have it."""

    key: str
    color: tuple[int, int, int]
    count: int
    geometry: str  # "polygon", "path" or "point"


@dataclass
class Part:
    """The objects of one geometry type: ``data`` is their compact JSON array, ``palette``
    the colour of each class index ``c``."""

    geometry: str  # "polygon", "path" or "point"
    palette: list[tuple[int, int, int]]
    count: int
    data: str
    pick_data: str = ""  # extruded buildings: the roofs that are picked instead (see above)


@dataclass
class PreparedLayer:
    """One store layer ready to draw: its parts, legend groups and WGS84 bounds."""

    name: str
    kind: str
    groups: list[Group] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    bounds: tuple[float, float, float, float] | None = None
    rows: int = 0
    color_by: str = ""

    @property
    def payload_bytes(self) -> int:
        """Bytes of JSON data this layer sends to the browser."""
        return sum(len(p.data.encode("utf-8")) + len(p.pick_data.encode("utf-8"))
                   for p in self.parts)

    def records(self) -> list[dict]:
        """Every drawn object, decoded, with its tooltip ``t`` and row ``k`` (for buildings
        they travel with the roof that is picked; for tests and tools)."""
        out = []
        for part in self.parts:
            recs = orjson.loads(part.data)
            if part.pick_data:
                for rec, roof in zip(recs, orjson.loads(part.pick_data)):
                    rec.update(t=roof["t"], k=roof["k"])
            out += recs
        return out


def compact_json(value) -> str:
    """JSON text without spaces, keeping non-ASCII characters (Chinese names) as they are.

    orjson writes the same text as ``json.dumps(..., separators=(",", ":"),
    ensure_ascii=False)`` about ten times faster (floats dominate the payload).
    """
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")


def _to_lonlat(coords: np.ndarray, crs) -> np.ndarray:
    """Reproject an (n, 2+) coordinate array to rounded WGS84 lon/lat."""
    if len(coords) == 0:
        return np.zeros((0, 2))
    src = parse_crs(crs) if crs is not None else working_crs()
    if src.is_geographic and src.to_epsg() == 4326:
        lon, lat = coords[:, 0], coords[:, 1]
    else:
        lon, lat = transform_xy(coords[:, 0], coords[:, 1], src, WGS84)
    return np.round(np.column_stack([lon, lat]), COORD_DECIMALS)


def wgs84_bounds(frame) -> tuple[float, float, float, float] | None:
    """The WGS84 ``(west, south, east, north)`` of a GeoDataFrame, or None when empty."""
    if frame is None or len(frame) == 0:
        return None
    minx, miny, maxx, maxy = frame.total_bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return None
    xs = [minx, maxx, minx, maxx]
    ys = [miny, miny, maxy, maxy]
    ll = _to_lonlat(np.column_stack([xs, ys]), frame.crs)
    return (float(ll[:, 0].min()), float(ll[:, 1].min()),
            float(ll[:, 0].max()), float(ll[:, 1].max()))


def _parts_of_type(geoms, type_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The single parts of ``geoms`` whose shapely type id is ``type_id``, and for each
    part the index of the row it came from (missing and empty geometries skipped)."""
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, index = shapely.get_parts(geoms[ok], return_index=True)
    index = np.flatnonzero(ok)[index]
    keep = shapely.get_type_id(parts) == type_id
    return parts[keep], index[keep]


def polygon_rings(geoms, crs) -> tuple[list, np.ndarray]:
    """Polygon parts of ``geoms`` as ``[ring, hole...]`` lists of (n, 2) lon/lat arrays without the
    closing vertex, and for each part the index of the row it came from."""
    parts, index = _parts_of_type(geoms, 3)  # Polygon
    if len(parts) == 0:
        return [], index
    _, coords, (ring_off, poly_off) = shapely.to_ragged_array(parts)
    # Row slices of one C-contiguous array: orjson writes them without a Python list each.
    pts = np.ascontiguousarray(_to_lonlat(coords, crs))
    if len(poly_off) == len(ring_off) and np.array_equal(poly_off, np.arange(len(poly_off))):
        # No holes: one ring per polygon.
        ends = (ring_off[1:] - 1).tolist()
        return [[pts[a:b]] for a, b in zip(ring_off[:-1].tolist(), ends)], index
    ring_off = ring_off.tolist()
    poly_off = poly_off.tolist()
    out = []
    for j in range(len(parts)):
        out.append([pts[ring_off[r]:ring_off[r + 1] - 1]
                    for r in range(poly_off[j], poly_off[j + 1])])
    return out, index


def _line_paths(geoms, crs) -> tuple[list, np.ndarray]:
    parts, index = _parts_of_type(geoms, 1)  # LineString
    if len(parts) == 0:
        return [], index
    _, coords, (off,) = shapely.to_ragged_array(parts)
    pts = np.ascontiguousarray(_to_lonlat(coords, crs))
    off = off.tolist()
    return [pts[off[j]:off[j + 1]] for j in range(len(parts))], index


def _points(geoms, crs) -> tuple[list, np.ndarray]:
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    idx = np.flatnonzero(ok)
    pts = shapely.centroid(geoms[ok]) if len(idx) else geoms[:0]
    coords = shapely.get_coordinates(pts)
    return _to_lonlat(coords, crs).tolist(), idx


def _texts(frame: pd.DataFrame, column: str, fallback: str | None = None) -> list[str]:
    if column in frame.columns:
        values = frame[column]
        if fallback and fallback in frame.columns:
            values = values.where(values.notna() & (values.astype("string") != ""),
                                  frame[fallback])
        return ["" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                else str(v) for v in values.tolist()]
    if fallback and fallback in frame.columns:
        return _texts(frame, fallback)
    return [""] * len(frame)


def _numbers(frame: pd.DataFrame, column: str, default: float, digits: int = 1) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), default)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = np.where(np.isfinite(values), values, default)
    return np.round(values, digits)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _encode(records: list[dict], keys: list, colors: dict, geometry: str,
            order=None) -> tuple[list[Group], list[Part]]:
    """Legend groups and the one part of ``records`` (each gets ``c``, its class index)."""
    if not records:
        return [], []
    counts = Counter(keys)
    present = [k for k in (order if order is not None else sorted(counts, key=str))
               if counts.get(k)]
    index = {k: i for i, k in enumerate(present)}
    for rec, key in zip(records, keys):
        rec["c"] = index[key]
    rgb = [tuple(int(c) for c in colors[k]) for k in present]
    groups = [Group(key=str(k), color=c, count=counts[k], geometry=geometry)
              for k, c in zip(present, rgb)]
    return groups, [Part(geometry=geometry, palette=rgb, count=len(records),
                         data=compact_json(records))]


def prepare_layer(frame, kind: str, *, name: str = "", color_by: str = "use",
                  latest: pd.DataFrame | None = None, hidden_ids=(),
                  labels: dict | None = None, language: str | None = None) -> PreparedLayer:
    """Prepare a store layer of ``kind`` for drawing.

    Parameters
    ----------
    frame : GeoDataFrame
        The layer as the store returns it (working CRS).
    kind : str
        One of :data:`DRAWN_KINDS`; other kinds give a layer without groups.
    color_by : {"use", "height"}
        How buildings are coloured.
    latest : DataFrame, optional
        For sensors: the latest reading per sensor (``sensor_id``, ``time``, ``value``,
        ``alarm``), shown in the tooltip; sensors in alarm get their own red group.
    hidden_ids : iterable of str
        Building ids not to draw (their BIM detail is drawn instead).
    labels : dict, optional
        Display labels for group keys in tooltips (``{"R": "居住用地"}``).
    language : str, optional
        Write the tooltips in this UI language (coded values and words through the
        catalogue, :mod:`twin.display`); without it they show the data's own codes.
    """
    labels = labels or {}
    prepared = PreparedLayer(name=name or kind, kind=kind, rows=len(frame), color_by=color_by)
    if kind not in DRAWN_KINDS or frame is None or len(frame) == 0:
        return prepared
    prepared.bounds = wgs84_bounds(frame)
    crs = frame.crs
    if kind == "building" and len(hidden_ids):
        hidden = set(map(str, hidden_ids))
        keep = ~frame["id"].astype("string").isin(hidden).fillna(False).to_numpy(dtype=bool)
        if "ifc_guid" in frame.columns:
            keep &= ~frame["ifc_guid"].astype("string").isin(hidden).fillna(False) \
                .to_numpy(dtype=bool)
        positions = np.flatnonzero(keep)
        frame = frame.iloc[positions]
    else:
        positions = np.arange(len(frame))
    builder = _BUILDERS[kind]
    prepared.groups, prepared.parts = builder(frame, crs, positions, color_by=color_by,
                                              latest=latest, labels=labels, language=language)
    return prepared


def _coded(column: str, value: str, language: str | None) -> str:
    """A coded value (road class, facility or sensor kind) in ``language``, else as is."""
    if not language or not value:
        return value
    from ..display import display_value

    return display_value(column, value, language)


def _say(key: str, language: str | None, default: str, **fields) -> str:
    """The catalogue's text ``key`` in ``language``, else ``default``."""
    if not language:
        return default
    from ..i18n import t

    return t(key, language, **fields)


def parcel_tip(name: str, code: str, far: float, hmax: float, language: str | None) -> str:
    """A parcel's tooltip: name, land use (its GB 50137 name in ``language``), FAR and height
    limits (the one wording of the whole-layer and the tiled map)."""
    code = code or "?"
    use = code
    if language:  # the class's name, else its major class's (B1 → B), else the code alone
        use = label_of("landuse", code, language)
        if use == code and len(code) > 1:
            use = label_of("landuse", code[0], language)
        use = code if use in (code, code[0]) else f"{use} {code}"
    bits = [name, use]
    if math.isfinite(far):
        bits.append(_say("maptip.far", language, f"FAR≤{_fmt(far)}", v=_fmt(far)))
    if math.isfinite(hmax):
        bits.append(_say("maptip.height", language, f"H≤{_fmt(hmax)}m", v=_fmt(hmax)))
    return " · ".join(b for b in bits if b)


def road_tip(name: str, road_class: str, width: float, language: str | None) -> str:
    """A road's tooltip: name, class in ``language``, width."""
    return f"{name} · {_coded('road_class', road_class, language) or '?'} · {_fmt(width)} m"


def river_tip(name: str, width: float, setback: float, language: str | None) -> str:
    """A river's tooltip: name, width and, when it has one, its setback."""
    out = f"{name} · {_fmt(width)} m"
    if not math.isfinite(setback):
        return out
    return out + " · " + _say("maptip.setback", language, f"setback {_fmt(setback)} m",
                              m=_fmt(setback))


def _parcels(frame, crs, positions, *, labels, language=None, **_):
    rings, idx = polygon_rings(frame.geometry.values, crs)
    names = _texts(frame, "name", "id")
    codes = _texts(frame, "land_use")
    lookup = {c: palette.land_use_group(c) for c in set(codes)}
    groups = [lookup[c] for c in codes]
    far = _numbers(frame, "max_far", float("nan"), 2)
    hmax = _numbers(frame, "max_height_m", float("nan"), 1)
    recs, keys = [], []
    for ring, i in zip(rings, idx.tolist()):
        recs.append({"p": ring, "t": parcel_tip(names[i], codes[i], far[i], hmax[i], language),
                     "k": int(positions[i])})
        keys.append(groups[i])
    colors = {k: palette.LAND_USE_COLORS.get(k, palette.UNKNOWN) for k in set(keys)}
    return _encode(recs, keys, colors, "polygon")


def _roads(frame, crs, positions, *, labels, language=None, **_):
    paths, idx = _line_paths(frame.geometry.values, crs)
    names = _texts(frame, "name", "id")
    classes = _texts(frame, "road_class")
    width = _numbers(frame, "width_m", DEFAULT_ROAD_WIDTH_M, 1)
    recs, keys = [], []
    for path, i in zip(paths, idx.tolist()):
        recs.append({"p": path, "w": float(width[i]),
                     "t": road_tip(names[i], classes[i], width[i], language),
                     "k": int(positions[i])})
        keys.append(classes[i].strip().lower() or "other")
    colors = {k: palette.road_color(k) for k in set(keys)}
    return _encode(recs, keys, colors, "path")


def _rivers(frame, crs, positions, *, labels, language=None, **_):
    names = _texts(frame, "name", "id")
    width = _numbers(frame, "width_m", DEFAULT_RIVER_WIDTH_M, 1)
    setback = _numbers(frame, "setback_m", float("nan"), 1)

    def text(i):
        return river_tip(names[i], width[i], setback[i], language)

    rings, pidx = polygon_rings(frame.geometry.values, crs)
    paths, lidx = _line_paths(frame.geometry.values, crs)
    polys = [{"p": r, "t": text(i), "k": int(positions[i])} for r, i in zip(rings, pidx.tolist())]
    lines = [{"p": p, "w": float(width[i]), "t": text(i), "k": int(positions[i])}
             for p, i in zip(paths, lidx.tolist())]
    colors = {"water": palette.WATER_COLOR, "water_line": palette.WATER_COLOR}
    g1, p1 = _encode(polys, ["water"] * len(polys), colors, "polygon")
    g2, p2 = _encode(lines, ["water_line"] * len(lines), colors, "path")
    return g1 + g2, p1 + p2


def _buildings(frame, crs, positions, *, color_by, labels, **_):
    rings, idx = polygon_rings(frame.geometry.values, crs)
    height = _numbers(frame, "height_m", float("nan"), 1)
    if "floors" in frame.columns:
        floors = _numbers(frame, "floors", float("nan"), 0)
        height = np.where(np.isfinite(height), height, floors * 3.0)
    height = np.where(np.isfinite(height) & (height > 0), height, DEFAULT_HEIGHT_M)
    names = _texts(frame, "name", "id")
    if color_by == "height":
        bins = [palette.height_bin(h) for h in height.tolist()]
        keys_all = [f"h{b}" for b in bins]
        colors = {f"h{b}": palette.height_color(b) for b in range(len(palette.HEIGHT_BINS))}
        order = [f"h{b}" for b in range(len(palette.HEIGHT_BINS))]
    else:
        uses = _texts(frame, "use")
        lookup = {u: palette.building_use_group(u) for u in set(uses)}
        keys_all = [lookup[u] for u in uses]
        colors = dict(palette.BUILDING_USE_COLORS)
        order = list(palette.BUILDING_USE_COLORS)
    hs = [int(h) if h.is_integer() else h for h in height.tolist()]  # "12", not "12.0"
    texts = [f"{n} · {h:g} m" for n, h in zip(names, hs)]
    pos = positions.tolist()
    idx = idx.tolist()
    recs = [{"p": ring, "h": hs[i]} for ring, i in zip(rings, idx)]
    keys = [keys_all[i] for i in idx]
    groups, parts = _encode(recs, keys, colors, "polygon", order=order)
    if parts:
        roofs = [{"p": np.column_stack([ring[0], np.full(len(ring[0]), hs[i] + ROOF_LIFT_M)]),
                  "t": texts[i], "k": pos[i]} for ring, i in zip(rings, idx)]
        parts[0].pick_data = compact_json(roofs)
    return groups, parts


def _facilities(frame, crs, positions, *, labels, language=None, **_):
    pts, idx = _points(frame.geometry.values, crs)
    names = _texts(frame, "name", "id")
    kinds = _texts(frame, "kind")
    cap = _numbers(frame, "capacity", float("nan"), 0)
    recs, keys = [], []
    for p, i in zip(pts, idx.tolist()):
        label = labels.get(kinds[i]) or _coded("kind", kinds[i], language)
        extra = f" · {_fmt(cap[i])}" if math.isfinite(cap[i]) else ""
        recs.append({"p": p, "t": f"{names[i]} · {label}{extra}", "k": int(positions[i])})
        keys.append(kinds[i] or "other")
    colors = {k: palette.FACILITY_COLORS.get(k, (120, 120, 120)) for k in set(keys)}
    return _encode(recs, keys, colors, "point")


def _sensors(frame, crs, positions, *, latest, labels, language=None, **_):
    pts, idx = _points(frame.geometry.values, crs)
    ids = _texts(frame, "id")
    kinds = _texts(frame, "kind")
    units = _texts(frame, "unit")
    by_id = {}
    if latest is not None and len(latest):
        for row in latest.itertuples(index=False):
            by_id[str(row.sensor_id)] = row
    recs, keys = [], []
    for p, i in zip(pts, idx.tolist()):
        label = labels.get(kinds[i]) or _coded("kind", kinds[i], language)
        reading = by_id.get(ids[i])
        text = f"{ids[i]} · {label}"
        key = kinds[i] or "other"
        if reading is not None and reading.value is not None and math.isfinite(reading.value):
            text += f" · {_fmt(round(float(reading.value), 3))} {units[i]} · {reading.time}"
            if bool(getattr(reading, "alarm", False)):
                key = "alarm"
                text += " · ⚠"
        recs.append({"p": p, "t": text, "k": int(positions[i])})
        keys.append(key)
    colors = {k: palette.SENSOR_COLORS.get(k, (90, 90, 200)) for k in set(keys)}
    colors["alarm"] = palette.ALARM_COLOR
    return _encode(recs, keys, colors, "point")


_BUILDERS = {
    "parcel": _parcels,
    "road": _roads,
    "river": _rivers,
    "building": _buildings,
    "facility": _facilities,
    "sensor": _sensors,
}


STATUS_COLORS = {"pass": (46, 160, 67), "fail": (215, 38, 56), "n/a": (170, 170, 170),
                 "warn": (240, 160, 20), "true": (215, 38, 56), "false": (46, 160, 67)}
_CYCLE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
          (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def feature_color(value, position: int = 0) -> tuple[int, int, int]:
    """Colour of a category: pass/fail/n/a have fixed colours, others cycle a palette."""
    text = str(value).strip().lower()
    if text in STATUS_COLORS:
        return STATUS_COLORS[text]
    return _CYCLE[position % len(_CYCLE)]


def numeric_bins(values: np.ndarray, column: str, n: int = 5) -> tuple[list[str], list[str]]:
    """``(label of each value, labels in ascending order)``: ``values`` cut at rounded
    quantiles (two significant digits) into at most ``n`` bins labelled with the column's
    unit (``"14–19 m"``, ``"≥ 32 m"``); a missing value is ``"n/a"``."""
    from ..number_format import fmt_number, unit_of

    finite = values[np.isfinite(values)]
    if not len(finite):
        return ["n/a"] * len(values), ["n/a"]
    raw = np.quantile(finite, np.linspace(0, 1, n + 1))

    def nice(x: float) -> float:
        if x == 0 or not math.isfinite(x):
            return 0.0
        digits = 1 - int(math.floor(math.log10(abs(x))))
        return round(x, digits)

    inner = sorted({nice(float(x)) for x in raw[1:-1]})
    inner = [x for x in inner if finite.min() < x <= finite.max()]
    unit = {"m": " m", "m2": " m²", "fraction": "", "percent": "%"}.get(unit_of(column), "")
    fraction = unit_of(column) == "fraction"

    def text(x: float, with_unit: bool = True) -> str:
        if fraction:
            return f"{fmt_number(x * 100, 1)}" + ("%" if with_unit else "")
        return fmt_number(x, 2) + (unit if with_unit else "")

    edges = [float(finite.min()), *inner, float(finite.max())]
    labels = []
    for i in range(len(edges) - 1):
        if i == len(edges) - 2 and i:
            labels.append(f"≥ {text(edges[i])}")
        elif i == 0 and len(edges) > 2:
            labels.append(f"< {text(edges[1])}")
        else:
            labels.append(f"{text(edges[i], False)}–{text(edges[i + 1])}")
    where = np.searchsorted(np.asarray(inner), values, side="right")
    keys = [labels[int(w)] if math.isfinite(v) else "n/a" for w, v in zip(where, values)]
    order = labels + (["n/a"] if "n/a" in keys else [])
    return keys, [k for k in order if k in set(keys)]


def prepare_features(frame, *, name: str, color_by: str | None = None,
                     id_column: str | None = "id", max_groups: int = 12,
                     color_offset: int = 0) -> PreparedLayer:
    """Prepare any GeoDataFrame (a query result, an extra layer) for drawing flat, coloured
    by the categories of ``color_by``: numbers are cut into rounded quantile bins with their
    unit (:func:`numeric_bins`) on a sequential ramp (a blue depth ramp for ``*depth*``
    columns); ``color_offset`` shifts the category colours, so that two layers of one
    category (flooded area, flooded buildings) differ."""
    prepared = PreparedLayer(name=name, kind="result", rows=len(frame), color_by=color_by or "")
    if frame is None or len(frame) == 0 or "geometry" not in frame:
        return prepared
    prepared.bounds = wgs84_bounds(frame)
    crs = frame.crs
    ramp = None
    if color_by and color_by in frame.columns:
        values = frame[color_by]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > max_groups:
            keys_all, order = numeric_bins(values.to_numpy(dtype=float, na_value=np.nan),
                                           color_by)
            ramp = palette.DEPTH_RAMP if "depth" in color_by else palette.VALUE_RAMP
        else:
            keys_all = values.astype("string").fillna("n/a").tolist()
    else:
        keys_all = ["all"] * len(frame)
    ids = _texts(frame, id_column) if id_column else [""] * len(frame)
    texts = [f"{i} · {k}" if k != "all" else i for i, k in zip(ids, keys_all)]
    if ramp is None:
        order = list(dict.fromkeys(sorted(set(keys_all), key=str)))
    if len(order) > max_groups:
        keep = set(order[:max_groups - 1])
        keys_all = [k if k in keep else "other" for k in keys_all]
        order = order[:max_groups - 1] + ["other"]
    if ramp is not None:
        colors = {k: palette.ramp_color(ramp, i, len(order)) if k != "n/a"
                  else palette.UNKNOWN for i, k in enumerate(order)}
    else:
        colors = {k: feature_color(k, i + color_offset) for i, k in enumerate(order)}
    groups: list[Group] = []
    parts: list[Part] = []
    geoms = frame.geometry.values
    for geometry, (items, idx) in (("polygon", polygon_rings(geoms, crs)),
                                   ("path", _line_paths(geoms, crs)),
                                   ("point", _points_only(geoms, crs))):
        recs, keys = [], []
        for item, i in zip(items, idx.tolist()):
            rec = {"p": item, "t": texts[i], "k": i}
            if geometry == "path":
                rec["w"] = 4.0
            recs.append(rec)
            keys.append(keys_all[i])
        more_groups, more_parts = _encode(recs, keys, colors, geometry, order=order)
        groups += more_groups
        parts += more_parts
    prepared.groups, prepared.parts = groups, parts
    return prepared


def _points_only(geoms, crs):
    geoms = np.asarray(geoms, dtype=object)
    kind = shapely.get_type_id(geoms)
    mask = (kind == 0) | (kind == 4)
    pts, idx = _points(np.where(mask, geoms, None), crs)
    return pts, idx
