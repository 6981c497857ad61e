"""The GeoTIFF terrain reader: small DEMs written by rasterio in the test."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import Affine

from twin.crs import transform_xy, working_crs
from twin.errors import GeoreferenceError, ReaderError, SchemaError
from twin.importer import import_file, read_file
from twin.io import reader_for
from twin.io.raster import GeoTIFFReader


def _write(path, z, *, crs, transform, nodata=None, units=None, bands=1):
    profile = {"driver": "GTiff", "width": z.shape[1], "height": z.shape[0], "count": bands,
               "dtype": "float32", "transform": transform}
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        for b in range(1, bands + 1):
            dst.write(z.astype("float32"), b)
        if units:
            dst.units = (units,) * bands
    return path


def _open(blob: bytes):
    mem = MemoryFile(blob)
    return mem, mem.open()


def test_dem_in_the_working_crs_keeps_its_grid_and_values(tmp_path):
    z = np.arange(12, dtype="float32").reshape(3, 4)
    t = Affine(10, 0, 490000, 0, -10, 3955000)
    path = _write(tmp_path / "dem.tif", z, crs="EPSG:4549", transform=t)
    assert isinstance(reader_for(path), GeoTIFFReader)
    result = read_file(path)
    (layer,) = result.layers
    assert (layer.name, layer.kind) == ("terrain", "terrain")
    mem, src = _open(layer.data)
    with mem, src:
        assert src.crs.to_epsg() == 4549
        assert src.transform == t
        np.testing.assert_array_equal(src.read(1), z)
    rep = result.report
    assert rep.extra["reprojected"] is False
    assert rep.counts == {"cells": 12, "nodata": 0}
    assert rep.extra["elev_min_m"] == 0 and rep.extra["elev_max_m"] == 11


def test_dem_in_wgs84_is_reprojected_to_the_working_crs(tmp_path):
    # A plane rising 1 m per 0.001° of latitude around Boli, on a 0.0005° grid.
    lon0, lat0, step = 119.88, 35.75, 0.0005
    rows, cols = 80, 80
    lat = lat0 - step * (np.arange(rows) + 0.5)
    z = np.repeat(((lat - 35.70) * 1000.0)[:, None], cols, axis=1).astype("float32")
    t = Affine(step, 0, lon0, 0, -step, lat0)
    path = _write(tmp_path / "dem_wgs84.tif", z, crs="EPSG:4326", transform=t)
    result = GeoTIFFReader().read(path, layer="dem")
    (layer,) = result.layers
    assert layer.name == "dem"
    assert result.report.extra["reprojected"] is True
    assert result.report.source_crs == "EPSG:4326"
    mem, src = _open(layer.data)
    with mem, src:
        assert src.crs.to_epsg() == 4549
        # Bilinear resampling of a plane is exact: the value at the centre of the cell
        # holding 35.73°N 119.90°E equals the plane's height there.
        x, y = transform_xy([119.90], [35.73], "EPSG:4326", working_crs())
        row, col = src.index(float(x[0]), float(y[0]))
        cx, cy = src.xy(row, col)
        _lon, lat_c = transform_xy([cx], [cy], working_crs(), "EPSG:4326")
        value = src.read(1)[row, col]
        assert value == pytest.approx((lat_c[0] - 35.70) * 1000.0, abs=0.01)
        assert src.nodata == -9999.0


def test_dem_without_crs_is_refused_unless_given(tmp_path):
    z = np.ones((4, 4), dtype="float32")
    t = Affine(10, 0, 490000, 0, -10, 3955000)
    path = _write(tmp_path / "nocrs.tif", z, crs=None, transform=t)
    with pytest.raises(GeoreferenceError, match="no coordinate reference system"):
        read_file(path)
    result = read_file(path, crs="EPSG:4549")
    assert result.report.source_crs == "EPSG:4549"


def test_nodata_cells_stay_nodata_and_extra_bands_are_reported(tmp_path):
    z = np.array([[1, 2], [-32768, 4]], dtype="float32")
    t = Affine(10, 0, 490000, 0, -10, 3955000)
    path = _write(tmp_path / "nd.tif", z, crs="EPSG:4549", transform=t, nodata=-32768,
                  bands=2)
    result = read_file(path)
    assert result.report.counts == {"cells": 3, "nodata": 1}
    assert "2 bands" in result.report.warnings[0]["reason"]
    mem, src = _open(result.layers[0].data)
    with mem, src:
        band = src.read(1, masked=True)
        assert band.mask.tolist() == [[False, False], [True, False]]


def test_elevations_in_feet_become_metres(tmp_path):
    z = np.full((2, 2), 100.0, dtype="float32")
    t = Affine(10, 0, 490000, 0, -10, 3955000)
    path = _write(tmp_path / "ft.tif", z, crs="EPSG:4549", transform=t, units="ft")
    result = read_file(path)
    assert result.report.repairs
    mem, src = _open(result.layers[0].data)
    with mem, src:
        assert src.read(1)[0, 0] == pytest.approx(30.48)


def test_bad_files_and_kinds_give_clear_errors(tmp_path):
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"II*\x00 not really a tiff")
    with pytest.raises(ReaderError, match="broken.tif.*not a readable GeoTIFF"):
        read_file(bad)
    z = np.ones((2, 2), dtype="float32")
    path = _write(tmp_path / "ok.tif", z, crs="EPSG:4549",
                  transform=Affine(10, 0, 490000, 0, -10, 3955000))
    with pytest.raises(SchemaError, match="terrain"):
        read_file(path, kind="building")


def test_import_writes_a_terrain_layer(tmp_path, store):
    z = np.arange(16, dtype="float32").reshape(4, 4)
    path = _write(tmp_path / "dem.tif", z, crs="EPSG:4549",
                  transform=Affine(10, 0, 490000, 0, -10, 3955000))
    versions, report = import_file(store, path)
    assert versions == {"terrain": 1}
    assert store.kind_of("terrain") == "terrain"
    with rasterio.open(store.raster_path("terrain")) as src:
        np.testing.assert_array_equal(src.read(1), z)
    assert isinstance(store.read("terrain"), bytes)
    assert report.source_sha256

