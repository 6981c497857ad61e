"""Opening IFC files: .ifczip guards, the trailer check, schemas."""

from __future__ import annotations

import zipfile

import pytest
from ifc_factory import make_test_building

from twin.errors import ReaderError
from twin.ifc.open import SUPPORTED_SCHEMAS, open_ifc
from twin.importer import read_file

MAP = {"crs": "EPSG:4549", "eastings": 490_000.0, "northings": 3_955_000.0}


@pytest.fixture(scope="module")
def ifc_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("open") / "b.ifc"
    make_test_building(path, map_conversion=MAP)
    return path


def _zip(path, entries: dict) -> str:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return str(path)


def test_ifczip_imports_like_the_ifc(ifc_file, tmp_path):
    packed = _zip(tmp_path / "b.ifczip", {"b.ifc": ifc_file.read_bytes()})
    plain = read_file(ifc_file).layers[0].data
    zipped = read_file(packed).layers[0].data
    assert sorted(plain["guid"]) == sorted(zipped["guid"])


@pytest.mark.parametrize(("entries", "message"), [
    ({f"f{i}.txt": b"x" for i in range(20)}, "entries"),
    ({"inner.zip": b"PK...", "b.ifc": b"x"}, "itself an archive"),
    ({"../evil.ifc": b"x"}, "climbs out"),
    ({"/abs/evil.ifc": b"x"}, "climbs out"),
    ({"a.ifc": b"x", "b.ifc": b"y"}, "holds 2 .ifc files"),
    ({"readme.txt": b"x"}, "holds no .ifc file"),
])
def test_ifczip_guards(tmp_path, entries, message):
    packed = _zip(tmp_path / "bad.ifczip", entries)
    with pytest.raises(ReaderError, match=message):
        read_file(packed)


def test_ifczip_bomb_is_refused(tmp_path):
    packed = _zip(tmp_path / "bomb.ifczip", {"bomb.ifc": b"\0" * (20 << 20)})
    with pytest.raises(ReaderError, match="compression ratio"):
        open_ifc(packed)


def test_truncated_file_is_refused(ifc_file, tmp_path):
    cut = tmp_path / "cut.ifc"
    data = ifc_file.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ReaderError, match="END-ISO-10303-21"):
        read_file(cut)


def test_unsupported_schema_lists_the_supported_ones(ifc_file, tmp_path):
    other = tmp_path / "ifc4x1.ifc"
    other.write_bytes(ifc_file.read_bytes().replace(b"FILE_SCHEMA(('IFC4'))",
                                                    b"FILE_SCHEMA(('IFC4X1'))"))
    with pytest.raises(ReaderError) as err:
        read_file(other)
    assert "'IFC4X1'" in str(err.value)
    assert all(s in str(err.value) for s in SUPPORTED_SCHEMAS)


@pytest.mark.parametrize("schema", ["IFC2X3", "IFC4", "IFC4X3"])
def test_supported_schemas_open(tmp_path, schema):
    info = make_test_building(tmp_path / "s.ifc", schema=schema, map_conversion=MAP)
    with open_ifc(info["path"]) as opened:
        assert opened.schema == {"IFC4X3": "IFC4X3_ADD2"}.get(schema, schema)
        assert opened.warnings == []
