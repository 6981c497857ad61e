"""The geometry child process: a real crash, a timeout or a memory limit ends in a clear
ReaderError, the CLI keeps working, and a failing kernel falls back to OpenCASCADE.

Both ways of starting the child are exercised: ``fork`` (the default, a fork of the
importing process) and ``spawn`` (a fresh ``python -I geometry_worker.py``)."""

from __future__ import annotations

import pytest
from ifc_factory import make_test_building

from twin.cli import main
from twin.errors import ReaderError
from twin.ifc.geometry import run_geometry
from twin.importer import read_file

MAP = {"crs": "EPSG:4549", "eastings": 490_000.0, "northings": 3_955_000.0}
METHODS = ["fork", "spawn"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("child") / "b.ifc"
    return make_test_building(path, map_conversion=MAP)


@pytest.mark.parametrize("method", METHODS)
def test_child_abort_is_a_clear_error_and_the_cli_keeps_working(model, store, capsys,
                                                                 monkeypatch, method):
    monkeypatch.setenv("TWIN_IFC_START", method)
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


@pytest.mark.parametrize("method", METHODS)
def test_child_timeout_is_a_clear_error(model, monkeypatch, method):
    monkeypatch.setenv("TWIN_IFC_DEBUG_CHILD", "hang")
    with pytest.raises(ReaderError, match="longer than 1.5 s"):
        read_file(model["path"], time_limit_s=1.5, start_method=method)


@pytest.mark.parametrize("method", METHODS)
def test_child_memory_limit_is_a_clear_error(model, monkeypatch, method):
    # debug hook: after initialising, the child allocates until RLIMIT_AS stops it
    monkeypatch.setenv("TWIN_IFC_DEBUG_CHILD", "hog")
    with pytest.raises(ReaderError, match="out of memory"):
        read_file(model["path"], memory_limit_mb=512, start_method=method)


def test_spawned_child_too_small_to_load_the_kernel(model):
    # 64 MB of address space is not enough to even load the geometry kernel
    with pytest.raises(ReaderError, match="out of memory \\(limit 64 MB\\)"):
        run_geometry(model["path"], memory_limit_mb=64)


@pytest.mark.parametrize("method", METHODS)
def test_unknown_kernel_falls_back_to_opencascade(model, method):
    result = read_file(model["path"], kernel="no-such-kernel", start_method=method)
    geometry = result.report.extra["geometry"]
    assert geometry["kernel"] == "opencascade"
    assert geometry["attempts"][0]["kernel"] == "no-such-kernel"
    assert geometry["elements_meshed"] == model["element_count"] - 2 - 1  # spaces, proxy
