"""The validity policy lives in one module (twin.io.policy) that every reader uses; the
OGR reader and the GeoJSON layer over it read the same formats as the one reader did."""

from __future__ import annotations

import pytest


def test_an_unknown_policy_is_refused_by_every_reader(tmp_path):
    """One policy module: the GeoJSON, OGR, CSV and GeoTIFF readers name the same three."""
    from twin.errors import ReaderError
    from twin.io import readers
    from twin.io.policy import POLICIES

    assert POLICIES == ("raise", "warn", "fix")
    for reader in readers():
        if reader.name == "ifc":
            continue
        with pytest.raises(ReaderError, match=r"unknown .*policy 'lenient'.*raise, warn or fix"):
            reader.read(tmp_path / f"x{reader.suffixes[0]}", kind=None if reader.name in (
                "geotiff", "csv") else "building", on_invalid="lenient")


def test_vector_formats_go_to_the_ogr_reader_and_geojson_to_its_layer(tmp_path):
    from twin.io import reader_for
    from twin.io.geojson import GeoJSONReader
    from twin.io.ogr import OGRReader

    for suffix, want in ((".geojson", "geojson"), (".json", "geojson"), (".gpkg", "ogr"),
                         (".shp", "ogr"), (".fgb", "ogr"), (".geojsonl", "ogr")):
        path = tmp_path / f"x{suffix}"
        path.write_text("{}")
        assert reader_for(path).name == want, suffix
    assert issubclass(GeoJSONReader, OGRReader)
