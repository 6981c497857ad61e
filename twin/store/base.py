"""The store contract that every backend keeps (embedded GeoParquet, PostGIS)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..io.report import LayerData

__all__ = ["VersionInfo", "LayerInfo", "Store", "VersionCatalog", "StoreReader",
           "SpatialSearch", "AttributeSearch", "FileBacked", "ScenarioDeletion", "check_name"]

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

    def current_version(self, layer: str) -> int:
        """The version reads of ``layer`` return."""

    def raster_path(self, layer: str, version: int | None = None) -> Path:
        """A GeoTIFF file holding a raster layer, for rasterio to open."""

    def crs(self) -> str | None:
        """The working CRS its layers are held in (``"EPSG:4549"``); None while it holds
        no layer (it then takes any). An import in another CRS is refused."""


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
class AttributeSearch(Protocol):
    """A store that runs ``select``'s attribute filter itself (PostGIS, as a parametrised
    ``WHERE``), so that the query reads back only the matching rows
    (:func:`twin.query.pushdown.filtered`)."""

    def row_count(self, layer: str, version: int | None = None) -> int:
        """The rows of a layer version, without reading them."""

    def where_rows(self, layer: str, ast, *, version: int | None = None):
        """Positions of the rows where the parsed filter holds; None when the filter has
        no exact translation on this layer (the caller filters in memory)."""

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


class VersionCatalog(ABC):
    """One backend's catalog, open and locked for one write (:meth:`Store._catalog`).

    The version bookkeeping (numbering, kind clashes, base checks, current pointers) is
    :class:`Store`'s, written once; a backend only says how to look up and record. The
    ``staged`` values are what the backend's ``_stage_*`` methods returned for the data.
    """

    @abstractmethod
    def layer(self, name: str) -> tuple[str, int] | None:
        """``(kind, current version)`` of layer ``name``, or None."""

    @abstractmethod
    def layer_versions(self, name: str) -> list[int]:
        """The version numbers layer ``name`` has."""

    @abstractmethod
    def require_version(self, name: str, number: int) -> None:
        """Raise :class:`StoreError` unless layer ``name`` has a readable ``number``."""

    @abstractmethod
    def add_layer(self, name: str, kind: str) -> None:
        """Record a new layer (current 0 until :meth:`set_current`)."""

    @abstractmethod
    def add_version(self, name: str, number: int, staged, *, created, source: str,
                    source_sha256: str, report: dict, note: str) -> None:
        """Record version ``number`` of layer ``name`` holding the ``staged`` data."""

    @abstractmethod
    def set_current(self, name: str, number: int) -> None:
        """Make ``number`` the current version of layer ``name``."""

    @abstractmethod
    def scenario_current(self, name: str) -> int | None:
        """The current version of scenario ``name``; None when there is no such scenario
        (a deleted scenario has none, though its versions stay)."""

    @abstractmethod
    def scenario_versions(self, name: str) -> list[int]:
        """The version numbers scenario ``name`` has (a deleted one's too)."""

    @abstractmethod
    def add_scenario_version(self, name: str, number: int, staged, *, created) -> None:
        """Record version ``number`` of scenario ``name`` holding the ``staged`` document."""

    @abstractmethod
    def set_scenario_current(self, name: str, number: int | None) -> None:
        """Point scenario ``name`` at ``number``; None forgets the scenario (its versions
        stay)."""


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
    def raster_path(self, layer: str, version: int | None = None) -> Path:
        """A GeoTIFF file holding a raster layer's version, its checksum verified."""

    @abstractmethod
    def crs(self) -> str | None:
        """The working CRS the store holds its layers in, as the store recorded it when
        it was made (``"EPSG:4549"``); None while it holds no layer."""

    @abstractmethod
    def versions(self, layer: str) -> list[VersionInfo]:
        """Every version of ``layer``, oldest first."""

    @abstractmethod
    def current_version(self, layer: str) -> int:
        """The version number that reads return for ``layer``."""

    @abstractmethod
    def _catalog(self, what: str, names):
        """A context manager: the catalog locked for writing the ``what`` (``layer`` or
        ``scenario``) ``names`` and read afresh, yielding a :class:`VersionCatalog`; its
        changes are kept when the block ends without an error, and the data staged
        inside the enclosing :meth:`_writing` too."""

    @abstractmethod
    def _writing(self):
        """A context manager around one write: data staged inside it is removed again
        (files) or rolled back (a transaction) when the write fails."""

    @abstractmethod
    def _stage_layer(self, name: str, kind: str, data):
        """Write one layer version's data where no reader sees it yet; returns what
        :meth:`VersionCatalog.add_version` records."""

    @abstractmethod
    def _stage_scenario(self, name: str, doc: dict):
        """Write one scenario document; returns what
        :meth:`VersionCatalog.add_scenario_version` records."""

    @staticmethod
    def _now() -> str:
        """The time a version is created (UTC, ISO 8601 to the second)."""
        import datetime as _dt

        return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

    # -- the version bookkeeping, once for every backend -------------------------------
    def commit(self, layers: list[LayerData], *, report: dict | None = None,
               note: str = "") -> dict[str, int]:
        """Write every layer in ``layers`` as a new version in one atomic step.

        Returns ``{layer name: new version}``. ``report`` (the import report) is stored with
        each version. The data are written first; then, with the layers locked, each gets
        the next version number (after its highest, so concurrent writers never collide)
        and becomes current. A layer that holds another kind, or that was merged into a
        version that is no longer current, refuses the whole commit.
        """
        from ..errors import StoreError

        self.check_commit(layers)
        report = report or {}
        created = self._now()
        with self._writing():
            staged = [(item, self._stage_layer(item.name, item.kind, item.data))
                      for item in layers]
            with self._catalog("layer", [item.name for item in layers]) as cat:
                out = {}
                for item, data in staged:
                    row = cat.layer(item.name)
                    self.check_base(item, row[1] if row else 0)
                    if row is None:
                        cat.add_layer(item.name, item.kind)
                    elif row[0] != item.kind:
                        raise StoreError(
                            f"layer {item.name!r} holds kind {row[0]!r}, not {item.kind!r}",
                            hint="choose another --layer name")
                    number = max(cat.layer_versions(item.name), default=0) + 1
                    cat.add_version(item.name, number, data, created=created,
                                    source=report.get("source", ""),
                                    source_sha256=report.get("source_sha256", ""),
                                    report=report, note=note)
                    cat.set_current(item.name, number)
                    out[item.name] = number
        return out

    def rollback(self, layer: str, version: int) -> None:
        """Make ``version`` the current version of ``layer``; nothing is deleted."""
        with self._writing(), self._catalog("layer", [layer]) as cat:
            cat.require_version(layer, int(version))
            cat.set_current(layer, int(version))

    def import_layer(self, name: str, kind: str, versions, *, current: int) -> None:
        """Write layer ``name`` with a whole history taken from another store, atomically.

        ``versions`` yields ``(VersionInfo, data)`` pairs; each version keeps its number,
        ``created``, ``source``, ``source_sha256``, ``report`` and ``note``. ``current``
        becomes the current version. Refused when the layer already exists.
        """
        from ..errors import StoreError
        from ..kinds import get_kind

        check_name(name)
        get_kind(kind)
        if name in {info.name for info in self.layers()}:
            raise StoreError(f"layer {name!r} already exists", where=self._where(),
                             hint="copy into an empty store")
        with self._writing():
            staged = []
            for info, data in versions:
                number = int(info.version)
                if number in [n for n, _, _ in staged]:
                    raise StoreError(f"layer {name!r} version {number} is given twice")
                staged.append((number, info, self._stage_layer(name, kind, data)))
            numbers = [n for n, _, _ in staged]
            if int(current) not in numbers:
                raise StoreError(f"layer {name!r}: current version {current} is not among "
                                 f"the versions given {sorted(numbers)}")
            with self._catalog("layer", [name]) as cat:
                if cat.layer(name) is not None:
                    raise StoreError(f"layer {name!r} already exists", where=self._where(),
                                     hint="copy into an empty store")
                cat.add_layer(name, kind)
                for number, info, data in sorted(staged, key=lambda t: t[0]):
                    cat.add_version(name, number, data, created=info.created,
                                    source=info.source, source_sha256=info.source_sha256,
                                    report=info.report, note=info.note)
                cat.set_current(name, int(current))

    def save_scenario(self, name: str, data: dict) -> int:
        """Store a scenario document as a new version; returns the version (after the
        highest it ever had, so a deleted scenario's kept versions are never overwritten)."""
        check_name(name, "scenario")
        created = self._now()
        with self._writing():
            staged = self._stage_scenario(name, data)
            with self._catalog("scenario", [name]) as cat:
                number = max(cat.scenario_versions(name), default=0) + 1
                cat.add_scenario_version(name, number, staged, created=created)
                cat.set_scenario_current(name, number)
        return number

    def import_scenario(self, name: str, versions, *, current: int) -> None:
        """Write scenario ``name`` with its whole history, atomically: ``versions`` yields
        ``(meta, document)`` with ``meta`` as from :meth:`scenario_versions`. Refused when
        the scenario already exists (or has kept versions)."""
        from ..errors import StoreError

        check_name(name, "scenario")
        with self._writing():
            staged = [(int(meta["version"]), meta.get("created") or self._now(),
                       self._stage_scenario(name, doc)) for meta, doc in versions]
            numbers = [n for n, _, _ in staged]
            if len(set(numbers)) != len(numbers) or int(current) not in numbers:
                raise StoreError(f"scenario {name!r}: current version {current} is not among "
                                 f"the versions given {sorted(numbers)}")
            with self._catalog("scenario", [name]) as cat:
                if cat.scenario_versions(name):
                    raise StoreError(f"scenario {name!r} already exists", where=self._where(),
                                     hint="copy into an empty store")
                for number, created, doc in staged:
                    cat.add_scenario_version(name, number, doc, created=created)
                cat.set_scenario_current(name, int(current))

    def delete_scenario(self, name: str) -> None:
        """Forget a scenario: it leaves :meth:`scenarios`, and its saved versions stay for
        audit (saving the name again continues their numbering)."""
        from ..errors import StoreError

        with self._writing(), self._catalog("scenario", [name]) as cat:
            if cat.scenario_current(name) is None:
                raise StoreError(f"no scenario called {name!r}")
            cat.set_scenario_current(name, None)

    # -- attachments: files a scenario refers to (an uploaded IFC proposal) --------------
    @staticmethod
    def attachment_key(data: bytes, suffix: str) -> str:
        """The name an attachment is kept under: the first 32 hex digits of its sha256 (128
        bits) and ``suffix`` (``.ifc``)."""
        import hashlib

        if not re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix or ""):
            from ..errors import StoreError

            raise StoreError(f"invalid attachment suffix {suffix!r}", hint="e.g. .ifc")
        return hashlib.sha256(bytes(data)).hexdigest()[:32] + suffix.lower()

    @staticmethod
    def attachment_matches(key: str, data_sha256: str) -> bool:
        """True when content with ``data_sha256`` is what attachment ``key`` names."""
        return str(data_sha256).startswith(key.split(".", 1)[0])

    @abstractmethod
    def save_attachment(self, data: bytes, suffix: str) -> tuple[str, bool]:
        """Keep ``data`` in the store's attachment area (written atomically, named by its
        content); returns ``(key, new)``, ``new`` False when it was already there.
        :func:`twin.store.copy.copy_store` carries attachments with the twin."""

    @abstractmethod
    def attachments(self) -> list[str]:
        """The keys of the stored attachments, sorted."""

    @abstractmethod
    def read_attachment(self, key: str) -> bytes:
        """The bytes of attachment ``key`` (its sha256 checked)."""

    @abstractmethod
    def attachment_path(self, key: str) -> Path:
        """A local file holding attachment ``key``, for a reader that opens files."""

    @abstractmethod
    def delete_attachment(self, key: str) -> None:
        """Remove attachment ``key`` (a refused edit takes its new file back)."""

    def find_attachment(self, sha256: str) -> str | None:
        """The key of the attachment whose content has ``sha256``, or None."""
        return next((k for k in self.attachments() if self.attachment_matches(k, sha256)),
                    None)

    def _where(self) -> str:
        """Where this store is, for messages (no password)."""
        return getattr(self, "display_url", None) or self.url

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

    @abstractmethod
    def scenario_versions(self, name: str) -> list[dict]:
        """The versions of scenario ``name``, oldest first: dicts with ``version``,
        ``created``, ``sha256`` and ``current`` (True for the version loads return)."""
