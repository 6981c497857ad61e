"""The terrain under the one map: a store's DEM drawn as a lit 3D surface around the town.

Streamlit's deck.gl bundle registers ``TerrainLayer`` but not the loader that parses its
elevation image (that one runs in a web worker fetched from a CDN, which the offline app
cannot load), so the surface is a mesh made here: the DEM averaged to ``cell_m`` cells, one
quad per cell in ``meter-offsets`` around the DEM's centre (like the BIM detail), coloured
by its true elevation (sea, plain, hills) and shaded by the sun on its slope (Lambert, sun
from the north-west), drawn by one unpickable ``SolidPolygonLayer``.

Heights are drawn *relative to the town's site*: the town's layers (parcels, roads, rivers,
block buildings) are drawn at height 0, so the terrain under the town (the convex hull of
the town's features) is a flat plate just below 0, and outside it the surface blends over
``blend_m`` into the DEM's elevations less the site's reference height (the median DEM
height along the site's edge): the hills rise around the town, the sea lies below it, and no
building is buried. DESIGN.md ("Terrain on the one map") says why the town is not draped.

Example
-------
>>> mesh = prepare_terrain(geotiff_bytes, site=parcels)  # doctest: +SKIP
>>> layers, data = terrain_layer(mesh, name="terrain")  # doctest: +SKIP
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from .prepare import compact_json

__all__ = ["TerrainMesh", "prepare_terrain", "terrain_layer", "ELEVATION_STOPS",
           "terrain_legend"]

# Hypsometric tint by true elevation (m): sea, beach, plain, low hills, hills, ridges.
ELEVATION_STOPS = ((-20.0, (120, 165, 200)), (-0.01, (165, 200, 220)), (0.0, (214, 222, 188)),
                   (20.0, (196, 214, 168)), (60.0, (160, 190, 135)), (110.0, (150, 160, 115)),
                   (170.0, (175, 160, 135)))
SUN = np.array([-0.5, 0.5, 0.7071])  # from the north-west, 45° high (unit vector)
AMBIENT = 0.55
SITE_DEPTH_M = -0.6  # the plate under the town, just below its flat layers


@dataclass
class TerrainMesh:
    """A drawable terrain: ``data`` the quads' compact JSON (``p`` four ``[x, y, z]`` metre
    offsets from ``origin`` ``(lon, lat)``, ``c`` the colour), the DEM's WGS84 ``bounds``,
    the quads drawn, the cell size, the site's reference height and the DEM's true range."""

    origin: tuple[float, float]
    data: str
    bounds: tuple[float, float, float, float]
    quads: int
    cell_m: float
    reference_m: float
    elevation_range: tuple[float, float]

    @property
    def payload_bytes(self) -> int:
        """Bytes of the layer data the browser loads."""
        return len(self.data.encode("utf-8"))


def _tint(z: np.ndarray) -> np.ndarray:
    stops = np.array([s for s, _ in ELEVATION_STOPS])
    cols = np.array([c for _, c in ELEVATION_STOPS], dtype=float)
    return np.stack([np.interp(z, stops, cols[:, i]) for i in range(3)], axis=-1)


def _read_dem(dem, cell_m: float):
    """``(z (rows, cols) at cell centres, x centres, y centres, crs)`` of a GeoTIFF given as
    bytes or a path, averaged to about ``cell_m`` cells; nodata is NaN."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.io import MemoryFile

    def read(src):
        width = max(2, int(round(src.width * abs(src.transform.a) / cell_m)))
        height = max(2, int(round(src.height * abs(src.transform.e) / cell_m)))
        band = src.read(1, out_shape=(height, width), masked=True,
                        resampling=Resampling.average).astype("float64")
        west, south, east, north = src.bounds
        xs = west + (np.arange(width) + 0.5) * (east - west) / width
        ys = north - (np.arange(height) + 0.5) * (north - south) / height
        return band.filled(np.nan), xs, ys, src.crs

    if isinstance(dem, (bytes, bytearray, memoryview)):
        with MemoryFile(io.BytesIO(bytes(dem))) as mem, mem.open() as src:
            return read(src)
    with rasterio.open(dem) as src:
        return read(src)


def prepare_terrain(dem, *, site=None, cell_m: float = 100.0,
                    blend_m: float = 250.0) -> TerrainMesh | None:
    """The terrain mesh of a DEM (GeoTIFF bytes or path, in the working CRS) around
    ``site`` (a GeoDataFrame of the town's features, or None: then heights are relative to
    the DEM's median); None when the DEM has no valid cell."""
    import shapely

    from ..crs import WGS84, local_metric_crs, transform_xy, working_crs

    z, xs, ys, crs = _read_dem(dem, cell_m)
    if not np.isfinite(z).any():
        return None
    crs = crs or working_crs()
    gx, gy = np.meshgrid(xs, ys)
    points = shapely.points(gx.ravel(), gy.ravel())
    hull = None
    if site is not None and len(site):
        geoms = site.geometry if site.crs is None else site.to_crs(crs).geometry
        # the hull of every vertex: the same hull as of the union, without the union
        hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(
            np.asarray(geoms.values, dtype=object))))
    if hull is not None and not hull.is_empty:
        inside = shapely.contains(hull, points).reshape(z.shape)
        distance = shapely.distance(points, hull.exterior).reshape(z.shape)
        edge = np.abs(distance) <= cell_m * 1.5
        ring = z[edge & np.isfinite(z)]
        reference = float(np.median(ring)) if ring.size else float(np.nanmedian(z))
        t = np.clip(distance / blend_m, 0.0, 1.0)
        weight = np.where(inside, 0.0, t * t * (3 - 2 * t))  # smoothstep out of the site
    else:
        inside = np.zeros(z.shape, dtype=bool)
        reference = float(np.nanmedian(z))
        weight = np.ones(z.shape)
    drawn = weight * (z - reference) + (1.0 - weight) * SITE_DEPTH_M
    cx, cy = float(xs.mean()), float(ys.mean())
    lon, lat = transform_xy([cx], [cy], crs, WGS84)
    # quads between four neighbouring cell centres; all four valid, not all in the site
    valid = np.isfinite(drawn)
    corners = [(slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None)),
               (slice(1, None), slice(1, None)), (slice(1, None), slice(None, -1))]
    ok = np.logical_and.reduce([valid[r, c] for r, c in corners])
    ok &= ~np.logical_and.reduce([inside[r, c] for r, c in corners])
    local = local_metric_crs(float(lon[0]), float(lat[0]))  # deck's meter-offsets, by PROJ
    ex, ey = (a.reshape(gx.shape) for a in transform_xy(gx.ravel(), gy.ravel(), crs, local))
    quad = np.stack([np.stack([ex[r, c], ey[r, c], drawn[r, c]], axis=-1) for r, c in corners],
                    axis=-2)[ok]  # (n, 4, 3)
    true_z = np.mean([z[r, c] for r, c in corners], axis=0)[ok]
    normal = np.cross(quad[:, 2] - quad[:, 0], quad[:, 3] - quad[:, 1])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    normal *= np.sign(normal[:, 2:3] + 1e-12)  # facing up
    light = AMBIENT + (1 - AMBIENT) * np.clip(normal @ SUN / 0.7071, 0.0, 1.0)
    colors = np.clip(np.rint(_tint(true_z) * light[:, None]), 0, 255).astype(int)
    coords = np.round(quad, 1)
    coords[:, :, :2] = np.round(coords[:, :, :2])
    records = [{"p": p, "c": c} for p, c in zip(_plain(coords), colors.tolist())]
    if hull is not None and not hull.is_empty:  # the flat plate under the town
        ring = np.column_stack(transform_xy(*np.asarray(hull.exterior.coords)[:, :2].T, crs,
                                            local))
        plate = np.column_stack([np.round(ring), np.full(len(ring), SITE_DEPTH_M)])
        plate_color = _tint(np.array([max(reference, 0.5)]))[0]
        records.insert(0, {"p": _plain(plate[None])[0], "c": np.rint(plate_color).astype(int)
                           .tolist()})
    west, south, east, north = (xs.min(), ys.min(), xs.max(), ys.max())
    blon, blat = transform_xy([west, east], [south, north], crs, WGS84)
    return TerrainMesh(origin=(float(lon[0]), float(lat[0])), data=compact_json(records),
                       bounds=(float(blon[0]), float(blat[0]), float(blon[1]), float(blat[1])),
                       quads=int(ok.sum()), cell_m=float(cell_m), reference_m=reference,
                       elevation_range=(float(np.nanmin(z)), float(np.nanmax(z))))


def _plain(coords: np.ndarray) -> list:
    """Nested lists with whole numbers written without a decimal point (smaller JSON)."""
    out = coords.tolist()
    for poly in out:
        for v in poly:
            for i, value in enumerate(v):
                if value == int(value):
                    v[i] = int(value)
    return out


def terrain_legend(mesh: TerrainMesh) -> list[tuple[float, tuple[int, int, int]]]:
    """``(elevation m, colour)`` of the tint's stops inside the DEM's range, for a legend."""
    low, high = mesh.elevation_range
    keep = [(s, c) for s, c in ELEVATION_STOPS if low - 10 <= s <= high + 10 and s != -0.01]
    return keep or [ELEVATION_STOPS[2]]


def terrain_layer(mesh: TerrainMesh, *, name: str, opacity: float = 1.0) -> tuple[list, dict]:
    """The unpickable ``SolidPolygonLayer`` of a terrain mesh and its data text."""
    import pydeck as pdk

    from .layers import layer_id, placeholder

    deck_id = layer_id(name, "terrain")
    layer = pdk.Layer(
        "SolidPolygonLayer", id=deck_id, data=placeholder(deck_id), _full3d=True,
        extruded=False, filled=True, get_polygon="p", get_fill_color="c", material=False,
        coordinate_system=pdk.types.String("meter-offsets"),
        coordinate_origin=list(mesh.origin), pickable=False, opacity=float(opacity))
    return [layer], {deck_id: mesh.data}
