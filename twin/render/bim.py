"""BIM detail: the element meshes of one IFC building as shaded triangles in metre offsets.

deck.gl draws them with a ``SolidPolygonLayer`` (``_full3d``), one polygon per triangle, in
the ``meter-offsets`` coordinate system around the building's origin, so positions keep
centimetre precision. That layer has no lighting, so each face gets its IFC class colour
shaded by the angle between its normal and a fixed sun direction.

Mesh columns of a ``bim_element`` layer (written by :mod:`twin.io.ifc`): the element origin
in the working CRS (``origin_x``, ``origin_y``, ``origin_z``), ``mesh_vertices`` (float32
x, y, z bytes, metres relative to the origin) and ``mesh_faces`` (uint32 triangle indices).

Example
-------
>>> from twin.render.bim import prepare_bim
>>> detail = prepare_bim(elements, building_id="B1")  # doctest: +SKIP
>>> detail.triangles  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..crs import WGS84, transform_xy, working_crs
from . import palette
from .prepare import compact_json

__all__ = ["BimDetail", "MESH_COLUMNS", "has_meshes", "bim_buildings", "prepare_bim",
           "shade", "SUN", "psets_of"]

MESH_COLUMNS = ("origin_x", "origin_y", "origin_z", "mesh_vertices", "mesh_faces")
SUN = np.array([0.35, 0.45, 0.82]) / np.linalg.norm([0.35, 0.45, 0.82])
AMBIENT = 0.5


@dataclass
class BimDetail:
    """The drawable detail of one building: ``origin`` ``[lon, lat]`` for ``meter-offsets``,
    ``data`` the compact JSON triangles, ``classes`` the IFC class counts for the legend."""

    building_id: str
    origin: tuple[float, float]
    base_z: float
    triangles: int
    elements: int
    data: str
    classes: dict[str, int]
    bounds: tuple[float, float, float, float]


def has_meshes(frame) -> bool:
    """True when a bim_element frame carries mesh columns."""
    return frame is not None and all(c in frame.columns for c in MESH_COLUMNS)


def bim_buildings(frame) -> list[str]:
    """The building ids that have elements in a bim_element frame, sorted."""
    if frame is None or "building_id" not in frame.columns or len(frame) == 0:
        return []
    return sorted(str(v) for v in frame["building_id"].dropna().unique())


def shade(normals: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Colours (n, 3) darkened by the sun angle of unit ``normals`` (n, 3); two-sided."""
    lambert = np.abs(normals @ SUN)
    factor = AMBIENT + (1.0 - AMBIENT) * lambert
    return np.clip(np.rint(colors * factor[:, None]), 0, 255).astype(int)


def _label(row, names) -> str:
    bits = [str(row.get(c)) for c in names if row.get(c) not in (None, "") and
            not (isinstance(row.get(c), float) and math.isnan(row.get(c)))]
    return " · ".join(bits)


def prepare_bim(frame, building_id: str, *, max_triangles: int = 400_000) -> BimDetail | None:
    """Shaded triangles of the elements of ``building_id`` (None when it has no meshes).

    ``z`` is measured from the lowest vertex of the building, so the model stands on the
    ground plane like the LOD1 blocks.
    """
    if not has_meshes(frame):
        return None
    sub = frame[frame["building_id"].astype("string") == str(building_id)]
    if len(sub) == 0:
        return None
    rows = []
    for pos, row in zip(np.flatnonzero(frame["building_id"].astype("string")
                                       == str(building_id)), sub.itertuples(index=False)):
        vbytes, fbytes = row.mesh_vertices, row.mesh_faces
        if vbytes is None or fbytes is None or len(vbytes) == 0 or len(fbytes) == 0:
            continue
        verts = np.frombuffer(bytes(vbytes), dtype="<f4").reshape(-1, 3).astype(float)
        faces = np.frombuffer(bytes(fbytes), dtype="<u4").reshape(-1, 3)
        if len(faces) == 0 or faces.max() >= len(verts):
            continue
        origin = np.array([row.origin_x, row.origin_y, row.origin_z], dtype=float)
        rows.append((int(pos), row, verts + origin, faces))
    if not rows:
        return None
    allv = np.concatenate([v for _, _, v, _ in rows])
    cx, cy = float(allv[:, 0].mean()), float(allv[:, 1].mean())
    base_z = float(allv[:, 2].min())
    lon, lat = transform_xy([cx], [cy], frame.crs or working_crs(), WGS84)
    records = []
    classes: dict[str, int] = {}
    total = 0
    for pos, row, verts, faces in rows:
        rowd = row._asdict()
        ifc_class = str(rowd.get("ifc_class") or "")
        classes[ifc_class] = classes.get(ifc_class, 0) + 1
        tri = verts[faces]  # (m, 3, 3)
        tri = tri - np.array([cx, cy, base_z])
        normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        length = np.linalg.norm(normal, axis=1)
        good = length > 1e-12
        tri, normal = tri[good], normal[good] / length[good, None]
        if total + len(tri) > max_triangles:
            break
        total += len(tri)
        base = np.array(palette.ifc_class_color(ifc_class), dtype=float)
        colors = shade(normal, np.broadcast_to(base, normal.shape)).tolist()
        text = _label(rowd, ("ifc_class", "name", "storey"))
        coords = np.round(tri, 2).tolist()
        for p, c in zip(coords, colors):
            records.append({"p": p, "c": c, "t": text, "k": pos})
    xs, ys = allv[:, 0], allv[:, 1]
    blon, blat = transform_xy([xs.min(), xs.max()], [ys.min(), ys.max()],
                              frame.crs or working_crs(), WGS84)
    return BimDetail(building_id=str(building_id), origin=(float(lon[0]), float(lat[0])),
                     base_z=base_z, triangles=total, elements=len(rows),
                     data=compact_json(records), classes=classes,
                     bounds=(float(blon[0]), float(blat[0]), float(blon[1]), float(blat[1])))


def psets_of(value) -> dict:
    """Property sets of an element as a dict (the column holds JSON text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return {}
    if isinstance(value, dict):
        return value
    try:
        out = json.loads(str(value))
    except json.JSONDecodeError:
        return {"psets": str(value)}
    return out if isinstance(out, dict) else {"psets": out}
