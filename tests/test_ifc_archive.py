"""IFC in archives: a ``.zip`` with one ``.ifc`` imports like ``.ifczip``; two are listed and
``--member`` picks one; Deflate64 entries (Windows Explorer's) are inflated with inflate64.
Also: a store keeps one working CRS, and a different ``$TWIN_CRS`` is refused in one line."""

from __future__ import annotations

import struct
import zipfile
import zlib

import pytest
from ifc_factory import make_test_building

from twin.cli import main
from twin.errors import ReaderError
from twin.importer import import_file, read_file
from twin.store import ParquetStore

MAP = {"crs": "EPSG:4549", "eastings": 490_000.0, "northings": 3_955_000.0}


@pytest.fixture(scope="module")
def two_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zip")
    a = make_test_building(folder / "a.ifc", map_conversion=MAP, name="A")
    b = make_test_building(folder / "b.ifc", map_conversion=MAP, name="B", storeys=1)
    return a, b


def _deflate64_zip(path, name: str, data: bytes) -> None:
    """Write a zip whose one entry is Deflate64-compressed (method 9), by hand: Python's
    zipfile cannot write that method."""
    import inflate64

    deflater = inflate64.Deflater()
    packed = deflater.deflate(data) + deflater.flush()
    crc = zlib.crc32(data)
    raw = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 21, 0, 9, 0, 0, crc, len(packed),
                        len(data), len(raw), 0) + raw
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 21, 21, 0, 9, 0, 0, crc,
                          len(packed), len(data), len(raw), 0, 0, 0, 0, 0, 0) + raw
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central),
                      len(local) + len(packed), 0)
    path.write_bytes(local + packed + central + end)


def test_zip_with_one_ifc_imports_like_the_ifc(two_files, tmp_path):
    a, _ = two_files
    packed = tmp_path / "sent-by-revit.zip"
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(a["path"], "export/a.ifc")
    plain = read_file(a["path"]).layers[0].data
    zipped = read_file(packed).layers[0].data
    assert sorted(plain["guid"]) == sorted(zipped["guid"])


def test_zip_with_two_lists_them_and_member_picks_one(two_files, tmp_path, capsys):
    a, b = two_files
    packed = tmp_path / "both.zip"
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(a["path"], "a.ifc")
        zf.write(b["path"], "models/b.ifc")
    with pytest.raises(ReaderError) as err:
        read_file(packed)
    assert "holds 2 .ifc files: a.ifc, models/b.ifc" in str(err.value)
    assert "--member NAME" in str(err.value)
    result = read_file(packed, member="b.ifc")
    assert result.layers[1].data["name"].tolist() == ["B"]
    store = tmp_path / "store"
    assert main(["--store", str(store), "import", str(packed), "--member", "models/b.ifc"]) == 0
    assert "ifc_building" in capsys.readouterr().out
    assert main(["ifc", "info", str(packed), "--member", "nope.ifc"]) == 1
    assert "no .ifc entry called 'nope.ifc'" in capsys.readouterr().err


def test_deflate64_entry_is_inflated(two_files, tmp_path):
    a, _ = two_files
    packed = tmp_path / "explorer.zip"
    data = open(a["path"], "rb").read()
    _deflate64_zip(packed, "a.ifc", data)
    with zipfile.ZipFile(packed) as zf:  # the stdlib really cannot read it
        with pytest.raises(NotImplementedError):
            zf.read("a.ifc")
    result = read_file(packed)
    assert sorted(result.layers[0].data["guid"]) == sorted(read_file(a["path"]).layers[0]
                                                          .data["guid"])


def test_other_twin_crs_than_the_store_is_refused_in_one_line(two_files, tmp_path,
                                                               monkeypatch):
    a, b = two_files
    store = ParquetStore(tmp_path / "s")
    import_file(store, a["path"])
    before = (tmp_path / "s" / "catalog.json").read_bytes()
    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")
    with pytest.raises(Exception) as err:
        import_file(store, b["path"])
    text = str(err.value)
    assert "holds its layers in EPSG:4549" in text and "EPSG:3857" in text
    assert "\n" not in text
    assert (tmp_path / "s" / "catalog.json").read_bytes() == before
