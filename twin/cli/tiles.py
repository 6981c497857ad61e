"""``twin tiles build [LAYER…]``: build the tile pyramids the one map draws (imports build
them too; this rebuilds what is missing, e.g. after a rollback or for a store filled by an
older twin)."""

from __future__ import annotations

import time

import typer

from .common import console, emit_json, get_store

__all__ = ["register", "tiles_app"]

tiles_app = typer.Typer(help="Tile pyramids of the vector layers for the one map.",
                        no_args_is_help=True)


@tiles_app.command("build")
def build_cmd(
    layers: list[str] = typer.Argument(None, help="Layers to tile (default: every building, "
                                       "parcel, road, river and BIM element layer)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Build (or find, when already built) the tiles of the current version of each layer."""
    from ..tiles import build_store_tiles, tiles_root

    t0 = time.perf_counter()
    results = build_store_tiles(get_store(), layers or None)
    rows = [{"layer": name, "kind": ts.kind, "rows": ts.rows, "zooms": [ts.minzoom, ts.maxzoom],
             "tiles": ts.total_tiles, "bytes": ts.total_bytes, "build_s": ts.build_s,
             "built": built, "key": ts.key} for name, ts, built in results]
    if as_json:
        emit_json({"root": str(tiles_root()), "layers": rows})
        return
    if not rows:
        console.print("no building, parcel, road, river or BIM element layer to tile", markup=False)
        return
    for r in rows:
        state = f"built in {r['build_s']} s" if r["built"] else "already built"
        console.print(f"  {r['layer']:16s} {r['kind']:9s} {r['rows']:>8d} rows  zoom "
                      f"{r['zooms'][0]}–{r['zooms'][1]}  {r['tiles']:>6d} tiles  "
                      f"{r['bytes'] / 2**20:8.1f} MB  {state}", markup=False)
    console.print(f"tiles in {tiles_root()} ({time.perf_counter() - t0:.2f} s)", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``tiles`` command group to ``app``."""
    app.add_typer(tiles_app, name="tiles")
