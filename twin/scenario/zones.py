"""The blue-line zones a scenario's ``river_buffer`` edits move: the ``setbacks`` query's own
zones (:func:`twin.query.setbacks.setback_zones`), so that the map shows exactly the zone the
query checks (a line river's ``width_m / 2 + setback_m`` from its centreline, a polygon
river's ``setback_m`` from its water surface).

Example
-------
>>> from twin.scenario import apply, load_base
>>> zones = river_buffer_zones(apply(load_base(store), scenario))  # doctest: +SKIP
>>> zones[["ref_id", "required_m"]]                                # doctest: +SKIP
"""

from __future__ import annotations

import geopandas as gpd

from ..query.inputs import QueryInputs
from ..query.setbacks import setback_references, setback_zones
from .view import LayerView

__all__ = ["river_buffer_zones"]


def river_buffer_zones(view: LayerView, params: dict | None = None) -> gpd.GeoDataFrame:
    """The setback zone of every river a ``river_buffer`` edit of ``view`` changed (working
    CRS; ``rule, ref_id, ref_name, required_m``), with the ``setbacks`` parameters
    ``params`` (the query's defaults otherwise; roads are never drawn here)."""
    ids = {str(c.id) for c in view.changes if c.op == "river_buffer"}
    refs = setback_references(QueryInputs(view), {**(params or {}), "roads": False})
    zones = setback_zones(refs)
    keep = zones["ref_id"].astype("string").isin(ids).fillna(False).to_numpy(dtype=bool)
    return zones[keep].drop_duplicates("ref_id").reset_index(drop=True)
