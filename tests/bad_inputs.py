"""Bad input files for the import matrix, each written by its own small function.

Every row is ``(name, filename, writer, kind, extra CLI args)``; the writer takes the target
path and writes the file's bytes. Nothing here reads a file it did not write.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

__all__ = ["GEOJSON_ROWS", "OTHER_ROWS", "LON", "LAT", "good_parcels"]

LON, LAT = 119.90, 35.73  # Boli
SQUARE = [[LON, LAT], [LON + 0.001, LAT], [LON + 0.001, LAT + 0.001], [LON, LAT + 0.001],
          [LON, LAT]]


def _fc(features, **members) -> bytes:
    return json.dumps({"type": "FeatureCollection", **members, "features": features},
                      ensure_ascii=False).encode("utf-8")


def _feature(coords, gtype="Polygon", **props) -> dict:
    return {"type": "Feature", "properties": {"id": "P1", **props},
            "geometry": {"type": gtype, "coordinates": coords}}


def good_parcels(path: Path) -> None:
    """Two valid parcels: the store's layer before every bad import."""
    shifted = [[x + 0.002, y] for x, y in SQUARE]
    path.write_bytes(_fc([_feature([SQUARE], name="甲"),
                          {**_feature([shifted], name="乙"),
                           "properties": {"id": "P2", "name": "乙"}}]))


def _raw(text: str):
    return lambda p: p.write_bytes(text.encode("utf-8"))


def _bytes(data: bytes):
    return lambda p: p.write_bytes(data)


def _poly(ring, **props):
    return lambda p: p.write_bytes(_fc([_feature([ring], **props)]))


_NAN_RING = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"P1"},'
             '"geometry":{"type":"Polygon","coordinates":[[[119.90,35.73],[%s,35.73],'
             '[119.901,35.731],[119.90,35.73]]]}}]}')
_ALL_NONFINITE = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                  '{"id":"P1"},"geometry":{"type":"Polygon","coordinates":[[[NaN,NaN],'
                  '[Infinity,35.73],[-Infinity,35.731],[NaN,NaN]]]}}]}')


def _big_polygon(p: Path) -> None:
    n = 100_000
    ring = [[LON + 0.001 * math.cos(2 * math.pi * i / n), LAT + 0.001 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    ring.append(ring[0])
    p.write_bytes(_fc([_feature([ring])]))


def _gbk(p: Path) -> None:
    p.write_bytes(json.dumps({"type": "FeatureCollection", "features": [
        _feature([SQUARE], name="泊里镇横河地块")]}, ensure_ascii=False).encode("gbk"))


def _bom(p: Path) -> None:
    p.write_bytes(b"\xef\xbb\xbf" + _fc([_feature([SQUARE], name="泊里")]))


def _random(p: Path) -> None:
    p.write_bytes(os.urandom(4096))


def _projected_no_crs(p: Path) -> None:
    x, y = 500_000.0, 3_955_000.0
    p.write_bytes(_fc([_feature([[[x, y], [x + 50, y], [x + 50, y + 50], [x, y]]])]))


def _crs_contradicts(p: Path) -> None:
    p.write_bytes(_fc([_feature([SQUARE])], crs={"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::4549"}}))


GEOJSON_ROWS = [
    ("nan", _raw(_NAN_RING % "NaN"), []),
    ("nan-fix", _raw(_NAN_RING % "NaN"), ["--on-invalid", "fix"]),
    ("infinity", _raw(_NAN_RING % "Infinity"), []),
    ("infinity-fix", _raw(_NAN_RING % "Infinity"), ["--on-invalid", "fix"]),
    ("minus-infinity", _raw(_NAN_RING % "-Infinity"), []),
    ("all-nonfinite-warn", _raw(_ALL_NONFINITE), ["--on-invalid", "warn"]),
    ("unclosed-ring", _poly(SQUARE[:-1]), []),
    ("unclosed-ring-fix", _poly(SQUARE[:-1]), ["--on-invalid", "fix"]),
    ("bowtie", _poly([[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT],
                      [LON, LAT + 0.001], [LON, LAT]]), []),
    ("bowtie-fix", _poly([[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT],
                          [LON, LAT + 0.001], [LON, LAT]]), ["--on-invalid", "fix"]),
    ("empty-collection", _bytes(_fc([])), []),
    ("null-geometry", _bytes(_fc([{"type": "Feature", "properties": {"id": "P1"},
                                   "geometry": None}])), []),
    ("null-geometry-fix", _bytes(_fc([{"type": "Feature", "properties": {"id": "P1"},
                                       "geometry": None}])), ["--on-invalid", "fix"]),
    ("geometry-collection", _bytes(_fc([{"type": "Feature", "properties": {"id": "P1"},
                                         "geometry": {"type": "GeometryCollection",
                                                      "geometries": [{"type": "Polygon",
                                                                      "coordinates": [SQUARE]}]}}])),
     []),
    ("mixed-types", _bytes(_fc([_feature([SQUARE]),
                                _feature(SQUARE[:2], "LineString", id="P2")])), []),
    ("z-coordinates", _poly([[x, y, 4.5] for x, y in SQUARE]), []),
    ("swapped-lat-lon", _poly([[y, x] for x, y in SQUARE]), []),
    ("projected-without-crs", _projected_no_crs, []),
    ("crs-contradicts-coordinates", _crs_contradicts, []),
    ("duplicate-ids", _bytes(_fc([_feature([SQUARE]), _feature([SQUARE])])), []),
    ("nested-properties", _poly(SQUARE, extra={"a": {"b": [1, 2]}}), []),
    ("html-in-name", _poly(SQUARE, name="<script>alert(1)</script>"), []),
    ("10k-char-property", _poly(SQUARE, name="泊" * 10_000), []),
    ("11m-char-property", _poly(SQUARE, note="x" * 11_000_000), []),
    ("gbk-bytes", _gbk, []),
    ("gbk-bytes-with-encoding", _gbk, ["--encoding", "gbk"]),
    ("sql-in-layer-name", _poly(SQUARE), ["--layer", "p; DROP TABLE catalog;--"]),
    ("path-in-layer-name", _poly(SQUARE), ["--layer", "../../outside"]),
    ("sql-in-property-name", _poly(SQUARE, **{'x"); DROP TABLE versions; --': 1}), []),
    ("utf8-bom", _bom, []),
    ("antimeridian", _poly([[179.9, 10.0], [-179.9, 10.0], [-179.9, 10.1], [179.9, 10.1],
                            [179.9, 10.0]]), []),
    ("100k-vertex-polygon", _big_polygon, []),
    ("zero-bytes", _bytes(b""), []),
    ("random-bytes", _random, []),
    ("truncated-json", lambda p: p.write_bytes(_fc([_feature([SQUARE])])[:-25]), []),
    ("top-level-array", _bytes(json.dumps([_feature([SQUARE])]).encode()), []),
]


def _ifc_text(point: str = "0.,0.,0.", schema: str = "IFC4") -> str:
    return f"""ISO-10303-21;
HEADER;
FILE_DESCRIPTION((''),'2;1');
FILE_NAME('bad.ifc','2026-01-01T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('{schema}'));
ENDSEC;
DATA;
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,(#20),#7);
#2=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);
#7=IFCUNITASSIGNMENT((#2));
#10=IFCCARTESIANPOINT(({point}));
#11=IFCAXIS2PLACEMENT3D(#10,$,$);
#20=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#11,$);
#30=IFCSITE('1YvctVUKr0kugbFTf53O9L',$,'S',$,$,#31,$,$,.ELEMENT.,$,$,$,$,$);
#31=IFCLOCALPLACEMENT($,#11);
#40=IFCRELAGGREGATES('2YvctVUKr0kugbFTf53O9L',$,$,$,#1,(#30));
#50=IFCBUILDING('3YvctVUKr0kugbFTf53O9L',$,'B',$,$,#31,$,$,.ELEMENT.,$,$,$);
#51=IFCRELAGGREGATES('4YvctVUKr0kugbFTf53O9L',$,$,$,#30,(#50));
ENDSEC;
END-ISO-10303-21;
"""


def _zip(p: Path, members: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    p.write_bytes(buf.getvalue())


def _zip_bomb(p: Path) -> None:
    _zip(p, {"model.ifc": b"\0" * (300 * 2**20)})


def _nested_zip(p: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("model.ifc", _ifc_text())
    _zip(p, {"inner.ifczip": inner.getvalue()})


def _tiff_without_crs(p: Path) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(p, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=from_origin(0, 4, 1, 1)) as ds:
        ds.write(np.ones((1, 4, 4), dtype="float32"))


def _ifc_with_nan(p: Path, *, where: str) -> None:
    """A real model (``tests/ifc_factory``) whose element placement or context origin holds NaN."""
    import re

    from ifc_factory import make_test_building

    make_test_building(p, unit="m", map_conversion={"crs": "EPSG:4549",
                                                    "eastings": 500000.0,
                                                    "northings": 3955000.0})
    text = p.read_text()
    if where == "element":  # (2., 3., 0.) places an element (a wall or slab)
        text = text.replace("IFCCARTESIANPOINT((2.,3.,0.))", "IFCCARTESIANPOINT((NaN,3.,0.))", 1)
    else:
        text = re.sub(r"IFCCARTESIANPOINT\(\(0\.,0\.,0\.\)\)", "IFCCARTESIANPOINT((0.,INF,0.))",
                      text, count=1)
    p.write_text(text)


OTHER_ROWS = [  # (name, filename, writer, kind, extra args)
    ("ifc-nan-in-element-placement", "bad.ifc", lambda p: _ifc_with_nan(p, where="element"), None,
     ["--building-id", "B"]),
    ("ifc-inf-in-context-origin", "bad.ifc", lambda p: _ifc_with_nan(p, where="origin"), None,
     ["--building-id", "B"]),
    ("ifc-truncated", "bad.ifc", lambda p: p.write_text(_ifc_text()[:300]), None, []),
    ("ifc-random-bytes", "bad.ifc", _random, None, []),
    ("ifc-unknown-schema", "bad.ifc", lambda p: p.write_text(_ifc_text(schema="IFC9")), None,
     []),
    ("ifczip-bomb", "bad.ifczip", _zip_bomb, None, []),
    ("ifczip-parent-entry", "bad.ifczip",
     lambda p: _zip(p, {"../evil.ifc": _ifc_text().encode()}), None, []),
    ("ifczip-nested-zip", "bad.ifczip", _nested_zip, None, []),
    ("csv-bad-timestamps", "readings.csv",
     lambda p: p.write_text("sensor_id,time,value\nWL-01,yesterday,3.2\nWL-01,??,3.4\n"),
     "sensor_reading", []),
    ("geotiff-without-crs", "dem.tif", _tiff_without_crs, "terrain", []),
]
