"""Build one layer's tile pyramid into a folder: ``<z>/<x>/<y>.json`` files (JSON arrays of
GeoJSON features, which deck.gl's ``TileLayer`` fetches and parses on the main thread) and a
``tileset.json`` that describes it (zoom range, bounds, palettes, legend groups, figures).

Each row goes to the one tile that holds its anchor point (a point on its surface), at every
zoom level, unclipped: at the detail zoom, and at every lower zoom where a tile holds at
most :data:`FULL_BUDGET` rows, a tile carries its rows' full features, so each row is drawn
exactly once per level. A fuller tile at a lower zoom is generalised
(:mod:`twin.tiles.generalize`): buildings merge into blocks, other layers keep their
:data:`THIN_BUDGET` largest features.

The folder is written beside its final place and renamed into it, so a reader sees the
whole pyramid or none (``tileset.json`` is written last).

Example
-------
>>> from twin.tiles.tileset import build_pyramid
>>> tileset = build_pyramid(table, "static/tiles/building-ab12", key="building-ab12")
... # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import StoreError
from .bim import bim_blocks
from .features import FeatureTable, encode_features
from .generalize import building_blocks, largest
from .pyramid import fit_zoom, level_tiles, tile_xy

__all__ = ["TILER_VERSION", "DETAIL_ZOOM", "FULL_BUDGET", "THIN_BUDGET", "TILE_PX", "Level",
           "Tileset", "build_pyramid", "read_tileset"]

TILER_VERSION = 5  # part of every tileset key: a new tile format builds new tilesets
DETAIL_ZOOM = {"building": 16, "parcel": 15, "road": 15, "river": 15, "bim_element": 16}
# BIM: element meshes only at the detail zoom; below it building blocks, down to the zoom
# where the BIM extent fits one tile (which deck.gl reuses further out, inside the extent)
THIN_BUDGET = 1000  # features a crowded tile of parcels, roads or rivers keeps (largest)
TILE_PX = 1024  # on-screen size of a tile (deck.gl's tileSize): few, large tiles per view
FULL_BUDGET = 3000  # rows a tile below the detail zoom may carry in full (≈ 18 px each)
EMPTY_TILE_LIMIT = 4096  # write "[]" for empty tiles of a level of at most this many tiles
MANIFEST = "tileset.json"


@dataclass
class Level:
    """Figures of one zoom level: tiles written, how many of them carry full features,
    features and bytes in all."""

    z: int
    tiles: int = 0
    full: int = 0
    features: int = 0
    bytes: int = 0


@dataclass
class Tileset:
    """A built pyramid: ``key`` names its folder; ``minzoom``..``maxzoom`` are built,
    ``bounds`` is the WGS84 box of every row; ``palettes``/``groups`` are keyed by colour
    mode (see :class:`~twin.tiles.features.FeatureTable`); groups are
    ``[key, [r, g, b], count, geometry]`` lists."""

    key: str
    kind: str
    minzoom: int
    maxzoom: int
    bounds: list
    rows: int
    palettes: dict
    groups: dict
    levels: list = field(default_factory=list)
    build_s: float = 0.0
    tile_px: int = TILE_PX
    tiler_version: int = TILER_VERSION

    @property
    def total_bytes(self) -> int:
        """Bytes of every tile file."""
        return sum(level["bytes"] for level in self.levels)

    @property
    def total_tiles(self) -> int:
        """Number of tile files."""
        return sum(level["tiles"] for level in self.levels)

    def to_json(self) -> str:
        """The manifest text."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def read_tileset(folder) -> Tileset | None:
    """The tileset whose manifest is in ``folder``, or None when there is none (not built,
    or of another tiler version)."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("tiler_version") != TILER_VERSION:
        return None
    return Tileset(**data)


def _write(path: Path, raw: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(raw)


def build_pyramid(table: FeatureTable, folder, *, key: str, detail_zoom: int | None = None,
                  budget: int = FULL_BUDGET) -> Tileset:
    """Write the pyramid of ``table`` into ``folder`` (replacing nothing: when ``folder``
    already holds a tileset, the one found there is returned) and return its
    :class:`Tileset`."""
    folder = Path(folder)
    done = read_tileset(folder)
    if done is not None:
        return done
    t0 = time.perf_counter()
    kind = table.kind
    zmax = detail_zoom if detail_zoom is not None else DETAIL_ZOOM.get(kind, 15)
    drawn = table.drawn
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}-{time.monotonic_ns()}"
    if len(drawn):
        box = table.box[drawn]
        bounds = [float(np.nanmin(box[:, 0])), float(np.nanmin(box[:, 1])),
                  float(np.nanmax(box[:, 2])), float(np.nanmax(box[:, 3]))]
    else:
        bounds = [0.0, 0.0, 0.0, 0.0]
    # the whole layer in one tile, and one level lower for views zoomed further out
    zmin = min(max(0, fit_zoom(bounds, tiles=1) - 1), zmax)
    if kind == "bim_element":
        zmin, budget = min(fit_zoom(bounds, tiles=1), zmax - 1), 0
    levels = []
    try:
        tmp.mkdir(parents=True)
        for z in range(zmin, zmax + 1):
            levels.append(asdict(_build_level(table, drawn, tmp, z, full_only=z == zmax,
                                              budget=budget, bounds=bounds)))
        tileset = Tileset(
            key=key, kind=kind, minzoom=zmin, maxzoom=zmax, bounds=bounds,
            rows=len(table.texts),
            palettes={m: [list(c) for c in p] for m, p in table.palettes.items()},
            groups={m: [[g.key, list(g.color), g.count, g.geometry] for g in gs]
                    for m, gs in table.groups.items()},
            levels=levels)
        tileset.build_s = round(time.perf_counter() - t0, 3)
        (tmp / MANIFEST).write_text(tileset.to_json(), encoding="utf-8")
        try:
            os.rename(tmp, folder)
        except OSError:
            if read_tileset(folder) is None:  # not a concurrent build of the same key
                raise
            shutil.rmtree(tmp, ignore_errors=True)
            return read_tileset(folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StoreError(f"could not write the tiles of {key} in {folder.parent}: {exc}",
                         hint="check the free space and permissions of the tiles folder") \
            from exc
    return tileset


def _build_level(table: FeatureTable, drawn: np.ndarray, out: Path, z: int, *,
                 full_only: bool, budget: int, bounds) -> Level:
    level = Level(z=z)
    n = 1 << z
    tx, ty = tile_xy(table.lon[drawn], table.lat[drawn], z)
    tile_id = tx * n + ty
    order = np.argsort(tile_id, kind="stable")
    ids, starts = np.unique(tile_id[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    texts = table.texts
    for tid, a, b in zip(ids.tolist(), starts.tolist(), ends.tolist()):
        rows = drawn[order[a:b]]
        x, y = divmod(int(tid), n)
        if full_only or len(rows) <= budget:
            raw = ("[" + ",".join(texts[r] for r in rows.tolist()) + "]").encode("utf-8")
            level.full += 1
            level.features += len(rows)
        elif table.kind == "bim_element":
            blocks = bim_blocks(table, rows)
            raw = encode_features(blocks)
            level.features += len(blocks)
        elif table.kind == "building":
            blocks = building_blocks(table, rows, x=x, y=y, z=z)
            raw = encode_features(blocks)
            level.features += len(blocks)
        else:
            keep = largest(table, rows, min(budget, THIN_BUDGET))
            raw = ("[" + ",".join(texts[r] for r in keep.tolist()) + "]").encode("utf-8")
            level.features += len(keep)
        _write(out / str(z) / str(x) / f"{y}.json", raw)
        level.tiles += 1
        level.bytes += len(raw)
    xs, ys = level_tiles(bounds, z)
    if len(xs) * len(ys) <= EMPTY_TILE_LIMIT:
        # deck.gl asks for every tile in view inside the extent: an empty one is "[]", not 404
        written = set(ids.tolist())
        for x in xs:
            for y in ys:
                if x * n + y not in written:
                    _write(out / str(z) / str(x) / f"{y}.json", b"[]")
    return level
