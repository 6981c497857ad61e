"""Import a source file into the store: pick the reader, read, validate, commit one version.

This is the one path every import takes: the CLI's ``twin import``, the app's Import page
and the demo builder all call :func:`import_file`.

Example
-------
>>> from twin.importer import import_file
>>> from twin.store import open_store
>>> versions, report = import_file(open_store("layers"), "parcels.geojson", kind="parcel")
... # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path

from .io import reader_for
from .io.report import ImportReport, ImportResult, file_sha256
from .store.base import Store

__all__ = ["read_file", "import_file"]


def read_file(path, *, format: str | None = None, **options) -> ImportResult:
    """Read ``path`` with its reader and fill in the report's source, hash and timing.

    Nothing is written. ``options`` go to the reader (``kind``, ``layer``, ``crs``,
    ``mapping``, ``on_invalid``, ``progress``, ``anchor``...).
    """
    path = Path(path)
    reader = reader_for(path, format)
    t0 = time.perf_counter()
    result = reader.read(path, **options)
    report: ImportReport = result.report
    report.source = str(path)
    report.source_sha256 = file_sha256(path)
    report.reader = reader.name
    report.timings.setdefault("read_s", round(time.perf_counter() - t0, 4))
    return result


def import_file(store: Store, path, *, format: str | None = None, note: str = "",
                **options) -> tuple[dict[str, int], ImportReport]:
    """Read ``path`` and commit its layers to ``store`` as new versions.

    Returns ``({layer: version}, report)``. On any error nothing is written.
    """
    result = read_file(path, format=format, **options)
    t0 = time.perf_counter()
    versions = store.commit(result.layers, report=result.report.to_dict(), note=note)
    result.report.timings["commit_s"] = round(time.perf_counter() - t0, 4)
    return versions, result.report
