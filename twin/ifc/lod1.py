"""LOD1 buildings from BIM elements: footprint, height, storeys, gross floor area.

One row per IfcBuilding:

* footprint: the union of its elements' ground footprints (closed over gaps up to 5 cm,
  inner courtyards of less than 1 m² filled);
* ``base_elev_m`` / ``height_m``: lowest element bottom and highest top minus the bottom;
* ``floors``: the number of its IfcBuildingStorey;
* ``gfa_m2`` with ``gfa_method``: ``ifcspace`` (sum of IfcSpace GrossFloorArea quantities),
  else ``slab_qto`` (floor slabs' GrossArea/NetArea quantities), else ``slab_geometry``
  (floor slabs' footprint areas), else ``footprint_x_floors``;
* ``source='ifc'`` and ``ifc_guid``.
"""

from __future__ import annotations

import json

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

__all__ = ["lod1_rows", "close_footprint", "NOT_FLOOR_SLABS"]

NOT_FLOOR_SLABS = ("ROOF", "LANDING")
_GAP_M = 0.05


def close_footprint(geoms) -> Polygon | MultiPolygon | None:
    """Union of footprints, closing gaps up to 5 cm and filling small inner holes."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return None
    merged = _union_largest_first(geoms)
    merged = merged.buffer(_GAP_M, join_style="mitre").buffer(-_GAP_M, join_style="mitre")
    parts = [merged] if merged.geom_type == "Polygon" else list(getattr(merged, "geoms", []))
    out = []
    for part in parts:
        if part.is_empty or part.geom_type != "Polygon":
            continue
        holes = [h for h in part.interiors if Polygon(h).area >= 1.0]
        out.append(Polygon(part.exterior, holes))
    if not out:
        return None
    return out[0] if len(out) == 1 else MultiPolygon(out)


def _union_largest_first(geoms: np.ndarray, seed_count: int = 16):
    """Union of ``geoms``: the largest ones first, then only those not already inside them
    (columns, doors and furniture mostly lie within the slabs, and skipping them keeps the
    union fast)."""
    if len(geoms) <= seed_count:
        return shapely.union_all(geoms)
    order = np.argsort(-shapely.area(geoms))
    seed = shapely.union_all(geoms[order[:seed_count]])
    shapely.prepare(seed)
    rest = geoms[order[seed_count:]]
    outside = rest[~shapely.within(rest, seed)]
    return shapely.union_all(np.append(outside, seed)) if len(outside) else seed


def _slab_area_qto(psets_json: str, area_to_m2: float):
    try:
        psets = json.loads(psets_json)
    except (TypeError, ValueError):
        return None
    for name, qset in psets.items():
        if not isinstance(qset, dict) or not name.lower().startswith("qto_slab"):
            continue
        for key in ("GrossArea", "NetArea"):
            if isinstance(qset.get(key), (int, float)):
                return float(qset[key]) * area_to_m2
    return None


def lod1_rows(buildings: list[dict], elements, storeys: list[dict], spaces: dict, *,
              area_to_m2: float) -> list[dict]:
    """One LOD1 row per building.

    ``buildings``: dicts with ``guid``, ``id``, ``name``, ``use``. ``elements``: the
    bim_element frame (``building_id``, ``ifc_guid_building``, ``ifc_class``,
    ``predefined_type``, ``psets``, ``z_min_m``, ``z_max_m``, geometry). ``storeys``: dicts
    with ``building_guid``. ``spaces``: ``{building guid: (m², count)}``.
    """
    rows = []
    for b in buildings:
        mine = elements[elements["building_guid"] == b["guid"]]
        if len(buildings) == 1:
            mine = elements  # elements outside any building still belong to the only one
        placed = mine[mine.geometry.notna() & ~mine.geometry.is_empty]
        footprint = close_footprint(np.asarray(placed.geometry.array))
        z_lo = np.nanmin(placed["z_min_m"]) if len(placed) else np.nan
        z_hi = np.nanmax(placed["z_max_m"]) if len(placed) else np.nan
        floors = sum(1 for s in storeys if s["building_guid"] == b["guid"] or
                     (len(buildings) == 1))
        gfa, method = None, None
        area, count = spaces.get(b["guid"], (0.0, 0))
        if len(buildings) == 1 and None in spaces:
            extra = spaces[None]
            area, count = area + extra[0], count + extra[1]
        if count:
            gfa, method = area, "ifcspace"
        slabs = mine[(mine["ifc_class"] == "IfcSlab")
                     & ~mine["predefined_type"].fillna("").isin(NOT_FLOOR_SLABS)]
        if gfa is None and len(slabs):
            qto = [_slab_area_qto(p, area_to_m2) for p in slabs["psets"]]
            if any(q is not None for q in qto):
                gfa, method = float(sum(q for q in qto if q is not None)), "slab_qto"
            else:
                geoms = slabs.geometry[slabs.geometry.notna()]
                if len(geoms):
                    gfa, method = float(sum(g.area for g in geoms)), "slab_geometry"
        if gfa is None and footprint is not None and floors:
            gfa, method = float(footprint.area * floors), "footprint_x_floors"
        rows.append({
            "id": b["id"], "building_id": b["id"], "name": b.get("name"),
            "use": b.get("use"),
            "height_m": float(z_hi - z_lo) if np.isfinite(z_hi - z_lo) else None,
            "floors": floors, "base_elev_m": float(z_lo) if np.isfinite(z_lo) else None,
            "gfa_m2": gfa, "gfa_method": method, "source": "ifc", "ifc_guid": b["guid"],
            "elements": int(len(mine)), "geometry": footprint,
        })
    return rows
