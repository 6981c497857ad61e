"""Start-up: a command imports only what it runs, and every public import path still works."""

from __future__ import annotations

import subprocess
import sys

from ifc_factory import make_test_building


def _modules_after(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.splitlines()[-1].split())


def test_an_ifc_import_loads_no_reader_or_renderer_it_does_not_use(tmp_path):
    path = tmp_path / "small.ifc"
    make_test_building(path, storeys=1, extra_elements=2, with_space=False,
                       map_conversion={"crs": "EPSG:4549", "eastings": 490_000.0,
                                       "northings": 3_955_000.0})
    code = ("import os, sys\nos.environ['TWIN_CRS'] = 'EPSG:4549'\n"
            "from twin.cli import main\n"
            "assert main(['--store', sys.argv[1], 'import', sys.argv[2]]) == 0")
    loaded = _modules_after(code, str(tmp_path / "s"), str(path))
    assert "twin.io.ifc" in loaded and "ifcopenshell" in loaded
    for unused in ("pydeck", "rasterio", "pyogrio", "twin.io.geojson", "twin.io.ogr",
                   "twin.io.raster", "twin.io.table", "twin.scenario", "weasyprint",
                   "streamlit"):
        assert unused not in loaded, unused


def test_public_names_resolve_on_first_use():
    import twin
    import twin.io
    import twin.render
    import twin.tiles
    from twin import import_file, open_store
    from twin.importer import import_file as direct
    from twin.io import GeoJSONReader, IfcReader, ImportReport, reader_for  # noqa: F401
    from twin.render import build_deck, prepare_layer  # noqa: F401
    from twin.tiles import TILED_KINDS, tiles_after_import  # noqa: F401

    assert import_file is direct and callable(open_store)
    assert {"import_file", "open_store"} <= set(dir(twin))
    assert "build_deck" in dir(twin.render)
    try:
        twin.io.NoSuchReader  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchReader" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_the_lazy_registry_knows_each_readers_own_name_and_suffixes():
    """In a fresh process, so that no reader is made yet: what the registry declares for
    each reader is what the reader itself says once made."""
    script = """
from twin.io import readers
from twin.io.registry import _REGISTRY, _Pending
pending = {n: e.suffixes for n, e in _REGISTRY.items() if isinstance(e, _Pending)}
assert len(pending) == 5, pending
made = {r.name: tuple(s.lower() for s in r.suffixes) for r in readers()}
assert made == pending, (made, pending)
print(" ".join(made))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["geojson", "ogr", "ifc", "geotiff", "csv"]
