"""GeoTIFF terrain reader: a DEM becomes a ``terrain`` layer in the working CRS.

The first band is read with rasterio as float32 elevations in metres. A DEM in another CRS
is reprojected with :func:`rasterio.warp.reproject` (bilinear) onto a grid in the working
CRS; a DEM with no CRS needs ``crs=``. The layer's data is the bytes of a deflate-compressed
single-band float32 GeoTIFF, which the store keeps as is.

Example
-------
>>> from twin.io.raster import GeoTIFFReader
>>> result = GeoTIFFReader().read(Path("dem.tif"))  # doctest: +SKIP
>>> result.layers[0].kind
'terrain'
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..crs import parse_crs, working_crs
from ..errors import GeoreferenceError, ReaderError, SchemaError
from .policy import check_policy
from .report import ImportReport, ImportResult, LayerData

__all__ = ["GeoTIFFReader", "NODATA"]

NODATA = -9999.0


class GeoTIFFReader:
    """Reads a GeoTIFF DEM (``.tif``, ``.tiff``) into a ``terrain`` layer."""

    name = "geotiff"
    suffixes = (".tif", ".tiff")

    def can_read(self, path) -> bool:
        """True for ``.tif``/``.tiff`` files."""
        return Path(path).suffix.lower() in self.suffixes

    def read(self, path, *, kind: str | None = None, layer: str | None = None, crs=None,
             progress=None, on_invalid: str = "raise", **_options) -> ImportResult:
        """Read ``path``'s first band; reproject to the working CRS when needed.

        ``crs`` overrides (or supplies) the file's CRS. ``kind`` must be ``terrain`` if given.
        ``on_invalid`` is checked like every reader's (:mod:`twin.io.policy`); a raster has
        no per-feature findings: what it cannot use is an error, elevations in feet are
        converted and reported as repaired under every policy.
        """
        import rasterio
        from rasterio.errors import RasterioIOError

        path = Path(path)
        check_policy(on_invalid, path)
        if kind not in (None, "terrain"):
            raise SchemaError(f"a GeoTIFF becomes a terrain layer, not {kind!r}", path=path,
                              hint="use --kind terrain")
        progress = progress or (lambda *a, **k: None)
        report = ImportReport(kind="terrain")
        report.extra["on_invalid"] = on_invalid
        t0 = time.perf_counter()
        progress(0, 3, "reading raster")
        try:
            src = rasterio.open(path)
        except RasterioIOError as exc:
            raise ReaderError(f"not a readable GeoTIFF ({_first_line(exc)})", path=path,
                              hint="check that the file is a complete GeoTIFF") from None
        with src:
            if src.count < 1:
                raise ReaderError("the raster has no bands", path=path)
            if src.count > 1:
                report.warn(None, f"the raster has {src.count} bands; band 1 is used as "
                                  "elevation")
            src_crs = parse_crs(crs, path=path) if crs is not None else _file_crs(src, path)
            if src.transform.is_identity:
                raise GeoreferenceError("the raster has no geotransform (pixel coordinates "
                                        "only)", path=path,
                                        hint="georeference it first, e.g. with gdal_translate "
                                             "-a_ullr")
            band = src.read(1, masked=True).astype("float32")
            data = band.filled(np.nan)
            transform = src.transform
            width, height = src.width, src.height
            units = (src.units or [None])[0] or src.tags().get("UNITS") or ""
        progress(1, 3, "reprojecting")
        dst_crs = working_crs()
        report.source_crs = src_crs.to_string()
        report.crs = dst_crs.to_string()
        if _feet(units):
            data = data * 0.3048
            report.repaired(None, f"elevations in {units} converted to metres")
        if not src_crs.equals(dst_crs, ignore_axis_order=True):
            data, transform, width, height = _reproject(data, transform, src_crs, dst_crs)
            report.extra["reprojected"] = True
        else:
            report.extra["reprojected"] = False
        valid = np.isfinite(data)
        if not valid.any():
            raise ReaderError("the raster holds no valid elevations (all nodata)", path=path)
        progress(2, 3, "writing GeoTIFF")
        blob = _geotiff_bytes(data, transform, dst_crs)
        report.counts = {"cells": int(valid.sum()), "nodata": int((~valid).sum())}
        report.extra.update({
            "width": int(width), "height": int(height),
            "resolution_m": [round(abs(transform.a), 4), round(abs(transform.e), 4)],
            "bounds": [round(v, 3) for v in _bounds(transform, width, height)],
            "elev_min_m": round(float(np.nanmin(data)), 3),
            "elev_max_m": round(float(np.nanmax(data)), 3),
            "units": "metre",
        })
        report.timings["read_s"] = round(time.perf_counter() - t0, 4)
        progress(3, 3, "done")
        return ImportResult(layers=[LayerData(layer or "terrain", "terrain", blob)],
                            report=report)


def _first_line(exc) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _feet(units: str) -> bool:
    return units.strip().lower() in {"ft", "foot", "feet", "us survey foot", "us_survey_foot"}


def _file_crs(src, path):
    if src.crs is None:
        raise GeoreferenceError("the raster has no coordinate reference system", path=path,
                                hint="pass --crs EPSG:XXXX (for Boli usually EPSG:4549)")
    try:
        epsg = src.crs.to_epsg()
        return parse_crs(f"EPSG:{epsg}" if epsg else src.crs.to_wkt(), path=path)
    except GeoreferenceError:
        raise GeoreferenceError(f"the raster's CRS is not understood ({src.crs})", path=path,
                                hint="pass --crs EPSG:XXXX") from None


def _bounds(transform, width, height):
    xs = [transform.c, transform.c + transform.a * width]
    ys = [transform.f, transform.f + transform.e * height]
    return min(xs), min(ys), max(xs), max(ys)


def _reproject(data, transform, src_crs, dst_crs):
    """Bilinear reprojection of ``data`` onto a grid in ``dst_crs`` (NaN as nodata)."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    height, width = data.shape
    s, d = _rio_crs(src_crs), _rio_crs(dst_crs)
    left, bottom, right, top = _bounds(transform, width, height)
    dst_transform, dst_w, dst_h = calculate_default_transform(s, d, width, height, left, bottom,
                                                              right, top)
    out = np.full((dst_h, dst_w), np.nan, dtype="float32")
    reproject(source=data, destination=out, src_transform=transform, src_crs=s,
              src_nodata=np.nan, dst_transform=dst_transform, dst_crs=d, dst_nodata=np.nan,
              resampling=Resampling.bilinear)
    return out, dst_transform, dst_w, dst_h


def _rio_crs(crs):
    """A rasterio CRS for a pyproj CRS, by its EPSG code when it has one."""
    from rasterio.crs import CRS as RioCRS

    epsg = crs.to_epsg()
    return RioCRS.from_epsg(epsg) if epsg else RioCRS.from_wkt(crs.to_wkt())


def _geotiff_bytes(data, transform, crs) -> bytes:
    """A deflate-compressed float32 GeoTIFF of ``data`` (NaN written as :data:`NODATA`)."""
    from rasterio.io import MemoryFile

    height, width = data.shape
    filled = np.where(np.isfinite(data), data, NODATA).astype("float32")
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1,
               "dtype": "float32", "crs": _rio_crs(crs), "transform": transform,
               "nodata": NODATA, "compress": "deflate"}
    if width >= 256 and height >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(filled, 1)
            dst.update_tags(UNITS="metre")
        return bytes(mem.read())
