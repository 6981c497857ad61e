"""What a reader hands to the store: layers ready to write, and the import report."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ImportReport", "LayerData", "ImportResult", "file_sha256"]


def file_sha256(path) -> str:
    """The sha256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ImportReport:
    """The record of one import, returned to the caller and stored with the version.

    ``repairs`` and ``warnings`` are lists of dicts with at least ``feature`` (id or index,
    or an IFC GlobalId) and ``reason``; ``nulls`` counts missing required values per column;
    ``extra`` holds reader-specific sections (georeferencing decision, counts by class...).
    """

    source: str = ""
    source_sha256: str = ""
    reader: str = ""
    kind: str = ""
    crs: str = ""
    source_crs: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    nulls: dict[str, int] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def warn(self, feature, reason: str, **more) -> None:
        """Record a warning about one feature (or ``None`` for the whole file)."""
        self.warnings.append({"feature": _plain(feature), "reason": reason, **more})

    def repaired(self, feature, reason: str, **more) -> None:
        """Record a repair made to one feature."""
        self.repairs.append({"feature": _plain(feature), "reason": reason, **more})

    def skip(self, feature, reason: str, **more) -> None:
        """Record a feature or element left out of the layer."""
        self.skipped.append({"feature": _plain(feature), "reason": reason, **more})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the report."""
        return json.loads(json.dumps(asdict(self), default=_plain))


def _plain(value):
    """Turn numpy scalars and other odd values into JSON-friendly ones."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "item"):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, Path):
        return str(value)
    return str(value)


@dataclass
class LayerData:
    """One layer to write: its store name, kind and content.

    ``data`` is a GeoDataFrame (geometry kinds), a DataFrame (table kinds) or the bytes of a
    GeoTIFF (raster kinds). Binary per-row payloads (BIM meshes) are ordinary ``bytes``
    columns of the frame.

    ``replace_key`` (optional, e.g. ``"building_id"``) asks the importer to merge instead of
    replace: rows of the layer's current version whose key value (or kind id) appears in
    ``data`` are dropped, the others are kept, and the union becomes the new version.
    ``base_version`` is then the version that union was built from (0: the layer did not
    exist): the store refuses the commit when another import has moved the layer on
    meanwhile, instead of dropping that import's rows.
    """

    name: str
    kind: str
    data: Any
    replace_key: str | None = None
    base_version: int | None = None


@dataclass
class ImportResult:
    """What ``Reader.read`` returns: the layers and the report."""

    layers: list[LayerData]
    report: ImportReport
