"""The twin's working CRS and every coordinate transformation.

All layers in the store are in one projected metric CRS, by default CGCS2000 / 3-degree
Gauss-Kruger CM 120E (EPSG:4549). This module is the only place that builds pyproj
transformers; readers, queries and the renderer call it.

Example
-------
>>> from twin.crs import working_crs, transformer
>>> working_crs().to_epsg()
4549
>>> x, y = transformer("EPSG:4326", working_crs()).transform(119.90, 35.73)
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from pyproj.transformer import TransformerGroup

from .errors import GeoreferenceError

__all__ = [
    "DEFAULT_WORKING_CRS",
    "WGS84",
    "working_crs",
    "parse_crs",
    "transformer",
    "transform_xy",
    "to_wgs84",
    "transform_geometries",
    "lonlat_in_range",
    "bounds_in_area_of_use",
    "suggest_crs",
]

DEFAULT_WORKING_CRS = "EPSG:4549"
WGS84 = "EPSG:4326"


@lru_cache(maxsize=8)
def _crs(text: str) -> CRS:
    return CRS.from_user_input(text)


def parse_crs(value, *, path=None) -> CRS:
    """Return a :class:`pyproj.CRS` for ``value`` (``"EPSG:4549"``, ``4549``, WKT, a CRS).

    Raises :class:`GeoreferenceError` naming the value when pyproj does not know it.
    """
    if isinstance(value, CRS):
        return value
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return _crs(text)
    except CRSError as exc:
        raise GeoreferenceError(
            f"unknown coordinate reference system {value!r} ({exc})",
            path=path,
            hint="give an EPSG code such as EPSG:4326 or EPSG:4549",
        ) from None


def working_crs() -> CRS:
    """The working CRS: ``$TWIN_CRS`` if set, else EPSG:4549."""
    return parse_crs(os.environ.get("TWIN_CRS", DEFAULT_WORKING_CRS))


@lru_cache(maxsize=64)
def _pipeline(src: str, dst: str) -> str | None:
    """The PROJ pipeline of the one operation PROJ knows from ``src`` to ``dst`` (x/east
    first), or None when it has several to choose from point by point."""
    try:
        group = TransformerGroup(_crs(src), _crs(dst), always_xy=True)
    except Exception:  # noqa: BLE001 - let Transformer.from_crs decide (and explain)
        return None
    if len(group.transformers) == 1 and not group.unavailable_operations:
        return group.transformers[0].definition
    return None


_PER_THREAD = threading.local()


def transformer(src, dst) -> Transformer:
    """A cached pyproj transformer from ``src`` to ``dst`` with x=east/lon, y=north/lat order.

    pyproj rebuilds a transformer from its CRSs in every thread that uses it (about 50 ms
    for CGCS2000 to WGS 84, mostly PROJ searching its database), and Streamlit runs each
    rerun in a new thread. So the operation is looked up once per process, and each thread
    keeps its own transformers built from that operation's pipeline (0.3 ms); when PROJ
    has several operations to choose from point by point, each thread builds the full one.
    """
    key = (parse_crs(src).to_wkt(), parse_crs(dst).to_wkt())
    cache = getattr(_PER_THREAD, "transformers", None)
    if cache is None:
        cache = _PER_THREAD.transformers = {}
    found = cache.get(key)
    if found is None:
        pipeline = _pipeline(*key)
        found = cache[key] = (Transformer.from_pipeline(pipeline) if pipeline else
                              Transformer.from_crs(_crs(key[0]), _crs(key[1]), always_xy=True))
    return found


def transform_xy(x, y, src, dst):
    """Transform coordinate arrays ``x, y`` from ``src`` to ``dst``; returns two numpy arrays."""
    tx, ty = transformer(src, dst).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(tx), np.asarray(ty)


def local_metric_crs(lon: float, lat: float) -> CRS:
    """A transverse Mercator CRS in metres centred on ``lon, lat`` (WGS 84): what deck.gl's
    ``meter-offsets`` coordinates around that origin mean, so offsets are computed by PROJ
    whatever the working CRS is."""
    return CRS.from_proj4(f"+proj=tmerc +lat_0={lat:.9f} +lon_0={lon:.9f} +k=1 +x_0=0 "
                          "+y_0=0 +ellps=WGS84 +units=m +no_defs")


def transform_geometries(geoms, src, dst, *, in_place: bool = False):
    """Transform an array of shapely geometries from ``src`` to ``dst`` with one pyproj call.

    All x/y coordinates are gathered at once (``shapely.get_coordinates``), transformed and
    written back; z values are kept. With ``in_place`` the geometry objects themselves are
    changed (faster; for arrays the caller owns), otherwise copies are returned.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms) or parse_crs(src) == parse_crs(dst):
        return geoms
    has_z = shapely.has_z(geoms)
    if in_place and not has_z.any():  # the common case: one pass, no masks
        coords = shapely.get_coordinates(geoms)
        x, y = transform_xy(coords[:, 0].copy(), coords[:, 1].copy(), src, dst)
        coords[:, 0] = x
        coords[:, 1] = y
        return shapely.set_coordinates(geoms, coords)
    out = geoms if in_place else geoms.copy()
    flat = ~has_z
    if flat.any():
        part = geoms[flat] if in_place else shapely.transform(geoms[flat], lambda xy: xy)
        coords = shapely.get_coordinates(part)
        x, y = transform_xy(np.ascontiguousarray(coords[:, 0]),
                            np.ascontiguousarray(coords[:, 1]), src, dst)
        out[flat] = shapely.set_coordinates(part, np.column_stack([x, y]))
    if has_z.any():
        tr = transformer(src, dst)

        def xyz(c):
            tx, ty = tr.transform(c[:, 0], c[:, 1])
            return np.column_stack([tx, ty, c[:, 2]])

        out[has_z] = shapely.transform(geoms[has_z], xyz, include_z=True)
    return out


def to_wgs84(frame):
    """Reproject a GeoDataFrame from its CRS to WGS84 lon/lat, through this module's
    transformers (one pyproj call; see :func:`transformer`)."""
    if frame.crs is None:
        raise GeoreferenceError("the data has no coordinate reference system")
    geoms = transform_geometries(frame.geometry.to_numpy(), frame.crs, WGS84)
    return frame.set_geometry(geoms, crs=WGS84)


def lonlat_in_range(bounds) -> bool:
    """True when ``(minx, miny, maxx, maxy)`` fits in longitude/latitude range."""
    minx, miny, maxx, maxy = bounds
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0


def working_area_lonlat(*, margin_deg: float = 2.0) -> tuple[float, float, float, float] | None:
    """The working CRS's area of use as (west, south, east, north) in degrees, widened by
    ``margin_deg``; ``None`` when the CRS has none or it crosses the antimeridian."""
    aou = working_crs().area_of_use
    if aou is None or aou.west > aou.east:
        return None
    return (aou.west - margin_deg, aou.south - margin_deg, aou.east + margin_deg,
            aou.north + margin_deg)


def bounds_in_area_of_use(crs, bounds, *, margin_deg: float = 2.0) -> bool:
    """True when ``bounds`` (in ``crs``) fall inside the CRS's area of use, widened by a margin.

    A CRS without an area of use accepts everything.
    """
    crs = parse_crs(crs)
    aou = crs.area_of_use
    if aou is None:
        return True
    minx, miny, maxx, maxy = bounds
    if not all(np.isfinite([minx, miny, maxx, maxy])):
        return False
    if crs.is_geographic:
        lon = np.array([minx, maxx])
        lat = np.array([miny, maxy])
    else:
        try:
            lon, lat = transform_xy([minx, maxx, minx, maxx], [miny, miny, maxy, maxy], crs, WGS84)
        except Exception:  # noqa: BLE001 - pyproj raises several kinds for impossible input
            return False
        if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            return False
    # Round-trip check: a projected CRS accepts absurd numbers and returns garbage lon/lat.
    west, south, east, north = aou.bounds
    if west > east:  # crosses the antimeridian
        east += 360.0
        lon = np.where(lon < west - margin_deg, lon + 360.0, lon)
    return bool(
        np.all(lon >= west - margin_deg) and np.all(lon <= east + margin_deg)
        and np.all(lat >= south - margin_deg) and np.all(lat <= north + margin_deg)
    )


_CANDIDATES = (
    "EPSG:3857",  # web mercator, the commonest mislabel
    "EPSG:4549", "EPSG:4548", "EPSG:4547", "EPSG:4550",  # CGCS2000 3-degree GK, eastern China
    "EPSG:4527", "EPSG:4528", "EPSG:4529", "EPSG:4530",  # CGCS2000 3-degree GK with zone prefix
    "EPSG:32649", "EPSG:32650", "EPSG:32651",  # UTM zones over China
    "EPSG:4326",
)


def suggest_crs(bounds, *, exclude=None) -> list[str]:
    """Likely CRSs for coordinates ``bounds`` of unknown or mislabelled origin.

    A candidate is kept when the bounds fall inside its area of use. Candidates are ranked
    by how close they put the data to the working CRS's own area (a town's files are
    about that town): the same numbers read as web mercator land near Boli, read as
    Gauss-Kruger they land in Africa, and the other way round. The result is a short
    list, best guess first, for an error message.
    """
    exclude_crs = parse_crs(exclude) if exclude is not None else None
    found = []
    for order, code in enumerate(_CANDIDATES):
        crs = parse_crs(code)
        if exclude_crs is not None and crs == exclude_crs:
            continue
        if code == "EPSG:3857":
            minx, miny, maxx, maxy = bounds
            limit = 20037508.35
            if lonlat_in_range(bounds) or not (
                -limit <= minx <= maxx <= limit and -limit <= miny <= maxy <= limit
            ):
                continue
        elif not bounds_in_area_of_use(crs, bounds, margin_deg=0.0):
            continue
        found.append((_distance_to_home(crs, bounds), order, code))
    return [code for _, _, code in sorted(found)]


def _distance_to_home(crs, bounds) -> float:
    """Degrees between the centre of ``bounds`` read in ``crs`` and the centre of the
    working CRS's area of use (infinity when either is unknown)."""
    try:
        home = working_crs().area_of_use
        cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
        lon, lat = transform_xy([cx], [cy], crs, WGS84)
    except Exception:  # noqa: BLE001 - pyproj raises several kinds for impossible input
        return float("inf")
    if home is None or not (np.isfinite(lon[0]) and np.isfinite(lat[0])):
        return float("inf")
    w, south, e, north = home.bounds
    return float(np.hypot(lon[0] - (w + e) / 2, lat[0] - (south + north) / 2))
