"""BIM detail for the tile pyramid: a ``bim_element`` layer's element meshes as GeoJSON
features that deck.gl's ``TileLayer`` fetches only when the camera is close.

One feature per IFC element: a ``MultiPolygon`` of its triangles in lon/lat (1e-7°, about
1 cm) and metres above the lowest vertex of its building, drawn by the ``GeoJsonLayer``
that ``TileLayer`` renders with ``_full3d`` (every triangle at its own height). One feature
per element means a pick returns the element (``k`` is its row in the layer, so the page
shows its IFC class, GlobalId and property sets) and hovering highlights the whole element.
That layer draws triangles unlit, so each element gets its IFC class colour shaded once by
the area-weighted angle between its faces and the sun of :mod:`twin.render.bim`.

Every element of a building is anchored at the building's centre, so a building lives in
one tile per level. Below the detail zoom a tile carries, per building, a block: the prism
over the convex hull of its vertices, as high as the model, with shaded faces; it picks
nothing (``k`` -1).

Example
-------
>>> from twin.tiles.bim import element_features
>>> table = element_features(frame)  # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import orjson
import pandas as pd
import shapely

from ..crs import WGS84, parse_crs, transform_xy, working_crs
from ..render import palette
from ..render.bim import AMBIENT, SUN, has_meshes
from ..render.prepare import Group
from .features import FeatureTable

__all__ = ["BIM_KIND", "BIM_DECIMALS", "BLOCK_COLOR", "element_features", "bim_blocks"]

BIM_KIND = "bim_element"
BIM_DECIMALS = 7  # lon/lat decimals of element vertices (about 1 cm)
BLOCK_COLOR = (176, 176, 188)


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _shaded(color, factor: float) -> list[int]:
    return [int(np.clip(round(c * factor), 0, 255)) for c in color]


def _meshes(frame):
    """``(row, world vertices (n, 3), faces (m, 3))`` of every element with a usable mesh."""
    cols = zip(frame["origin_x"], frame["origin_y"], frame["origin_z"],
               frame["mesh_vertices"], frame["mesh_faces"])
    for pos, (ox, oy, oz, vbytes, fbytes) in enumerate(cols):
        if vbytes is None or fbytes is None or len(vbytes) == 0 or len(fbytes) == 0:
            continue
        verts = np.frombuffer(bytes(vbytes), dtype="<f4").reshape(-1, 3).astype(float)
        faces = np.frombuffer(bytes(fbytes), dtype="<u4").reshape(-1, 3).astype(np.int64)
        if len(faces) == 0 or faces.max() >= len(verts):
            continue
        origin = np.array([ox, oy, oz], dtype=float)
        if not np.all(np.isfinite(origin)):
            continue
        yield pos, verts + origin, faces


def _block(building: str, count: int, lon, lat, height: float) -> list[dict]:
    """The shaded faces (roof and walls) of the prism over the hull of a building's
    vertices, as features that pick nothing."""
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
    if shapely.get_type_id(hull) != 3:  # a point or line: nothing to stand on
        return []
    hull = shapely.simplify(hull, 10 ** -BIM_DECIMALS * 3)  # drop near-collinear points
    ring = np.round(shapely.get_coordinates(hull.exterior)[:-1], BIM_DECIMALS)
    props = {"k": -1, "t": f"{building} · {count} IFC", "b": building}
    h = round(float(height), 2)
    roof = [[float(x), float(y), h] for x, y in ring.tolist()]
    out = [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [roof]},
            "properties": {**props, "c": _shaded(BLOCK_COLOR, AMBIENT + (1 - AMBIENT) * SUN[2])}}]
    lat0 = math.radians(float(np.mean(lat)))
    for a, b in zip(ring.tolist(), np.roll(ring, -1, axis=0).tolist()):
        # wall normal in metres east/north, for its shade
        dx, dy = (b[0] - a[0]) * math.cos(lat0), b[1] - a[1]
        length = math.hypot(dx, dy) or 1.0
        lambert = abs(dy / length * SUN[0] - dx / length * SUN[1])
        wall = [[a[0], a[1], 0.0], [b[0], b[1], 0.0], [b[0], b[1], h], [a[0], a[1], h]]
        out.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [wall]},
                    "properties": {**props, "c": _shaded(BLOCK_COLOR,
                                                          AMBIENT + (1 - AMBIENT) * lambert)}})
    return out


def element_features(frame) -> FeatureTable:
    """The :class:`~twin.tiles.features.FeatureTable` of a ``bim_element`` layer: one
    feature text per element with a mesh (rows without one are not drawn), anchored at its
    building's centre; ``parent`` holds each row's building index and ``parent_features``
    the block faces of each building."""
    n = len(frame)
    table = FeatureTable(kind=BIM_KIND, texts=[None] * n, lon=np.full(n, np.nan),
                         lat=np.full(n, np.nan), box=np.full((n, 4), np.nan),
                         weight=np.zeros(n), palettes={"": []}, groups={"": []},
                         parent=np.full(n, -1, dtype=np.int64), parent_features=[])
    if not has_meshes(frame) or n == 0:
        return table
    meshes = list(_meshes(frame))
    if not meshes:
        return table
    crs = parse_crs(frame.crs) if frame.crs is not None else working_crs()
    allv = np.concatenate([v for _, v, _ in meshes])
    lon, lat = transform_xy(allv[:, 0], allv[:, 1], crs, WGS84)
    lonlat = np.column_stack([lon, lat])
    starts = np.cumsum([0] + [len(v) for _, v, _ in meshes])
    buildings = [_text(v) for v in frame["building_id"]] if "building_id" in frame.columns \
        else [""] * n
    classes = [_text(v) for v in frame["ifc_class"]] if "ifc_class" in frame.columns \
        else [""] * n
    names = [_text(v) for v in frame["name"]] if "name" in frame.columns else [""] * n
    storeys = [_text(v) for v in frame["storey"]] if "storey" in frame.columns else [""] * n
    # per building: its vertices' lowest z, centre and block
    owner = np.array([buildings[pos] for pos, _, _ in meshes], dtype=object)
    order = sorted(set(owner.tolist()))
    index = {b: i for i, b in enumerate(order)}
    base, centre = {}, {}
    for b in order:
        sel = np.flatnonzero(owner == b)
        vsel = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in sel])
        base[b] = float(allv[vsel, 2].min())
        centre[b] = (float(lon[vsel].mean()), float(lat[vsel].mean()))
        table.parent_features.append(_block(b or "?", len(sel), lon[vsel], lat[vsel],
                                            float(allv[vsel, 2].max()) - base[b]))
    counts: dict[str, int] = {}
    for i, (pos, verts, faces) in enumerate(meshes):
        b = buildings[pos]
        tri = verts[faces]
        normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        area = np.linalg.norm(normal, axis=1)
        good = area > 1e-12
        if not good.any():
            continue
        lambert = float((np.abs(normal[good] @ SUN)).sum() / area[good].sum())
        color = _shaded(palette.ifc_class_color(classes[pos]),
                        AMBIENT + (1 - AMBIENT) * lambert)
        pts = np.column_stack([np.round(lonlat[starts[i]:starts[i + 1]], BIM_DECIMALS),
                               np.round(verts[:, 2] - base[b], 2)])
        rings = pts[faces[good]][:, None, :, :]  # (m, 1 ring, 3 points, lon/lat/z)
        text = " · ".join(t for t in (classes[pos], names[pos], storeys[pos]) if t)
        feature = {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": rings},
                   "properties": {"k": pos, "t": text, "c": color, "b": b}}
        table.texts[pos] = orjson.dumps(feature, option=orjson.OPT_SERIALIZE_NUMPY) \
            .decode("utf-8")
        table.lon[pos], table.lat[pos] = centre[b]
        own = lonlat[starts[i]:starts[i + 1]]
        table.box[pos] = [own[:, 0].min(), own[:, 1].min(), own[:, 0].max(), own[:, 1].max()]
        table.weight[pos] = float(area[good].sum() / 2)
        table.parent[pos] = index[b]
        counts[classes[pos]] = counts.get(classes[pos], 0) + 1
    keys = sorted(counts)
    table.palettes = {"": [list(palette.ifc_class_color(k)) for k in keys]}
    table.groups = {"": [Group(key=k, color=tuple(palette.ifc_class_color(k)), count=counts[k],
                               geometry="polygon") for k in keys]}
    return table


def bim_blocks(table: FeatureTable, rows: np.ndarray) -> list[dict]:
    """The block faces of the buildings whose elements are ``rows`` (below the detail
    zoom a tile shows these instead of the elements)."""
    parents = sorted({int(p) for p in table.parent[rows].tolist() if p >= 0})
    return [face for p in parents for face in table.parent_features[p]]
