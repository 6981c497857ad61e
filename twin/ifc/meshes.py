"""Put meshes on the map: georeference the vertices, pick an origin, cut per-element
buffers and ground footprints.

Vertices go from local metres to the working CRS with a :class:`~twin.ifc.georef.Placement`.
Over the few hundred metres of a building the map projection is affine to well below a
millimetre, so an affine transform is fitted to exact pyproj control points and applied
to all vertices at once; when its residual exceeds 1 mm (a very large model) every vertex
goes through pyproj instead. Meshes are stored as float32 offsets in metres from one
origin per model (``origin_x/y/z`` in the working CRS), which keeps sub-millimetre
precision for models a few kilometres wide.

Coordinates that are NaN or beyond 1e7 m (more for a CRS whose valid extent is larger,
such as web mercator) after the transform make their element skipped.

Footprints: the convex hull of an element's vertices projected on the ground, except for
area-like elements (slabs, roofs, coverings, plates, spaces, terrain) whose footprint is
the exact union of their upward-facing triangles (holes kept). ``footprint_method`` says
which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ..errors import GeoreferenceError
from .geometry import MeshSet
from .georef import Placement

__all__ = ["PlacedMeshes", "place_meshes", "absurd_limit_m", "ABSURD_M", "AREA_CLASSES"]

ABSURD_M = 1e7
AREA_CLASSES = ("IfcSlab", "IfcRoof", "IfcCovering", "IfcPlate", "IfcSpace",
                "IfcGeographicElement", "IfcFooting", "IfcSite")


@dataclass
class PlacedMeshes:
    """Meshes in the working CRS: per element validity, z range, buffers and footprints."""

    meshes: MeshSet
    origin: tuple[float, float, float]
    ok: np.ndarray
    z_min: np.ndarray
    z_max: np.ndarray
    vertex_bytes: list
    face_bytes: list
    footprints: np.ndarray
    footprint_method: list
    method: str
    residual_m: float


def absurd_limit_m(dst) -> float:
    """Coordinates beyond this many metres are absurd in ``dst``: 1e7 m, or more for a CRS
    whose valid extent is larger (web mercator reaches 2e7 m)."""
    from ..crs import parse_crs, transformer

    crs = parse_crs(dst)
    aou = crs.area_of_use
    if aou is None or crs.is_geographic:
        return ABSURD_M
    west, south, east, north = aou.bounds
    if west > east:  # crosses the antimeridian
        east += 360.0
    # a grid of points inside the area (transform_bounds gives inf for web mercator)
    lon, lat = np.meshgrid(np.linspace(west, east, 7), np.linspace(south, north, 7))
    lon = np.where(lon > 180.0, lon - 360.0, lon)
    try:
        x, y = transformer("EPSG:4326", crs).transform(lon.ravel(), lat.ravel())
    except Exception:  # noqa: BLE001 - pyproj cannot project every area of use
        return ABSURD_M
    values = np.abs(np.concatenate([np.asarray(x, float), np.asarray(y, float)]))
    values = values[np.isfinite(values)]
    extent = float(values.max()) if len(values) else 0.0
    return max(ABSURD_M, 1.1 * extent)


def _column_bounds(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of each column of an N×3 array (column by column: numpy's ``axis=0``
    reduction over three-wide rows is 20× slower)."""
    cols = range(xyz.shape[1])
    return (np.array([xyz[:, c].min() for c in cols]),
            np.array([xyz[:, c].max() for c in cols]))


def _finite_bounds(xyz: np.ndarray):
    """(min, max) per column over the finite rows, or None when there are none. Two passes
    when every value is finite (min and max propagate NaN and infinity)."""
    lo, hi = _column_bounds(xyz)
    if np.isfinite(lo).all() and np.isfinite(hi).all():
        return lo, hi
    finite = np.isfinite(xyz).all(axis=1)
    if not finite.any():
        return None
    return _column_bounds(xyz[finite])


def _fit(placement: Placement, dst, xyz: np.ndarray):
    bounds = _finite_bounds(xyz)
    if bounds is None:
        return None
    lo, hi = bounds
    return placement.affine_to(dst, (lo[0], lo[1], hi[0], hi[1]))


def place_meshes(meshes: MeshSet, placement: Placement, dst, *, path=None,
                 tolerance_m: float = 0.001, limit_m: float | None = None) -> PlacedMeshes:
    """Transform ``meshes`` into ``dst`` (the working CRS) and cut per-element columns.

    Elements with NaN or absurd coordinates (beyond 1e7 m after the transform, or
    ``limit_m`` when the caller has computed :func:`absurd_limit_m` already) are marked
    not ``ok``. Raises :class:`GeoreferenceError` when the whole model is absurd.
    """
    xyz = meshes.verts
    n = len(meshes)
    method, resid = "none", 0.0
    if len(xyz):
        fit = _fit(placement, dst, xyz)
        if fit is None:
            world = np.full_like(xyz, np.nan)
        else:
            matrix, z_scale, z_off, resid = fit
            if np.isfinite(resid) and resid <= tolerance_m:
                method = "affine"
                affine = np.zeros((3, 3))
                affine[:2, :2] = matrix[:, :2].T
                affine[2, 2] = z_scale
                world = xyz @ affine  # one pass over the vertices
                world += (matrix[0, 2], matrix[1, 2], z_off)
            else:
                method = "pyproj"
                tx, ty, tz = placement.local_to(xyz[:, 0], xyz[:, 1], xyz[:, 2], dst)
                world = np.column_stack([tx, ty, tz])
    else:
        world = np.zeros((0, 3))
    limit = absurd_limit_m(dst) if limit_m is None else float(limit_m)
    bad = np.zeros(n, dtype=bool)
    w_lo, w_hi = _column_bounds(world) if len(world) else (None, None)
    clean = w_lo is None or (np.isfinite(w_lo).all() and np.isfinite(w_hi).all()
                             and max(np.abs(w_lo).max(), np.abs(w_hi).max()) <= limit)
    if not clean:  # find the elements with a NaN or absurd vertex
        bad_vertex = ~np.isfinite(world).all(axis=1) | (np.abs(world) > limit).any(axis=1)
        owner = np.repeat(np.arange(n), meshes.counts[:, 0])
        bad[np.unique(owner[bad_vertex])] = True
    ok = ~bad & (meshes.counts[:, 0] > 0) if n else np.zeros(0, bool)
    if n and not ok.any() and meshes.counts[:, 0].sum():
        sample = world[0] if len(world) else None
        raise GeoreferenceError(
            f"every element lands at NaN or absurd coordinates (beyond {limit:g} m) in "
            f"{dst}: e.g. {None if sample is None else [float(v) for v in sample]}",
            path=path, hint="check the georeferencing with `twin ifc doctor FILE`; pass "
                            "--anchor or --anchor-point to place the model (either "
                            "overrides the file), or use a store whose $TWIN_CRS covers it")
    if clean and w_lo is not None:
        lo, hi = w_lo, w_hi  # every vertex is good
    else:
        good = world[np.repeat(ok, meshes.counts[:, 0])] if n else world
        lo, hi = _column_bounds(good) if len(good) else (None, None)
    if lo is not None:
        origin = (float(np.round((lo[0] + hi[0]) / 2)), float(np.round((lo[1] + hi[1]) / 2)),
                  float(np.round(lo[2], 1)))
    else:
        origin = (0.0, 0.0, 0.0)
    rel = (world - np.array(origin)).astype(np.float32)
    z_min = np.full(n, np.nan)
    z_max = np.full(n, np.nan)
    vertex_bytes: list = [None] * n
    face_bytes: list = [None] * n
    footprints = np.empty(n, dtype=object)
    methods: list = [None] * n
    vs, fs = meshes.vert_start, meshes.face_start
    faces_all = meshes.faces
    idx = np.flatnonzero(ok)
    if len(idx):
        # per-element z range in one pass: reduceat over the starts of the elements that
        # have vertices (those without add none in between), then keep the ok ones
        has = np.flatnonzero(meshes.counts[:, 0] > 0)
        lo_z = np.full(n, np.nan)
        hi_z = np.full(n, np.nan)
        lo_z[has] = np.minimum.reduceat(world[:, 2], vs[has])
        hi_z[has] = np.maximum.reduceat(world[:, 2], vs[has])
        z_min[idx] = lo_z[idx]
        z_max[idx] = hi_z[idx]
    for i in idx:
        a, b = vs[i], vs[i + 1]
        vertex_bytes[i] = rel[a:b].tobytes()
        face_bytes[i] = faces_all[3 * fs[i]:3 * fs[i + 1]].tobytes()
    # footprints: hulls for everything (vectorised), exact unions for area-like classes
    if len(idx):
        footprints[idx] = _hulls(world[:, :2], vs, idx, meshes.counts[:, 0])
        classes = meshes.classes
        area_like = {c for c in set(classes) if c.startswith(AREA_CLASSES)}
        for i in idx:
            methods[i] = "hull"
            if classes[i] in area_like:
                exact = _top_union(world[vs[i]:vs[i + 1]], meshes.element_faces(i))
                if exact is not None and not exact.is_empty:
                    footprints[i] = exact
                    methods[i] = "union"
        # a flat or linear element: give it a thin polygon so the kind holds
        kinds = shapely.get_type_id(footprints[idx])
        thin = idx[(kinds != 3) & (kinds != 6) & (kinds >= 0)]  # Polygon, MultiPolygon
        if len(thin):
            footprints[thin] = shapely.buffer(footprints[thin], 0.005)
    return PlacedMeshes(meshes=meshes, origin=origin, ok=ok, z_min=z_min, z_max=z_max,
                        vertex_bytes=vertex_bytes, face_bytes=face_bytes,
                        footprints=footprints, footprint_method=methods, method=method,
                        residual_m=float(resid))


def _hulls(xy: np.ndarray, starts: np.ndarray, idx: np.ndarray, counts: np.ndarray):
    """Ground convex hulls of the elements ``idx``, all at once.

    An element's vertices become one line string (built straight from the coordinate
    array, much cheaper than one point geometry per vertex); its convex hull is the hull of
    those points. Single-vertex elements become points.
    """
    cnt = counts[idx]
    out = np.empty(len(idx), dtype=object)
    many = cnt >= 2
    if many.any():
        sel = idx[many]
        take = np.repeat(starts[sel], cnt[many]) + (
            np.arange(int(cnt[many].sum())) - np.repeat(np.cumsum(cnt[many]) - cnt[many],
                                                        cnt[many]))
        owners = np.repeat(np.arange(len(sel)), cnt[many])
        out[many] = shapely.convex_hull(shapely.linestrings(xy[take], indices=owners))
    if (~many).any():
        out[~many] = shapely.points(xy[starts[idx[~many]]])
    return out


def _top_union(verts: np.ndarray, faces: np.ndarray):
    """Union of the ground projections of the upward-facing triangles (holes kept)."""
    if not len(faces):
        return None
    tri = verts[faces.astype(np.int64)]
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    nz = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    up = nz > 1e-8
    if not up.any():
        up = np.abs(nz) > 1e-8
    if not up.any():
        return None
    xy = tri[up][:, :, :2]
    ring = np.concatenate([xy, xy[:, :1]], axis=1)
    polys = shapely.polygons(ring)
    merged = shapely.union_all(polys)
    if not merged.is_valid:
        merged = shapely.make_valid(merged)
    return merged
