"""twin: a CIM/BIM digital twin of a town.

The package reads IFC and GeoJSON sources into one versioned layer store in a metric
working CRS, answers planning questions against it, and layers what-if scenarios on top.
It never imports streamlit; only :mod:`twin.render` imports pydeck.
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
from .importer import import_file, read_file
from .store import open_store

__version__ = "0.1.0"

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
