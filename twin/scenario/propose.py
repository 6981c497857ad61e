"""Find a site for a test proposal on a town: the tower that tips a parcel over its FAR limit.

:func:`propose_tower` is what the scenario benchmark and the demo acceptance test place on
the Boli demo twin; it is a plain search over the store's parcels and buildings.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..query.inputs import QueryInputs
from .edits import AddBuilding

__all__ = ["propose_tower"]


def propose_tower(store, *, height_m: float = 100.0, floors: int = 30, max_far: float = 2.5):
    """A 100 m slab tower on the residential parcel with ``max_far`` 2.5 that it tips over its
    FAR limit most surely: the passing parcel with the least FAR headroom, a 50 m wide
    footprint deep enough for 1.5x that headroom, clear of the other buildings and, when
    there is room, just south of a home.

    Returns ``(AddBuilding edit, parcel id)``.
    """
    import shapely
    from shapely.ops import polylabel

    from twin.query.registry import get_query

    layers = QueryInputs(store)
    ind = get_query("indicators").run(layers).layer
    cand = ind[(ind["max_far"].astype(float) == max_far) & (ind["far_status"] == "pass")
               & (ind["height_status"] == "pass")
               & ind["land_use"].astype(str).str.startswith("R")]
    cand = cand.assign(room=(max_far - cand["far"].astype(float)) * cand.geometry.area)
    buildings = layers["building"]
    tree = shapely.STRtree(buildings.geometry.to_numpy())
    for _, row in cand.sort_values(["room", "id"]).iterrows():
        width = 50.0
        depth = float(np.clip(1.5 * row["room"] / floors / width, 12.0, 40.0))
        if floors * width * depth <= row["room"]:
            continue
        clear = max(width, depth) / 2 + 3
        near = buildings.geometry.to_numpy()[tree.query(row.geometry.buffer(10))]
        free = row.geometry.buffer(-clear)
        if len(near):
            free = free.difference(shapely.union_all(shapely.buffer(near, clear)))
        if free.is_empty or free.area < 1:
            continue
        # Just south of a home when there is room (so that it shades it), else the most
        # interior point of the free land.
        c = None
        homes = [g for g, u in zip(near, buildings["use"].astype(str).to_numpy()[
            tree.query(row.geometry.buffer(10))]) if u.startswith("R")]
        for g in sorted(homes, key=lambda g: (g.bounds[1], g.bounds[0])):
            spot = shapely.Point(g.centroid.x, g.bounds[1] - depth / 2 - 12.0)
            if free.contains(spot):
                c = spot
                break
        if c is None:
            c = polylabel(max(getattr(free, "geoms", [free]), key=lambda g: g.area),
                          tolerance=1.0)
        w, d = width / 2, depth / 2
        fp = [(c.x - w, c.y - d), (c.x + w, c.y - d), (c.x + w, c.y + d), (c.x - w, c.y + d)]
        return AddBuilding(footprint=fp, height_m=height_m, floors=floors, use="R",
                           id="PROPOSED-T1", crs="EPSG:4549"), str(row["id"])
    raise ScenarioError(f"no residential parcel with max_far {max_far:g} can take the tower",
                        hint="try another max_far, or a town with more room")
