"""``twin store …``: commands that act on whole stores (``twin store copy SRC DST``)."""

from __future__ import annotations

import sys

import typer

from .common import console, emit_json, progress_bar

__all__ = ["register", "store_app"]

store_app = typer.Typer(help="Whole-store commands: copy a twin between stores.",
                        no_args_is_help=True)


@store_app.command("copy")
def copy_cmd(
    src: str = typer.Argument(..., help="Source store: a folder or postgresql://…?schema=NAME."),
    dst: str = typer.Argument(..., help="Destination store (must not hold the same layers)."),
    no_verify: bool = typer.Option(False, "--no-verify",
                                   help="Skip reading every copied version back to compare."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Copy a whole twin, with every version and scenario, from SRC to DST."""
    from ..store.copy import copy_store

    with progress_bar("copying", enabled=not as_json and sys.stderr.isatty()) as progress:
        result = copy_store(src, dst, verify=not no_verify, progress=progress)
    if as_json:
        emit_json(result)
        return
    versions = sum(result["layers"].values())
    console.print(f"copied {len(result['layers'])} layers ({versions} versions, "
                  f"{result['rows']} rows) and {len(result['scenarios'])} scenarios"
                  f"{', verified' if result['verified'] else ''}", markup=False)
    for name, n in result["layers"].items():
        console.print(f"  layer {name}: {n} versions", markup=False)
    for name, n in result["scenarios"].items():
        console.print(f"  scenario {name}: {n} versions", markup=False)
    if result.get("attachments"):
        console.print(f"  attachments: {result['attachments']} files", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``twin store …`` to ``app``."""
    app.add_typer(store_app, name="store")
