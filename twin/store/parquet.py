"""The embedded layer store: a folder of GeoParquet files and one ``catalog.json``.

Layout::

    layers/
      catalog.json              layers, their versions and current pointers; scenarios
      catalog.lock              filelock guarding catalog writers
      <layer>/<uuid>.parquet    one file per layer version (GeoTIFF for rasters)
      scenarios/<name>/<uuid>.json
      attachments/<sha256>.<ext> files scenarios refer to (an uploaded IFC proposal)

A commit first writes every data file atomically under a fresh name, then takes the lock,
re-reads the catalog, appends the versions and replaces the catalog atomically. A writer
killed at any point leaves the previous catalog, which never references a partial file.
Each file's sha256 is in the catalog and is checked when the file is read.

Example
-------
>>> from twin.store import open_store
>>> store = open_store("layers")
>>> [info.name for info in store.layers()]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd
from filelock import FileLock, Timeout

from ..crs import working_crs
from ..errors import StoreError
from ..io.report import LayerData, file_sha256
from ..kinds import get_kind
from .atomic import TMP_PREFIX, atomic_path, atomic_write_bytes
from .base import LayerInfo, Store, VersionCatalog, VersionInfo

__all__ = ["ParquetStore"]

CATALOG = "catalog.json"
FORMAT = "twin-store/1"
ATTACHMENTS = "attachments"  # files scenarios refer to, by content: <sha256><suffix>


# the files the current write (in this thread) added, removed again if it fails
_WRITTEN: contextvars.ContextVar[list | None] = contextvars.ContextVar("twin_written",
                                                                       default=None)


@contextlib.contextmanager
def _discard_on_failure():
    """Collect the files a write adds; when the write fails, remove them (and their folder
    once it is empty), so that a failed import leaves nothing behind."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        raise


class ParquetStore(Store):
    """The embedded GeoParquet store in a folder (created on first write)."""

    def __init__(self, root, *, lock_timeout: float = 60.0):
        self.root = Path(root)
        self.url = str(self.root)
        self.lock_timeout = lock_timeout
        self._hash_cache: dict[tuple[str, int, int], str] = {}

    # -- catalog -------------------------------------------------------------------------
    @property
    def catalog_path(self) -> Path:
        """Path of ``catalog.json``."""
        return self.root / CATALOG

    def crs(self) -> str | None:
        """The catalog's ``crs`` (the working CRS the store was made with); None while the
        store holds no layer."""
        if not self.catalog_path.exists():
            return None
        catalog = self._load_catalog()
        return catalog.get("crs") if catalog.get("layers") else None

    def _empty_catalog(self) -> dict:
        return {"format": FORMAT, "crs": working_crs().to_string(), "layers": {},
                "scenarios": {}}

    def _load_catalog(self) -> dict:
        try:
            text = self.catalog_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._empty_catalog()
        try:
            cat = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StoreError(f"catalog is not valid JSON ({exc})", path=self.catalog_path,
                             hint="restore catalog.json from a backup") from None
        if cat.get("format") != FORMAT:
            raise StoreError(f"unknown store format {cat.get('format')!r}",
                             path=self.catalog_path)
        return cat

    def _write_catalog(self, cat: dict) -> None:
        data = json.dumps(cat, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        atomic_write_bytes(self.catalog_path, data)

    @contextlib.contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / "catalog.lock"), timeout=self.lock_timeout)
        try:
            with lock:
                yield
        except Timeout:
            raise StoreError("another writer holds the store lock", path=self.root,
                             hint="wait for the other import to finish and try again") from None

    def _layer_entry(self, cat: dict, layer: str) -> dict:
        try:
            return cat["layers"][layer]
        except KeyError:
            known = ", ".join(sorted(cat["layers"])) or "none"
            raise StoreError(f"no layer called {layer!r}", where=str(self.root),
                             hint=f"layers in this store: {known}") from None

    # -- reading -------------------------------------------------------------------------
    def layers(self) -> list[LayerInfo]:
        """The layers in the store, sorted by name."""
        cat = self._load_catalog()
        out = []
        for name in sorted(cat["layers"]):
            entry = cat["layers"][name]
            cur = self._version_entry(entry, entry["current"], name)
            out.append(LayerInfo(name=name, kind=entry["kind"], current=entry["current"],
                                 versions=len(entry["versions"]), rows=cur["rows"],
                                 bbox=cur.get("bbox"), source=cur.get("source", ""),
                                 sha256=cur.get("sha256", "")))
        return out

    @staticmethod
    def _version_entry(entry: dict, version: int, layer: str) -> dict:
        for v in entry["versions"]:
            if v["version"] == version:
                return v
        have = [v["version"] for v in entry["versions"]]
        raise StoreError(f"layer {layer!r} has no version {version}",
                         hint=f"versions: {have}")

    def versions(self, layer: str) -> list[VersionInfo]:
        """Every version of ``layer``, oldest first."""
        entry = self._layer_entry(self._load_catalog(), layer)
        return [_version_info(layer, entry["kind"], v) for v in entry["versions"]]

    def current_version(self, layer: str) -> int:
        """The version that reads return."""
        return self._layer_entry(self._load_catalog(), layer)["current"]

    def _checked_file(self, layer: str, ventry: dict) -> Path:
        path = self.root / ventry["file"]
        try:
            st = path.stat()
        except FileNotFoundError:
            raise StoreError(f"layer {layer!r} version {ventry['version']} is missing its file "
                             f"{ventry['file']}", where=str(self.root),
                             hint=f"roll back with `twin rollback {layer} VERSION`") from None
        key = (str(path), st.st_size, st.st_mtime_ns)
        digest = self._hash_cache.get(key)
        if digest is None:
            digest = file_sha256(path)
            if digest == ventry["sha256"]:
                self._hash_cache[key] = digest
        if digest != ventry["sha256"]:
            earlier = ventry["version"] - 1
            hint = (f"roll back with `twin rollback {layer} {earlier}`" if earlier >= 1
                    else "re-import the source")
            raise StoreError(f"layer {layer!r} version {ventry['version']} is corrupt "
                             f"(sha256 mismatch in {ventry['file']})", where=str(self.root),
                             hint=hint)
        return path

    def read(self, layer: str, *, bbox=None, columns=None, version: int | None = None):
        """Read a layer version as a GeoDataFrame (geometry kinds), DataFrame (tables) or
        bytes (rasters); ``bbox`` filters by the GeoParquet bbox covering column."""
        cat = self._load_catalog()
        entry = self._layer_entry(cat, layer)
        ventry = self._version_entry(entry, version or entry["current"], layer)
        path = self._checked_file(layer, ventry)
        kind = get_kind(entry["kind"])
        if kind.is_raster:
            return path.read_bytes()
        cols = None if columns is None else list(dict.fromkeys(columns))
        try:
            if kind.is_table:
                frame = pd.read_parquet(path, columns=cols)
            else:
                if cols is not None and "geometry" not in cols:
                    cols.append("geometry")
                frame = gpd.read_parquet(path, columns=cols,
                                         bbox=tuple(bbox) if bbox is not None else None)
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read layer {layer!r} version {ventry['version']}: {exc}",
                             where=str(self.root)) from None
        return frame

    def data_file(self, layer: str, version: int | None = None) -> Path:
        """The file of a layer version (current unless ``version``), its sha256 checked, for
        an engine that reads GeoParquet or GeoTIFF itself (dask-geopandas, rasterio)."""
        cat = self._load_catalog()
        entry = self._layer_entry(cat, layer)
        return self._checked_file(layer, self._version_entry(entry, version or entry["current"],
                                                             layer))

    def raster_path(self, layer: str, version: int | None = None) -> Path:
        """The checked GeoTIFF path of a raster layer (for rasterio to open directly)."""
        return self.data_file(layer, version)

    # -- writing -------------------------------------------------------------------------
    def _write_data(self, item: LayerData) -> tuple[str, dict]:
        kind = get_kind(item.kind)
        stem = uuid.uuid4().hex[:16]
        meta: dict = {}
        if kind.is_raster:
            rel = f"{item.name}/{stem}.tif"
            atomic_write_bytes(self.root / rel, bytes(item.data))
            meta["rows"] = 1
        else:
            rel = f"{item.name}/{stem}.parquet"
            frame = item.data
            with atomic_path(self.root / rel) as tmp:
                if kind.is_table:
                    pd.DataFrame(frame).to_parquet(tmp, index=False, compression="zstd")
                else:
                    frame.to_parquet(tmp, index=False, compression="zstd",
                                     write_covering_bbox=True, schema_version="1.1.0")
            meta["rows"] = len(frame)
            if not kind.is_table and len(frame):
                meta["bbox"] = [round(float(v), 3) for v in frame.total_bounds]
        return rel, meta

    # -- the backend's part of the bookkeeping (see Store.commit) ------------------------
    @contextlib.contextmanager
    def _writing(self):
        with _discard_on_failure() as written:
            token = _WRITTEN.set(written)
            try:
                yield
            finally:
                _WRITTEN.reset(token)

    def _track(self, rel: str) -> None:
        written = _WRITTEN.get()
        if written is not None:
            written.append(self.root / rel)

    def _stage_layer(self, name: str, kind: str, data) -> dict:
        rel, meta = self._write_data(LayerData(name, kind, data))
        self._track(rel)
        return {"file": rel, "sha256": file_sha256(self.root / rel), **meta}

    def _stage_scenario(self, name: str, doc: dict) -> dict:
        rel = f"scenarios/{name}/{uuid.uuid4().hex[:16]}.json"
        atomic_write_bytes(self.root / rel, json.dumps(
            doc, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
        self._track(rel)
        return {"file": rel, "sha256": file_sha256(self.root / rel)}

    @contextlib.contextmanager
    def _catalog(self, what: str, names):
        with self._locked():
            cat = _JsonCatalog(self, self._load_catalog())
            yield cat
            self._write_catalog(cat.doc)

    # -- attachments ---------------------------------------------------------------------
    def _attachment_file(self, key: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}\.[a-z0-9]{1,10}", str(key)):
            raise StoreError(f"no attachment called {key!r}", where=str(self.root))
        return self.root / ATTACHMENTS / key

    def save_attachment(self, data: bytes, suffix: str) -> tuple[str, bool]:
        """Keep ``data`` as ``attachments/<sha256><suffix>`` (see :class:`Store`)."""
        key = self.attachment_key(data, suffix)
        path = self._attachment_file(key)
        if path.exists() and self.attachment_matches(key, file_sha256(path)):
            return key, False
        atomic_write_bytes(path, bytes(data))
        return key, True

    def attachments(self) -> list[str]:
        """The keys of the stored attachments, sorted."""
        folder = self.root / ATTACHMENTS
        return sorted(p.name for p in folder.iterdir() if p.is_file()
                      and not p.name.startswith(TMP_PREFIX)) if folder.is_dir() else []

    def attachment_path(self, key: str) -> Path:
        """The file of attachment ``key``, its sha256 checked."""
        path = self._attachment_file(key)
        if not path.is_file():
            raise StoreError(f"no attachment called {key!r}", where=str(self.root))
        if not self.attachment_matches(key, file_sha256(path)):
            raise StoreError(f"attachment {key!r} is corrupt (sha256 mismatch)",
                             where=str(self.root), hint="add the file again")
        return path

    def read_attachment(self, key: str) -> bytes:
        """The bytes of attachment ``key`` (its sha256 checked)."""
        return self.attachment_path(key).read_bytes()

    def delete_attachment(self, key: str) -> None:
        """Remove attachment ``key``."""
        self._attachment_file(key).unlink(missing_ok=True)

    def orphans(self) -> list[Path]:
        """Data files no catalog version references (left by a killed writer)."""
        cat = self._load_catalog()
        known = {v["file"] for e in cat["layers"].values() for v in e["versions"]}
        known |= {v["file"] for e in cat["scenarios"].values() for v in e["versions"]}
        out = []
        if not self.root.exists():
            return out
        for path in self.root.rglob("*"):
            if path.is_file() and path.suffix in {".parquet", ".tif", ".json"} \
                    and path.name != CATALOG:
                rel = path.relative_to(self.root).as_posix()
                if rel not in known or path.name.startswith(TMP_PREFIX):
                    out.append(path)
        return out

    # -- scenarios -----------------------------------------------------------------------
    def load_scenario(self, name: str, version: int | None = None) -> dict:
        """The current (or given) version of a scenario document."""
        cat = self._load_catalog()
        entry = cat["scenarios"].get(name)
        if entry is None or not entry["current"]:
            raise StoreError(f"no scenario called {name!r}",
                             hint="create it with `twin scenario new NAME`")
        ventry = self._version_entry(entry, version or entry["current"], name)
        path = self._checked_file(f"scenario {name}", ventry)
        return json.loads(path.read_text(encoding="utf-8"))

    def scenarios(self) -> list[str]:
        """Names of stored scenarios."""
        return sorted(n for n, e in self._load_catalog()["scenarios"].items() if e["current"])

    def scenario_versions(self, name: str) -> list[dict]:
        """The versions of scenario ``name``, oldest first (see :class:`Store`)."""
        entry = self._load_catalog()["scenarios"].get(name)
        if entry is None or not entry["current"]:
            raise StoreError(f"no scenario called {name!r}")
        return [{"version": v["version"], "created": v["created"], "sha256": v["sha256"],
                 "current": v["version"] == entry["current"]} for v in entry["versions"]]


class _JsonCatalog(VersionCatalog):
    """``catalog.json``, loaded under the store's lock (see :meth:`ParquetStore._catalog`)."""

    def __init__(self, store: ParquetStore, doc: dict):
        self.store = store
        self.doc = doc

    def layer(self, name):
        entry = self.doc["layers"].get(name)
        return None if entry is None else (entry["kind"], entry["current"])

    def layer_versions(self, name):
        entry = self.doc["layers"].get(name)
        return [] if entry is None else [v["version"] for v in entry["versions"]]

    def require_version(self, name, number):
        entry = self.store._layer_entry(self.doc, name)
        self.store._checked_file(name, self.store._version_entry(entry, number, name))

    def add_layer(self, name, kind):
        if not self.doc["layers"]:
            # the first layer fixes the store's CRS: the catalog may be older than it (a
            # scenario saved first, under another $TWIN_CRS)
            self.doc["crs"] = working_crs().to_string()
        self.doc["layers"][name] = {"kind": kind, "current": 0, "versions": []}

    def add_version(self, name, number, staged, *, created, source, source_sha256, report,
                    note):
        versions = self.doc["layers"][name]["versions"]
        versions.append({
            "version": number, "file": staged["file"], "sha256": staged["sha256"],
            "created": created, "rows": staged["rows"], "bbox": staged.get("bbox"),
            "source": source, "source_sha256": source_sha256, "report": report, "note": note,
        })
        versions.sort(key=lambda v: v["version"])

    def set_current(self, name, number):
        self.doc["layers"][name]["current"] = int(number)

    def scenario_current(self, name):
        entry = self.doc["scenarios"].get(name)
        return entry["current"] if entry and entry["current"] else None

    def scenario_versions(self, name):
        entry = self.doc["scenarios"].get(name)
        return [] if entry is None else [v["version"] for v in entry["versions"]]

    def add_scenario_version(self, name, number, staged, *, created):
        entry = self.doc["scenarios"].setdefault(name, {"current": 0, "versions": []})
        entry["versions"].append({"version": number, "file": staged["file"],
                                  "created": created, "sha256": staged["sha256"]})
        entry["versions"].sort(key=lambda v: v["version"])

    def set_scenario_current(self, name, number):
        # 0: forgotten (not listed, not loadable); its versions stay in the catalog
        self.doc["scenarios"][name]["current"] = int(number or 0)


def _version_info(layer: str, kind: str, v: dict) -> VersionInfo:
    return VersionInfo(layer=layer, version=v["version"], kind=kind, created=v["created"],
                       rows=v["rows"], sha256=v["sha256"], source=v.get("source", ""),
                       source_sha256=v.get("source_sha256", ""), bbox=v.get("bbox"),
                       report=v.get("report", {}), note=v.get("note", ""))
