"""The geometry child process: a real crash, a timeout or a memory limit ends in a clear
ReaderError, the CLI keeps working, and a failing kernel falls back to OpenCASCADE."""

from __future__ import annotations

import pytest
from ifc_factory import make_test_building

from twin.cli import main
from twin.errors import ReaderError
from twin.ifc.geometry import run_geometry
from twin.importer import read_file

MAP = {"crs": "EPSG:4549", "eastings": 490_000.0, "northings": 3_955_000.0}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("child") / "b.ifc"
    return make_test_building(path, map_conversion=MAP)


def test_child_abort_is_a_clear_error_and_the_cli_keeps_working(model, store, capsys,
                                                                 monkeypatch):
    # documented debug hook: the child calls os.abort() (SIGABRT) after initialising
    monkeypatch.setenv("TWIN_IFC_DEBUG_CHILD", "abort")
    with pytest.raises(ReaderError) as err:
        read_file(model["path"])
    text = str(err.value)
    assert "crashed (SIGABRT)" in text and "b.ifc" in text
    assert "opencascade" in text  # the fallback kernel was tried, and crashed too
    code = main(["--store", str(store.root), "import", model["path"]])
    captured = capsys.readouterr()
    assert code == 1 and "SIGABRT" in captured.err and "Traceback" not in captured.err
    assert store.layers() == []
    # same process, hook removed: the CLI imports the file
    monkeypatch.delenv("TWIN_IFC_DEBUG_CHILD")
    assert main(["--store", str(store.root), "import", model["path"]]) == 0
    assert {i.name for i in store.layers()} == {"bim_element", "ifc_building", "ifc_storey"}


def test_child_timeout_is_a_clear_error(model, monkeypatch):
    monkeypatch.setenv("TWIN_IFC_DEBUG_CHILD", "hang")
    with pytest.raises(ReaderError, match="longer than 1.5 s"):
        read_file(model["path"], time_limit_s=1.5)


def test_child_memory_limit_is_a_clear_error(model):
    # 64 MB of address space is not enough to even load the geometry kernel
    with pytest.raises(ReaderError, match="out of memory \\(limit 64 MB\\)"):
        run_geometry(model["path"], memory_limit_mb=64)


def test_unknown_kernel_falls_back_to_opencascade(model):
    meshes = run_geometry(model["path"], kernel="no-such-kernel")
    assert meshes.kernel == "opencascade"
    assert meshes.attempts and meshes.attempts[0]["kernel"] == "no-such-kernel"
    assert len(meshes) == model["element_count"] - 2 - 1  # spaces and the proxy: no shape
