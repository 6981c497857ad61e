"""Search command: ``twin find TEXT [--kind K] [--limit N] [--json]``."""

from __future__ import annotations

import typer
from rich.table import Table

from .common import console, emit_json, err_console, get_store

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``find`` to ``app``."""

    @app.command("find")
    def find_cmd(
        text: str = typer.Argument(..., help="An id, GlobalId, name, part of a name or its "
                                   "pinyin (横河, henghe, P220)."),
        kind: str = typer.Option(None, "--kind", "-k", help="Only this kind: river, road, "
                                 "parcel, building, bim_element, facility, sensor, project."),
        limit: int = typer.Option(10, "--limit", help="Hits to list."),
        as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
    ) -> int:
        """Find parcels, buildings, IFC elements, roads, rivers, facilities by id or name
        (fuzzy, pinyin-insensitive); exit status 1 when nothing matches."""
        from ..search import build_index, search

        hits = search(build_index(get_store()), text, kind=kind, limit=limit)
        if as_json:
            emit_json([h.to_dict() for h in hits])
        elif hits:
            table = Table("score", "kind", "layer", "id", "name", "match", "E", "N")
            for h in hits:
                d = h.to_dict()
                ids = h.id if len(h.ids) == 1 else f"{h.id} (+{len(h.ids) - 1})"
                table.add_row(f"{h.score:.0f}", h.kind, h.layer, ids, h.name, h.match,
                              f"{d['e']:.1f}", f"{d['n']:.1f}")
            console.print(table)
        if not hits:
            if not as_json:
                err_console.print(f"no match for {text!r}"
                                  + (f" among {kind} layers" if kind else "")
                                  + "; try part of the name, its pinyin or an id", markup=False)
            return 1
        return 0
