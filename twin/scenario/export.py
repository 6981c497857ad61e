"""A scenario's proposals as one map layer: the features its edits add, change or remove."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

from ..crs import working_crs
from .view import LayerView

__all__ = ["changes_frame", "export_changes"]


def changes_frame(view: LayerView) -> gpd.GeoDataFrame:
    """One row per feature an edit touched: ``edit, op, kind, layer, id, change, fields``
    (a JSON string) and its geometry, in the working CRS. Parameter edits have no row."""
    rows = [c for c in view.changes if c.geometry is not None]
    return gpd.GeoDataFrame({
        "edit": [c.edit for c in rows],
        "op": [c.op for c in rows],
        "kind": [c.kind for c in rows],
        "layer": [c.layer for c in rows],
        "id": [c.id for c in rows],
        "change": [c.change for c in rows],
        "fields": [json.dumps(c.fields, ensure_ascii=False, default=str) for c in rows],
    }, geometry=[c.geometry for c in rows], crs=working_crs())


def export_changes(view: LayerView, out) -> Path:
    """Write :func:`changes_frame` to GeoPackage, GeoJSON (WGS84), GeoParquet or CSV."""
    from ..store.export import export_frame

    return export_frame(changes_frame(view), Path(out), layer=f"scenario_{view.name}")
