"""Generalisation for the low zoom levels of the pyramid, where a tile would hold too many
features to draw: buildings merge into blocks (one box per grid cell, the town as blocks),
other layers keep their largest features.

Example
-------
>>> from twin.tiles.generalize import building_blocks
>>> blocks = building_blocks(table, rows, x=13650, y=6449, z=14)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..render import palette
from .features import FeatureTable
from .pyramid import mercator_xy

__all__ = ["BLOCK_GRID", "building_blocks", "largest"]

BLOCK_GRID = 16  # a generalised tile is cut into BLOCK_GRID × BLOCK_GRID cells


def _round(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float), 6)


def building_blocks(table: FeatureTable, rows: np.ndarray, *, x: int, y: int,
                    z: int) -> list[dict]:
    """The buildings ``rows`` of tile ``z/x/y`` merged into one box per grid cell: the box
    around the cell's footprints, the area-weighted mean height, the use with the largest
    footprint area, and the count in the tooltip (``k`` is -1: a block picks no building)."""
    if not len(rows):
        return []
    n = 1 << z
    mx, my = mercator_xy(table.lon[rows], table.lat[rows])
    cx = np.clip(np.floor((mx * n - x) * BLOCK_GRID), 0, BLOCK_GRID - 1).astype(np.int64)
    cy = np.clip(np.floor((my * n - y) * BLOCK_GRID), 0, BLOCK_GRID - 1).astype(np.int64)
    area = np.maximum(table.weight[rows], 1e-6)
    frame = pd.DataFrame({
        "cell": cx * BLOCK_GRID + cy, "w": table.box[rows, 0], "s": table.box[rows, 1],
        "e": table.box[rows, 2], "n": table.box[rows, 3], "a": area,
        "ah": area * table.height[rows], "c": table.use_class[rows]})
    by = frame.groupby("cell", sort=True)
    agg = by.agg(w=("w", "min"), s=("s", "min"), e=("e", "max"), n=("n", "max"),
                 a=("a", "sum"), ah=("ah", "sum"), count=("a", "size"))
    use_area = frame.groupby(["cell", "c"], sort=False)["a"].sum().reset_index()
    top = use_area.sort_values("a", ascending=False).drop_duplicates("cell").set_index("cell")
    agg["c"] = top["c"].reindex(agg.index).to_numpy()
    height = np.round(agg["ah"].to_numpy() / agg["a"].to_numpy(), 1)
    w, s, e, no = (_round(agg[c].to_numpy()) for c in ("w", "s", "e", "n"))
    out = []
    for i in range(len(agg)):
        h = float(height[i])
        ring = [[w[i], s[i]], [e[i], s[i]], [e[i], no[i]], [w[i], no[i]]]
        count = int(agg["count"].iat[i])
        out.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"k": -1, "t": f"▦ {count} · {h:g} m", "h": h,
                                   "c": int(agg["c"].iat[i]), "g": palette.height_bin(h),
                                   "n": count}})
    return out


def largest(table: FeatureTable, rows: np.ndarray, budget: int) -> np.ndarray:
    """The ``budget`` rows of ``rows`` with the largest area or length, in their order."""
    if len(rows) <= budget:
        return rows
    keep = np.argsort(-table.weight[rows], kind="stable")[:budget]
    return rows[np.sort(keep)]
