"""Dwelling windows as sunlight receivers: IfcWindow positions where the model has them, else
windows generated per floor on the facades of residential buildings.

* **From IFC** (``bim_element`` rows of class ``IfcWindow`` whose ``building_id`` is a
  receiver building's ``id``): the window's plan centre is its footprint's centroid, its
  sill the bottom of its mesh (``z_min_m``, absolute), its facade the nearest edge of the
  building's footprint, whose outward normal it faces; it is set 0.1 m in front of that
  edge.
* **Generated** for the other receivers: on every footprint edge facing within
  ``tolerance_deg`` of south (outward normal, grid azimuth) one window per
  ``spacing_m`` of edge (a bay, the sample points of
  :func:`twin.query.sunlight.facade_points`), on every floor (``floors``, else ``height_m /
  storey_m``), at ``ground + floor × storey_m + sill_m``, 0.1 m in front of the wall. The
  ground is the terrain under the window when the twin has one, else the building's
  ``base_elev_m`` (0 when missing).

Every window carries a *column* number: the windows above one another on one bay. On flat
prisms a higher window at the same spot sees every sun ray a lower one sees, which the
sunlight query uses to stop early.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .common import numeric, text
from .sunlight import facade_points
from .surface import Dem, ground_at

__all__ = ["Windows", "facade_edges", "generated_windows", "ifc_windows", "window_receivers"]

_OFFSET_M = 0.1


@dataclass
class Windows:
    """Window receivers as parallel arrays: ``x, y, z`` (sill, absolute), ``normal`` (grid
    azimuth of the facade's outward normal, degrees), ``building`` (position in the
    building frame), ``floor`` (0 = ground floor), ``column`` (bay), ``wid`` (id text) and
    ``source`` (``ifc`` or ``generated``)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    normal: np.ndarray
    building: np.ndarray
    floor: np.ndarray
    column: np.ndarray
    wid: np.ndarray
    source: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def take(self, idx) -> Windows:
        """The windows at positions ``idx``."""
        return Windows(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list[Windows]) -> Windows:
        """One set of all ``parts``."""
        parts = [p for p in parts if p is not None]
        if not parts:
            return _empty()
        return Windows(*(np.concatenate([getattr(p, f) for p in parts])
                         for f in Windows.__dataclass_fields__))


def _empty() -> Windows:
    z = np.zeros(0)
    i = np.zeros(0, dtype=int)
    o = np.zeros(0, dtype=object)
    return Windows(z, z, z, z, i, i, i, o, o)


def facade_edges(geoms):
    """Every exterior edge of ``geoms`` (counter-clockwise): start ``a`` (n, 2), vector
    ``edge``, ``length``, unit outward normal ``(nx, ny)``, its grid azimuth, the owning
    geometry's position and the edge's number within its geometry."""
    polys = shapely.orient_polygons(np.asarray(geoms, dtype=object), exterior_cw=False)
    parts, part_idx = shapely.get_parts(polys, return_index=True)
    coords, ring_idx = shapely.get_coordinates(shapely.get_exterior_ring(parts),
                                               return_index=True)
    same = ring_idx[:-1] == ring_idx[1:]
    a, b = coords[:-1][same], coords[1:][same]
    owner = part_idx[ring_idx[:-1][same]]
    edge = b - a
    length = np.hypot(edge[:, 0], edge[:, 1])
    safe = np.where(length > 0, length, 1.0)
    nx, ny = edge[:, 1] / safe, -edge[:, 0] / safe
    az = np.degrees(np.arctan2(nx, ny)) % 360.0
    first = np.r_[0, np.flatnonzero(owner[1:] != owner[:-1]) + 1]
    number = np.arange(len(owner)) - np.repeat(first, np.diff(np.r_[first, len(owner)]))
    return a, edge, length, nx, ny, az, owner, number


def generated_windows(buildings, positions, dem: Dem | None, *, spacing_m: float = 3.6,
                      storey_m: float = 3.0, sill_m: float = 0.9,
                      tolerance_deg: float = 45.0, min_edge_m: float = 2.0) -> Windows:
    """Windows per floor and bay on the south-facing facades of ``buildings`` at
    ``positions`` (see the module docstring)."""
    positions = np.asarray(positions, dtype=int)
    if not len(positions):
        return _empty()
    geoms = buildings.geometry.to_numpy()[positions]
    bx, by, owner, az = facade_points(geoms, spacing_m=spacing_m, tolerance_deg=tolerance_deg,
                                      offset_m=_OFFSET_M, min_edge_m=min_edge_m)
    first = np.r_[0, np.flatnonzero(owner[1:] != owner[:-1]) + 1] if len(owner) else \
        np.zeros(0, dtype=int)
    bay = np.arange(len(owner)) - np.repeat(first, np.diff(np.r_[first, len(owner)]))
    bpos = positions[owner]
    floors = numeric(buildings, "floors")[bpos]
    height = numeric(buildings, "height_m")[bpos]
    est = np.where(np.isnan(height), 1.0, np.maximum(1.0, np.floor(height / storey_m)))
    floors = np.where(np.isnan(floors) | (floors < 1), est, floors).astype(int)
    base = numeric(buildings, "base_elev_m", 0.0)[bpos]
    ground = ground_at(dem, bx, by, base)
    n_col = len(bx)
    col_of = np.repeat(np.arange(n_col), floors)
    fl = np.arange(len(col_of)) - np.repeat(np.cumsum(floors) - floors, floors)
    storey_h = np.where(floors > 0, np.nan_to_num(height, nan=floors * storey_m) / floors,
                        storey_m)
    storey_h = np.where(np.isnan(numeric(buildings, "height_m")[bpos]), storey_m, storey_h)
    z = ground[col_of] + fl * storey_h[col_of] + sill_m
    bid = text(buildings, "id").to_numpy(dtype=object)[bpos]
    wid = np.array([f"{bid[c]}/W{bay[c] + 1:03d}/F{f + 1:02d}"
                    for c, f in zip(col_of.tolist(), fl.tolist())], dtype=object)
    return Windows(bx[col_of], by[col_of], z, az[col_of], bpos[col_of], fl, col_of, wid,
                   np.full(len(col_of), "generated", dtype=object))


def ifc_windows(elements, buildings, positions, *, tolerance_deg: float = 45.0) -> Windows:
    """The IfcWindow elements of the buildings at ``positions`` that face within
    ``tolerance_deg`` of south (see the module docstring)."""
    if elements is None or not len(elements) or not len(positions):
        return _empty()
    win = elements[text(elements, "ifc_class").str.lower().to_numpy() == "ifcwindow"]
    if not len(win):
        return _empty()
    ids = text(buildings, "id").to_numpy(dtype=object)
    pos_of = {ids[p]: p for p in np.asarray(positions, dtype=int).tolist()}
    owner = np.array([pos_of.get(b, -1) for b in text(win, "building_id")], dtype=int)
    keep = owner >= 0
    win, owner = win[keep], owner[keep]
    if not len(win):
        return _empty()
    c = shapely.centroid(win.geometry.to_numpy())
    cx, cy = shapely.get_x(c), shapely.get_y(c)
    z = numeric(win, "z_min_m")
    z = np.where(np.isnan(z), numeric(win, "elev_m", 0.0), z)
    a, edge, length, nx, ny, az, e_owner, _num = facade_edges(
        buildings.geometry.to_numpy()[np.unique(owner)])
    e_owner = np.unique(owner)[e_owner]
    # nearest edge of the window's own building
    best_d = np.full(len(win), np.inf)
    best_e = np.zeros(len(win), dtype=int)
    for e in range(len(a)):
        sel = np.flatnonzero(owner == e_owner[e])
        if not len(sel):
            continue
        t = ((cx[sel] - a[e, 0]) * edge[e, 0] + (cy[sel] - a[e, 1]) * edge[e, 1]) / max(
            length[e] ** 2, 1e-12)
        t = np.clip(t, 0, 1)
        d = np.hypot(a[e, 0] + t * edge[e, 0] - cx[sel], a[e, 1] + t * edge[e, 1] - cy[sel])
        better = d < best_d[sel]
        best_d[sel[better]] = d[better]
        best_e[sel[better]] = e
    e = best_e
    t = np.clip(((cx - a[e, 0]) * edge[e, 0] + (cy - a[e, 1]) * edge[e, 1])
                / np.maximum(length[e] ** 2, 1e-12), 0, 1)
    px = a[e, 0] + t * edge[e, 0] + nx[e] * _OFFSET_M
    py = a[e, 1] + t * edge[e, 1] + ny[e] * _OFFSET_M
    facing = np.abs(((az[e] - 180.0) + 180.0) % 360.0 - 180.0) <= tolerance_deg
    guid = text(win, "guid").to_numpy(dtype=object)
    elev = pd.Series(numeric(win, "elev_m", 0.0)).round(2)
    floor = (elev.groupby(owner).rank(method="dense") - 1).to_numpy(dtype=int)
    out = Windows(px, py, z, az[e], owner, floor, -1 - np.arange(len(win)), guid,
                  np.full(len(win), "ifc", dtype=object))
    return out.take(np.flatnonzero(facing))


def window_receivers(buildings, receivers, elements, dem: Dem | None, **opts) -> Windows:
    """The windows of the receiver buildings (positions): IFC windows for the buildings the
    model has them for, generated ones for the others. ``opts`` go to
    :func:`generated_windows` (``tolerance_deg`` to both)."""
    receivers = np.asarray(receivers, dtype=int)
    from_ifc = ifc_windows(elements, buildings, receivers,
                           tolerance_deg=opts.get("tolerance_deg", 45.0))
    has_ifc = np.isin(receivers, np.unique(from_ifc.building)) if len(from_ifc) else \
        np.zeros(len(receivers), dtype=bool)
    if elements is not None and len(elements) and not has_ifc.all():
        # a building whose model has windows (facing any way) is not given generated ones
        win = elements[text(elements, "ifc_class").str.lower().to_numpy() == "ifcwindow"]
        modelled = set(text(win, "building_id"))
        ids = text(buildings, "id").to_numpy(dtype=object)
        has_ifc |= np.array([ids[p] in modelled for p in receivers.tolist()], dtype=bool)
    gen = generated_windows(buildings, receivers[~has_ifc], dem, **opts)
    return Windows.concat([from_ifc, gen])
