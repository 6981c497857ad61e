"""The embedded layer store: a folder of GeoParquet files and one ``catalog.json``.

Layout::

    layers/
      catalog.json              layers, their versions and current pointers; scenarios
      catalog.lock              filelock guarding catalog writers
      <layer>/<uuid>.parquet    one file per layer version (GeoTIFF for rasters)
      scenarios/<name>/<uuid>.json

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
import datetime as _dt
import json
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
from .base import LayerInfo, Store, VersionInfo, check_name

__all__ = ["ParquetStore"]

CATALOG = "catalog.json"
FORMAT = "twin-store/1"


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


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


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

    def commit(self, layers: list[LayerData], *, report: dict | None = None,
               note: str = "") -> dict[str, int]:
        """Write each layer as a new version in one atomic catalog update."""
        self.check_commit(layers)
        report = report or {}
        with _discard_on_failure() as written:
            files = []
            for item in layers:
                rel, meta = self._write_data(item)
                written.append(self.root / rel)
                files.append((item, rel, meta, file_sha256(self.root / rel)))
            with self._locked():
                cat = self._load_catalog()
                out = {}
                for item, rel, meta, digest in files:
                    entry = cat["layers"].get(item.name)
                    self.check_base(item, entry["current"] if entry else 0)
                    if entry is None:
                        entry = cat["layers"][item.name] = {"kind": item.kind, "current": 0,
                                                            "versions": []}
                    elif entry["kind"] != item.kind:
                        raise StoreError(
                            f"layer {item.name!r} holds kind {entry['kind']!r}, not {item.kind!r}",
                            hint="choose another --layer name")
                    number = max((v["version"] for v in entry["versions"]), default=0) + 1
                    entry["versions"].append({
                        "version": number, "file": rel, "sha256": digest, "created": _now(),
                        "rows": meta["rows"], "bbox": meta.get("bbox"),
                        "source": report.get("source", ""),
                        "source_sha256": report.get("source_sha256", ""),
                        "report": report, "note": note,
                    })
                    entry["current"] = number
                    out[item.name] = number
                self._write_catalog(cat)
        return out

    def import_layer(self, name: str, kind: str, versions, *, current: int) -> None:
        """Write ``name`` with a whole history from another store (see :class:`Store`): the
        files first, then one catalog update; refused when the layer exists."""
        check_name(name)
        get_kind(kind)
        if name in self._load_catalog()["layers"]:
            raise StoreError(f"layer {name!r} already exists", where=str(self.root),
                             hint="copy into an empty store")
        with _discard_on_failure() as written:
            entries = []
            for info, data in versions:
                rel, meta = self._write_data(LayerData(name, kind, data))
                written.append(self.root / rel)
                entries.append({
                    "version": int(info.version), "file": rel,
                    "sha256": file_sha256(self.root / rel), "created": info.created,
                    "rows": meta["rows"], "bbox": meta.get("bbox"), "source": info.source,
                    "source_sha256": info.source_sha256, "report": info.report,
                    "note": info.note,
                })
            numbers = [e["version"] for e in entries]
            if len(set(numbers)) != len(numbers) or int(current) not in numbers:
                raise StoreError(f"layer {name!r}: versions {numbers} with current {current} "
                                 "are not a valid history")
            with self._locked():
                cat = self._load_catalog()
                if name in cat["layers"]:
                    raise StoreError(f"layer {name!r} already exists", where=str(self.root))
                cat["layers"][name] = {"kind": kind, "current": int(current),
                                       "versions": sorted(entries, key=lambda e: e["version"])}
                self._write_catalog(cat)

    def rollback(self, layer: str, version: int) -> None:
        """Point ``layer`` at an earlier (or later) existing version; nothing is deleted."""
        with self._locked():
            cat = self._load_catalog()
            entry = self._layer_entry(cat, layer)
            ventry = self._version_entry(entry, int(version), layer)
            self._checked_file(layer, ventry)
            entry["current"] = int(version)
            self._write_catalog(cat)

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
    def save_scenario(self, name: str, data: dict) -> int:
        """Store a scenario document as a new version."""
        check_name(name, "scenario")
        rel = f"scenarios/{name}/{uuid.uuid4().hex[:16]}.json"
        payload = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        atomic_write_bytes(self.root / rel, payload)
        try:
            with self._locked():
                cat = self._load_catalog()
                entry = cat["scenarios"].setdefault(name, {"current": 0, "versions": []})
                number = max((v["version"] for v in entry["versions"]), default=0) + 1
                entry["versions"].append({"version": number, "file": rel, "created": _now(),
                                          "sha256": file_sha256(self.root / rel)})
                entry["current"] = number
                self._write_catalog(cat)
        except BaseException:
            with contextlib.suppress(OSError):
                (self.root / rel).unlink()
            raise
        return number

    def load_scenario(self, name: str, version: int | None = None) -> dict:
        """The current (or given) version of a scenario document."""
        cat = self._load_catalog()
        entry = cat["scenarios"].get(name)
        if entry is None:
            raise StoreError(f"no scenario called {name!r}",
                             hint="create it with `twin scenario new NAME`")
        ventry = self._version_entry(entry, version or entry["current"], name)
        path = self._checked_file(f"scenario {name}", ventry)
        return json.loads(path.read_text(encoding="utf-8"))

    def scenarios(self) -> list[str]:
        """Names of stored scenarios."""
        return sorted(self._load_catalog()["scenarios"])

    def scenario_versions(self, name: str) -> list[dict]:
        """The versions of scenario ``name``, oldest first (see :class:`Store`)."""
        entry = self._load_catalog()["scenarios"].get(name)
        if entry is None:
            raise StoreError(f"no scenario called {name!r}")
        return [{"version": v["version"], "created": v["created"], "sha256": v["sha256"],
                 "current": v["version"] == entry["current"]} for v in entry["versions"]]

    def import_scenario(self, name: str, versions, *, current: int) -> None:
        """Write scenario ``name`` with its whole history (see :class:`Store`)."""
        check_name(name, "scenario")
        with _discard_on_failure() as written:
            entries = []
            for meta, doc in versions:
                rel = f"scenarios/{name}/{uuid.uuid4().hex[:16]}.json"
                atomic_write_bytes(self.root / rel, json.dumps(
                    doc, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
                written.append(self.root / rel)
                entries.append({"version": int(meta["version"]), "file": rel,
                                "created": meta.get("created", _now()),
                                "sha256": file_sha256(self.root / rel)})
            if int(current) not in [e["version"] for e in entries]:
                raise StoreError(f"scenario {name!r}: current version {current} is missing")
            with self._locked():
                cat = self._load_catalog()
                if name in cat["scenarios"]:
                    raise StoreError(f"scenario {name!r} already exists", where=str(self.root),
                                     hint="copy into an empty store")
                cat["scenarios"][name] = {"current": int(current), "versions": entries}
                self._write_catalog(cat)

    def delete_scenario(self, name: str) -> None:
        """Forget a scenario's pointer (its files stay for audit)."""
        with self._locked():
            cat = self._load_catalog()
            if cat["scenarios"].pop(name, None) is None:
                raise StoreError(f"no scenario called {name!r}")
            self._write_catalog(cat)


def _version_info(layer: str, kind: str, v: dict) -> VersionInfo:
    return VersionInfo(layer=layer, version=v["version"], kind=kind, created=v["created"],
                       rows=v["rows"], sha256=v["sha256"], source=v.get("source", ""),
                       source_sha256=v.get("source_sha256", ""), bbox=v.get("bbox"),
                       report=v.get("report", {}), note=v.get("note", ""))
