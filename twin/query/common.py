"""Small vectorized helpers shared by the queries: numbers, statuses, residential use, GFA."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import WGS84, transform_xy, working_crs
from ..errors import QueryError

__all__ = [
    "PASS",
    "FAIL",
    "NA",
    "numeric",
    "text",
    "as_fraction",
    "status_max",
    "status_min",
    "residential_mask",
    "building_gfa",
    "parse_kv",
    "location_lonlat",
    "frame_crs",
    "geoframe",
    "split_long_lines",
]

PASS, FAIL, NA = "pass", "fail", "n/a"

_RESIDENTIAL_WORDS = ("residential", "house", "apartments", "dormitory", "住宅", "居住", "公寓",
                      "宿舍")
_R_CODE = re.compile(r"^R[0-9a-z]{0,3}$")


def numeric(frame: pd.DataFrame, column: str, default: float = np.nan) -> np.ndarray:
    """Column ``column`` as a float array (``default`` where missing or not a number)."""
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=float)
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy(
        na_value=np.nan)
    if not np.isnan(default):
        values = np.where(np.isnan(values), default, values)
    return values


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column ``column`` as strings, ``""`` where missing."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="object")
    return frame[column].astype("object").where(frame[column].notna(), "").astype(str)


def as_fraction(limit: np.ndarray) -> np.ndarray:
    """Ratios given as percentages (values above 1, e.g. ``35`` for 35 %) become fractions."""
    limit = np.asarray(limit, dtype=float)
    return np.where(limit > 1.0, limit / 100.0, limit)


def status_max(value: np.ndarray, limit: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """``pass`` where ``value ≤ limit``, ``fail`` above it, ``n/a`` without a limit."""
    value = np.asarray(value, dtype=float)
    limit = np.asarray(limit, dtype=float)
    out = np.where(value <= limit + tol, PASS, FAIL).astype(object)
    out[np.isnan(limit)] = NA
    return out


def status_min(value: np.ndarray, limit: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """``pass`` where ``value ≥ limit``, ``fail`` below it, ``n/a`` without a limit."""
    value = np.asarray(value, dtype=float)
    limit = np.asarray(limit, dtype=float)
    out = np.where(value >= limit - tol, PASS, FAIL).astype(object)
    out[np.isnan(limit)] = NA
    return out


def residential_mask(buildings: pd.DataFrame) -> np.ndarray:
    """True for residential buildings: ``use`` is a GB 50137 R code (``R``, ``R2``, ``Rb``)
    or names housing (residential, house, apartments, 住宅, 居住 …)."""
    use = text(buildings, "use").str.strip()
    code = use.str.match(_R_CODE)
    low = use.str.lower()
    words = np.zeros(len(use), dtype=bool)
    for w in _RESIDENTIAL_WORDS:
        words |= low.str.contains(w, regex=False).to_numpy()
    return code.to_numpy(dtype=bool) | words


def building_gfa(buildings: gpd.GeoDataFrame, *, storey_height_m: float = 3.0):
    """Gross floor area (m²) of each building and the method used, as two arrays.

    * A building with a ``gfa_method`` (set by the IFC reader from IfcSpace / IfcSlab
      areas) or with an ``ifc_guid`` and a ``gfa_m2`` keeps its ``gfa_m2``: method
      ``ifc:<gfa_method>`` (or ``ifc``).
    * An LOD1 building with ``floors`` gets ``floors × footprint area``: method
      ``lod1:floors×footprint``.
    * Without floors, a given ``gfa_m2`` is used: ``source:gfa_m2``.
    * Otherwise floors are estimated as ``max(1, round(height_m / storey_height_m))``:
      ``lod1:height/3m×footprint``; a building with neither gets 0: ``none``.
    """
    n = len(buildings)
    footprint = shapely.area(buildings.geometry.to_numpy()) if n else np.zeros(0)
    given = numeric(buildings, "gfa_m2")
    floors = numeric(buildings, "floors")
    height = numeric(buildings, "height_m")
    method = text(buildings, "gfa_method").to_numpy(dtype=object)
    guid = text(buildings, "ifc_guid").to_numpy(dtype=object)
    gfa = np.zeros(n, dtype=float)
    labels = np.full(n, "none", dtype=object)

    est_floors = np.maximum(1.0, np.round(height / storey_height_m))
    from_height = ~np.isnan(height) & (height > 0)
    gfa = np.where(from_height, est_floors * footprint, gfa)
    labels[from_height] = f"lod1:height/{storey_height_m:g}m×footprint"

    has_given = ~np.isnan(given) & (given > 0)
    gfa = np.where(has_given, given, gfa)
    labels[has_given] = "source:gfa_m2"

    has_floors = ~np.isnan(floors) & (floors > 0)
    gfa = np.where(has_floors, floors * footprint, gfa)
    labels[has_floors] = "lod1:floors×footprint"

    is_ifc = has_given & ((method != "") | (guid != ""))
    gfa = np.where(is_ifc, given, gfa)
    ifc_labels = np.where(method != "", "ifc:" + method.astype(str), "ifc")
    labels[is_ifc] = ifc_labels[is_ifc]
    return gfa, labels


def parse_kv(value: str | dict | None, *, what: str, cast=float) -> dict:
    """Parse ``"school=1000, clinic=1000"`` (or a dict) into ``{"school": 1000.0, ...}``."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): cast(v) for k, v in value.items()}
    out = {}
    for item in re.split(r"[,;]", str(value)):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"{what} takes NAME=VALUE pairs separated by commas, got {item!r}")
        try:
            out[key.strip()] = cast(val.strip())
        except ValueError:
            raise QueryError(f"{what}: {val.strip()!r} is not a number (in {item!r})") from None
    return out


def frame_crs(*frames):
    """The CRS of the first frame that has one, else the working CRS."""
    for f in frames:
        if f is not None and getattr(f, "crs", None) is not None:
            return f.crs
    return working_crs()


def location_lonlat(*frames, default=(119.90, 35.73)) -> tuple[float, float]:
    """Longitude and latitude of the centre of the frames' total bounds (for the sun)."""
    boxes = [f.total_bounds for f in frames
             if f is not None and isinstance(f, gpd.GeoDataFrame) and len(f)]
    if not boxes:
        return default
    b = np.array(boxes)
    x = (np.nanmin(b[:, 0]) + np.nanmax(b[:, 2])) / 2
    y = (np.nanmin(b[:, 1]) + np.nanmax(b[:, 3])) / 2
    lon, lat = transform_xy([x], [y], frame_crs(*frames), WGS84)
    return float(lon[0]), float(lat[0])


def geoframe(data: dict | pd.DataFrame, geometry, crs) -> gpd.GeoDataFrame:
    """A GeoDataFrame from columns and a geometry array."""
    return gpd.GeoDataFrame(pd.DataFrame(data).reset_index(drop=True), geometry=gpd.GeoSeries(
        np.asarray(geometry, dtype=object) if not isinstance(geometry, gpd.GeoSeries)
        else geometry.to_numpy(), crs=crs), crs=crs)


def split_long_lines(geoms, *, max_vertices: int = 32):
    """Cut lines with more than ``max_vertices`` vertices into consecutive pieces.

    Returns ``(pieces, owner)``: the geometries (short lines and every non-line geometry
    unchanged) and the index of the input geometry each piece came from. The pieces cover
    the same points as the input, so distances to a geometry are the minimum over its
    pieces; a spatial index over short pieces prunes far better than over one long river.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if not n:
        return geoms, np.zeros(0, dtype=int)
    type_id = shapely.get_type_id(geoms)
    is_line = np.isin(type_id, (1, 5))  # LineString, MultiLineString
    long = is_line & (shapely.get_num_coordinates(geoms) > max_vertices)
    if not long.any():
        return geoms, np.arange(n)
    keep = np.flatnonzero(~long)
    parts, part_owner = shapely.get_parts(geoms[long], return_index=True)
    part_owner = np.flatnonzero(long)[part_owner]
    coords, pidx = shapely.get_coordinates(parts, return_index=True)
    seg = np.flatnonzero(pidx[:-1] == pidx[1:])            # segment i: coords[i] → coords[i+1]
    first = np.searchsorted(pidx, pidx[seg])                # first coordinate of its part
    chunk = (seg - first) // (max_vertices - 1)
    new = np.ones(len(seg), dtype=bool)
    new[1:] = (pidx[seg][1:] != pidx[seg][:-1]) | (chunk[1:] != chunk[:-1])
    piece = np.cumsum(new) - 1
    last = np.ones(len(seg), dtype=bool)
    last[:-1] = new[1:]
    xy = np.vstack([coords[seg], coords[seg[last] + 1]])
    ids = np.concatenate([piece, piece[last]])
    order_key = np.concatenate([seg.astype(float), seg[last] + 0.5])
    order = np.lexsort((order_key, ids))
    lines = shapely.linestrings(xy[order], indices=ids[order])
    owners = part_owner[pidx[seg[new]]]
    return (np.concatenate([geoms[keep], lines]).astype(object),
            np.concatenate([keep, owners]))
