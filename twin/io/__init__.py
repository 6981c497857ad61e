"""Readers: one module per format, listed in one registry.

Adding a format is one module with a reader object plus one ``register_lazy`` line here
(name, suffixes, ``module:Class``): a reader's module and its heavy dependencies (GDAL,
rasterio, ifcopenshell) are imported only when a file it reads is opened.
"""

from __future__ import annotations

from ..lazy import lazy_exports
from .registry import Reader, get_reader, reader_for, readers, register, register_lazy
from .report import ImportReport, ImportResult, LayerData

register_lazy("geojson", (".geojson", ".json"), "twin.io.geojson:GeoJSONReader")
register_lazy("ogr", (".geojsonl", ".gpkg", ".shp", ".fgb", ".gml", ".kml"),
              "twin.io.ogr:OGRReader")
register_lazy("ifc", (".ifc", ".ifczip", ".zip"), "twin.io.ifc:IfcReader")
register_lazy("geotiff", (".tif", ".tiff"), "twin.io.raster:GeoTIFFReader")
register_lazy("csv", (".csv", ".tsv"), "twin.io.table:CSVTableReader")

# the reader classes, importable from here as before, each on first use
_READER_CLASSES = {
    "GeoJSONReader": ".geojson",
    "OGRReader": ".ogr",
    "IfcReader": ".ifc",
    "GeoTIFFReader": ".raster",
    "CSVTableReader": ".table",
}

__all__ = [
    "Reader",
    "register",
    "register_lazy",
    "readers",
    "get_reader",
    "reader_for",
    "ImportReport",
    "ImportResult",
    "LayerData",
]


__getattr__, __dir__ = lazy_exports(__name__, _READER_CLASSES)
