"""Decision-support queries: each a pure function of layers and parameters.

Every query is registered once (:mod:`twin.query.registry`) and reachable from the API
(:func:`run`), the CLI (``twin query NAME``) and the app's Queries page. A query takes its
inputs from a :class:`QueryInputs` (a store, or frames a scenario edited in memory) and returns a
:class:`QueryResult` with a result layer in the working CRS, a summary and a table.

Example
-------
>>> import twin.query as q
>>> res = q.run("indicators", store)                  # doctest: +SKIP
>>> res = q.run("setbacks", {"building": b, "river": r}, road_setback_m=5)  # doctest: +SKIP
>>> res.export("setbacks.gpkg")                       # doctest: +SKIP
"""

from __future__ import annotations

from .inputs import QueryInputs, as_layers
from .registry import (
    Param,
    QueryResult,
    QuerySpec,
    StatusCheck,
    coerce_params,
    get_query,
    queries,
    register,
)

__all__ = [
    "QueryInputs",
    "Param",
    "QueryResult",
    "QuerySpec",
    "StatusCheck",
    "get_query",
    "queries",
    "register",
    "run",
]


def run(name: str, source, **params) -> QueryResult:
    """Run the query ``name`` on ``source`` (a store, a :class:`QueryInputs`, or a
    ``{kind: frame}`` dict) with ``params`` (strings are coerced to the param types).

    A query that searches space asks :mod:`twin.query.pushdown` for its candidates, which
    runs the search on the server when the store offers one (PostGIS).
    """
    spec = get_query(name)
    layers = as_layers(source)
    values = coerce_params(spec, params)
    result = spec.run(layers, **values)
    result.params = values
    return result
