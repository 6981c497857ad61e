"""Where tilesets live and when they are built: one folder per layer version under the
app's static folder (``static/tiles/<key>/``, served by Streamlit's static file serving),
keyed by kind, layer version and checksum, so a tileset is built once per version and a
rollback finds the old one again.

Example
-------
>>> from twin.tiles.cache import build_store_tiles
>>> for layer, tileset, built in build_store_tiles(store):  # doctest: +SKIP
...     print(layer, tileset.total_tiles, built)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from ..errors import StoreError
from .features import TILED_KINDS, layer_features
from .tileset import MANIFEST, TILER_VERSION, Tileset, build_pyramid, read_tileset

__all__ = ["TILES_URL", "tiles_root", "tileset_key", "tileset_url", "cached_tileset",
           "ensure_tileset", "build_store_tiles", "prune_tiles", "tiles_after_import"]

# The app serves ./static at app/static/ (server.enableStaticServing).
TILES_URL = "app/static/tiles/"
KEEP_TILESETS = 64


def tiles_root() -> Path:
    """The folder of every tileset: ``$TWIN_TILES_DIR``, else ``static/tiles`` of the app
    (the only place the app serves; another folder is for building tiles elsewhere)."""
    env = os.environ.get("TWIN_TILES_DIR", "").strip()
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "static" / "tiles"


# kinds whose tooltips carry coded values (land uses, road classes, limits) in the UI's
# language: their tiles are built per language; the others' texts read the same in both
WORDED_KINDS = ("parcel", "road", "river")


def tile_language(kind: str, language: str | None) -> str | None:
    """The language the tiles of ``kind`` are written in (None: the kind has no words)."""
    if kind not in WORDED_KINDS:
        return None
    from ..i18n import DEFAULT_LANGUAGE, LANGUAGES

    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def tileset_key(kind: str, layer: str, version: int, sha256: str,
                language: str | None = None) -> str:
    """The folder name of a layer version's tileset: its kind and a digest of its checksum
    (or of layer name and version when the backend gives no checksum), the tiler version
    and, for kinds with worded tooltips, the language."""
    ident = sha256 or f"{layer}\x00{version}"
    digest = hashlib.sha256(f"{kind}\x00{ident}".encode()).hexdigest()[:20]
    words = tile_language(kind, language)
    return f"{kind}-{digest}-t{TILER_VERSION}" + (f"-{words}" if words else "")


def tileset_url(tileset: Tileset) -> str:
    """The ``{z}/{x}/{y}`` URL template deck.gl's TileLayer fetches."""
    return f"{TILES_URL}{tileset.key}/{{z}}/{{x}}/{{y}}.json"


def cached_tileset(kind: str, layer: str, version: int, sha256: str,
                   root=None, language: str | None = None) -> Tileset | None:
    """The built tileset of this layer version (in ``language``), or None."""
    root = Path(root) if root is not None else tiles_root()
    found = read_tileset(root / tileset_key(kind, layer, version, sha256, language))
    if found is not None:
        try:
            os.utime(root / found.key / MANIFEST)  # recently used: kept by prune_tiles
        except OSError:
            pass
    return found


def ensure_tileset(read_frame, *, kind: str, layer: str, version: int, sha256: str,
                   root=None, language: str | None = None) -> tuple[Tileset, bool]:
    """The tileset of a layer version, built from ``read_frame()`` (a callable returning
    the layer's GeoDataFrame) when it is not built yet; ``(tileset, built now)``. Worded
    kinds are built in ``language`` (default: the UI's default language)."""
    if kind not in TILED_KINDS:
        raise StoreError(f"layer {layer} is of kind {kind}, which is not tiled",
                         hint=f"tiled kinds: {', '.join(TILED_KINDS)}")
    root = Path(root) if root is not None else tiles_root()
    found = cached_tileset(kind, layer, version, sha256, root, language)
    if found is not None:
        return found, False
    key = tileset_key(kind, layer, version, sha256, language)
    table = layer_features(read_frame(), kind, tile_language(kind, language))
    tileset = build_pyramid(table, root / key, key=key)
    prune_tiles(root)
    return tileset, True


def build_store_tiles(store, layers=None, *, root=None) -> list[tuple[str, Tileset, bool]]:
    """Build (or find) the tilesets of the current versions of ``layers`` (default: every
    layer of a tiled kind); ``[(layer, tileset, built now)]``. A named layer of another
    kind, or one that does not exist, is a :class:`~twin.errors.StoreError`."""
    infos = {info.name: info for info in store.layers()}
    if layers:
        names = list(layers)
        for name in names:
            if name not in infos:
                raise StoreError(f"no layer named {name} in the store",
                                 hint="`twin layers` lists the layers")
    else:
        names = sorted(n for n, info in infos.items() if info.kind in TILED_KINDS)
    out = []
    for name in names:
        info = infos[name]
        tileset, built = ensure_tileset(
            lambda name=name, version=info.current: store.read(name, version=version),
            kind=info.kind, layer=name, version=info.current, sha256=info.sha256, root=root)
        out.append((name, tileset, built))
    return out


def prune_tiles(root=None, *, keep: int = KEEP_TILESETS) -> int:
    """Delete the least recently used tilesets beyond the ``keep`` newest (and leftovers of
    interrupted builds older than an hour); returns how many folders were deleted. A
    deleted tileset is built again when a map needs it."""
    root = Path(root) if root is not None else tiles_root()
    if not root.is_dir():
        return 0
    used, removed = [], 0
    for path in root.iterdir():
        if path.name.startswith("."):
            try:
                if time.time() - path.stat().st_mtime > 3600:
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
            except OSError:
                pass
            continue
        try:
            used.append(((path / MANIFEST).stat().st_mtime, path))
        except OSError:
            continue
    used.sort(reverse=True)
    for _, path in used[keep:]:
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def tiles_after_import(store, versions: dict, report=None, *, root=None) -> dict:
    """Build the tilesets of the layers an import just committed (``versions``: ``{layer:
    version}``) that are of a tiled kind; returns ``{layer: tileset key}``. The import is
    already committed, so a failure to write tiles is a warning on ``report`` (the map
    builds them when it first draws the layer), not an error."""
    from ..errors import TwinError

    tiled = [info.name for info in store.layers()
             if info.name in versions and info.kind in TILED_KINDS]
    if not tiled:
        return {}
    t0 = time.perf_counter()
    try:
        done = {name: ts.key for name, ts, _ in build_store_tiles(store, tiled, root=root)}
    except (TwinError, OSError) as exc:
        if report is not None:
            report.warn(None, f"tiles not built ({exc}); the map builds them when it first "
                              "draws the layer, or run `twin tiles build`")
        return {}
    if report is not None:
        report.timings["tiles_s"] = round(time.perf_counter() - t0, 4)
    return done
