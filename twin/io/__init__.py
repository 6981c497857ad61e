"""Readers: one module per format, listed in one registry.

Adding a format is one module with a reader object plus one ``register`` line here.
"""

from __future__ import annotations

from .geojson import GeoJSONReader
from .ifc import IfcReader
from .ogr import OGRReader
from .raster import GeoTIFFReader
from .registry import Reader, get_reader, reader_for, readers, register
from .report import ImportReport, ImportResult, LayerData
from .table import CSVTableReader

register(GeoJSONReader())
register(OGRReader())
register(IfcReader())
register(GeoTIFFReader())
register(CSVTableReader())

__all__ = [
    "Reader",
    "register",
    "readers",
    "get_reader",
    "reader_for",
    "ImportReport",
    "ImportResult",
    "LayerData",
]
