"""The store contract that every backend keeps (embedded GeoParquet, PostGIS)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..io.report import LayerData

__all__ = ["VersionInfo", "LayerInfo", "Store", "StoreReader", "SpatialSearch", "FileBacked",
           "ScenarioDeletion", "check_name"]

_NAME = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\-\u4e00-\u9fff]*")
_NAME_MAX_BYTES = 63  # PostgreSQL's identifier limit; one rule for both stores


def check_name(name: str, what: str = "layer") -> str:
    """Refuse layer or scenario names that are empty, too long (63 UTF-8 bytes) or could
    climb out of the store or pass for an option: letters, digits, Chinese, '_' and '-',
    starting with a letter, digit or Chinese character. Both stores use this one rule."""
    from ..errors import StoreError

    if not isinstance(name, str) or not name or not _NAME.fullmatch(name):
        raise StoreError(f"invalid {what} name {name!r}",
                         hint="use letters, digits, Chinese, '_' or '-', starting with a "
                              "letter, digit or Chinese character")
    if len(name.encode("utf-8")) > _NAME_MAX_BYTES:
        raise StoreError(f"{what} name {name[:20]!r}… is {len(name.encode('utf-8'))} bytes "
                         f"long (limit {_NAME_MAX_BYTES})", hint="choose a shorter name")
    return name


@dataclass
class VersionInfo:
    """One stored version of a layer."""

    layer: str
    version: int
    kind: str
    created: str
    rows: int
    sha256: str
    source: str = ""
    source_sha256: str = ""
    bbox: list[float] | None = None
    report: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return dict(self.__dict__)


@dataclass
class LayerInfo:
    """A layer as listed by :meth:`Store.layers`: its current version (with its checksum)
    and how many exist."""

    name: str
    kind: str
    current: int
    versions: int
    rows: int
    bbox: list[float] | None = None
    source: str = ""
    # the current version's checksum, of the backend's own stored form (so not compared
    # across backends, nor listed): a cache key for that version
    sha256: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (without the backend-specific checksum)."""
        return {k: v for k, v in self.__dict__.items() if k != "sha256"}


@runtime_checkable
class StoreReader(Protocol):
    """What reading a twin needs: a store, or a scenario's
    :class:`~twin.scenario.view.LayerView` over frames in memory."""

    def layers(self) -> list[LayerInfo]:
        """The layers, sorted by name."""

    def read(self, layer: str, *, bbox=None, columns=None, version: int | None = None):
        """One layer's data (a (Geo)DataFrame, or a raster's GeoTIFF bytes)."""

    def kind_of(self, layer: str) -> str:
        """The kind of ``layer``."""

    def layers_of_kind(self, kind: str) -> list[str]:
        """Names of the layers of one kind."""


@runtime_checkable
class SpatialSearch(Protocol):
    """A store that runs a spatial search itself (PostGIS, on its GiST indexes), so that a
    query reads back only the candidate rows (:mod:`twin.query.pushdown`)."""

    def row_count(self, layer: str, version: int | None = None) -> int:
        """The rows of a layer version, without reading them."""

    def dwithin_rows(self, layer: str, geometries, distance, *,
                     version: int | None = None):
        """Positions of the rows within ``distance`` of any of ``geometries``."""

    def read_rows(self, layer: str, rows, *, columns=None, version: int | None = None):
        """Only the rows at positions ``rows``, indexed by them."""


@runtime_checkable
class FileBacked(Protocol):
    """A store whose layer versions are files another engine can read (GeoParquet,
    GeoTIFF): the embedded store."""

    def data_file(self, layer: str, version: int | None = None) -> Path:
        """The file of a layer version, its checksum verified."""


@runtime_checkable
class ScenarioDeletion(Protocol):
    """A store that can forget a scenario (its versions stay for audit)."""

    def delete_scenario(self, name: str) -> None:
        """Remove ``name`` from the scenario list; its versions are kept."""


class Store(ABC):
    """A versioned layer store.

    Every commit writes a new version of each layer it touches, atomically: either all of
    its layers become current, or the store is unchanged. Old versions are kept and
    :meth:`rollback` moves a layer's current pointer back.
    """

    url: str

    @abstractmethod
    def layers(self) -> list[LayerInfo]:
        """The layers in the store, sorted by name."""

    @abstractmethod
    def read(self, layer: str, *, bbox=None, columns=None, version: int | None = None):
        """Read a layer (its current version unless ``version``) as a (Geo)DataFrame.

        ``bbox`` is ``(minx, miny, maxx, maxy)`` in the working CRS; ``columns`` limits the
        attribute columns (the geometry always comes with a geometry layer). A raster layer
        returns the GeoTIFF's bytes.
        """

    @abstractmethod
    def commit(self, layers: list[LayerData], *, report: dict | None = None,
               note: str = "") -> dict[str, int]:
        """Write every layer in ``layers`` as a new version in one atomic step.

        Returns ``{layer name: new version}``. ``report`` (the import report) is stored with
        each version.
        """

    @abstractmethod
    def versions(self, layer: str) -> list[VersionInfo]:
        """Every version of ``layer``, oldest first."""

    @abstractmethod
    def current_version(self, layer: str) -> int:
        """The version number that reads return for ``layer``."""

    @abstractmethod
    def rollback(self, layer: str, version: int) -> None:
        """Make ``version`` the current version of ``layer``; nothing is deleted."""

    @abstractmethod
    def save_scenario(self, name: str, data: dict) -> int:
        """Store a scenario document as a new version; returns the version."""

    @abstractmethod
    def load_scenario(self, name: str, version: int | None = None) -> dict:
        """The latest (or given) version of a scenario document."""

    @abstractmethod
    def scenarios(self) -> list[str]:
        """Names of stored scenarios."""

    @staticmethod
    def check_base(item: LayerData, current: int) -> None:
        """Refuse ``item`` when it was merged into another version than the ``current`` one
        (0: no such layer); called with the layer locked."""
        from ..errors import StoreError

        if item.base_version is not None and int(item.base_version) != int(current):
            raise StoreError(
                f"layer {item.name!r} changed during the import: it was merged into version "
                f"{item.base_version}, but version {current} is current now",
                hint="import the file again; nothing was written")

    @staticmethod
    def check_commit(layers: list[LayerData]) -> None:
        """Refuse a commit before anything is written: no layers, a bad or repeated layer
        name, or a layer that breaks its kind's contract."""
        from ..errors import StoreError
        from ..kinds import get_kind, validate

        if not layers:
            raise StoreError("nothing to commit: the import produced no layers")
        names = [check_name(item.name) for item in layers]
        if len(set(names)) != len(names):
            raise StoreError(f"one commit names a layer twice: {names}")
        for item in layers:
            kind = get_kind(item.kind)
            if not kind.is_raster:
                validate(item.data, kind, layer=item.name)
            elif not isinstance(item.data, (bytes, bytearray, memoryview)):
                raise StoreError(f"layer {item.name!r} is a {kind.name} raster, but its data is "
                                 f"{type(item.data).__name__}, not the GeoTIFF's bytes",
                                 hint="read the raster with the GeoTIFF reader")

    def kind_of(self, layer: str) -> str:
        """The kind of ``layer``."""
        for info in self.layers():
            if info.name == layer:
                return info.kind
        from ..errors import StoreError

        raise StoreError(f"no layer called {layer!r}", where=self.url,
                         hint="see `twin layers` for the layers in this store")

    def layers_of_kind(self, kind: str) -> list[str]:
        """Names of the layers of one kind."""
        return [info.name for info in self.layers() if info.kind == kind]

    def export(self, layer: str, out, *, driver: str | None = None) -> Path:
        """Export a layer's current version to GeoPackage, GeoJSON (RFC 7946, WGS84),
        GeoParquet or CSV, chosen by ``driver`` or by the suffix of ``out``."""
        from .export import export_frame

        return export_frame(self.read(layer), Path(out), driver=driver, layer=layer,
                            kind=self.kind_of(layer))

    # -- moving a whole twin between stores (twin.store.copy) ------------------------------
    def scenario_versions(self, name: str) -> list[dict]:
        """The versions of scenario ``name``, oldest first: dicts with ``version``,
        ``created``, ``sha256`` and ``current`` (True for the version loads return)."""
        from ..errors import StoreError

        raise StoreError(f"{type(self).__name__} cannot list scenario versions")

    def import_layer(self, name: str, kind: str, versions, *, current: int) -> None:
        """Write layer ``name`` with a whole history taken from another store, atomically.

        ``versions`` yields ``(VersionInfo, data)`` pairs; each version keeps its number,
        ``created``, ``source``, ``source_sha256``, ``report`` and ``note``. ``current``
        becomes the current version. Refused when the layer already exists.
        """
        from ..errors import StoreError

        raise StoreError(f"{type(self).__name__} cannot import layer histories")

    def import_scenario(self, name: str, versions, *, current: int) -> None:
        """Write scenario ``name`` with its whole history, atomically: ``versions`` yields
        ``(meta, document)`` with ``meta`` as from :meth:`scenario_versions`. Refused when
        the scenario already exists."""
        from ..errors import StoreError

        raise StoreError(f"{type(self).__name__} cannot import scenario histories")
