"""Export a layer to the formats other tools read."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..crs import to_wgs84
from ..errors import StoreError
from .atomic import atomic_path

__all__ = ["export_frame", "EXPORT_DRIVERS"]

EXPORT_DRIVERS = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".parquet": "Parquet",
    ".csv": "CSV",
    ".tif": "GTiff",
}


def _binary_columns(frame) -> list[str]:
    return [c for c in frame.columns
            if c != "geometry" and frame[c].dtype == object
            and frame[c].map(lambda v: isinstance(v, (bytes, bytearray))).any()]


def export_frame(frame, out: Path, *, driver: str | None = None, layer: str = "layer",
                 kind: str = "") -> Path:
    """Write ``frame`` to ``out`` atomically; the format follows ``driver`` or the suffix.

    GeoJSON is written in WGS84 as RFC 7946 requires. Binary columns (BIM meshes) are left
    out of GeoPackage, GeoJSON and CSV, which cannot hold them. A raster layer (bytes) is
    written as its GeoTIFF.
    """
    out = Path(out)
    drv = driver or EXPORT_DRIVERS.get(out.suffix.lower())
    if drv is None:
        raise StoreError(f"cannot tell the export format from {out.suffix or 'no suffix'!r}",
                         path=out, hint="use .gpkg, .geojson, .parquet, .csv or --driver")
    if isinstance(frame, (bytes, bytearray)):
        if drv != "GTiff":
            raise StoreError(f"layer {layer!r} is a raster and exports only to GeoTIFF (.tif)",
                             path=out)
        with atomic_path(out) as tmp:
            tmp.write_bytes(bytes(frame))
        return out
    frame = frame.drop(columns=_binary_columns(frame)) if drv != "Parquet" else frame
    for col in frame.columns:
        if col != "geometry" and frame[col].map(lambda v: isinstance(v, (dict, list))).any():
            frame[col] = frame[col].map(lambda v: json.dumps(v, ensure_ascii=False)
                                        if isinstance(v, (dict, list)) else v)
    with atomic_path(out) as tmp:
        if drv == "CSV":
            plain = pd.DataFrame(frame)
            if isinstance(frame, gpd.GeoDataFrame):
                plain["geometry"] = frame.geometry.to_wkt()
            plain.to_csv(tmp, index=False)
        elif drv == "Parquet":
            frame.to_parquet(tmp, index=False)
        elif isinstance(frame, gpd.GeoDataFrame):
            if drv == "GeoJSON":
                frame = to_wgs84(frame)
                frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=layer, RFC7946="YES")
            else:
                frame.to_file(tmp, driver=drv, engine="pyogrio", layer=layer)
        else:
            raise StoreError(f"layer {layer!r} is a table; export it to .csv or .parquet",
                             path=out)
    return out
