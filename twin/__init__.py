"""twin: a CIM/BIM digital twin of a town.

The package reads IFC and GeoJSON sources into one versioned layer store in a metric
working CRS, answers planning questions against it, and layers what-if scenarios on top.
It never imports streamlit; only :mod:`twin.render` imports pydeck.

``import twin`` is cheap: :func:`import_file`, :func:`read_file` and :func:`open_store`
(with pandas, geopandas and the readers behind them) are imported on first use.
"""

from __future__ import annotations

from .errors import (
    GeoreferenceError,
    QueryError,
    ReaderError,
    ScenarioError,
    SchemaError,
    StoreError,
    TwinError,
)
from .lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "import_file": ".importer",
    "read_file": ".importer",
    "open_store": ".store",
}

__all__ = [
    "TwinError",
    "ReaderError",
    "GeoreferenceError",
    "SchemaError",
    "StoreError",
    "ScenarioError",
    "QueryError",
    "import_file",
    "read_file",
    "open_store",
    "__version__",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
