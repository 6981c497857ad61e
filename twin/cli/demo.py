"""``twin demo``: generate the Boli demo sources and import them into the store."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import console, emit_json, err_console, get_store

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""

    @app.command("demo")
    def demo_cmd(
        force: bool = typer.Option(False, "--force", help="Regenerate the source files even "
                                   "when they exist."),
        data: Path = typer.Option(Path("data/boli"), "--data", help="Folder of the demo "
                                  "source files."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Build the Boli demo twin: generate data/boli/ if missing, then import every file
        through the ordinary readers into the store (default layers/)."""
        from ..demo import build

        store = get_store()
        say = (lambda _m: None) if as_json else (
            lambda m: err_console.print(m, markup=False, highlight=False))
        summary = build(data, store, force=force, log=say)
        if as_json:
            emit_json(summary)
            return
        if summary["generated"]:
            console.print(f"generated {summary['data']} in {summary['generate_s']} s")
        for name, rows in summary["layers"].items():
            console.print(f"  {name:16s} {rows:>7d} rows")
        planted = summary["planted"]
        console.print(f"  planted: parcel {planted['far_parcel']} over FAR, building "
                      f"{planted['setback_building']} in the {planted['setback_river']} "
                      f"setback, building {planted['height_building']} over height, no "
                      f"school within 1 km of {planted['no_school_area']}", markup=False)
        for item in summary["skipped"]:
            console.print(f"  skipped {item['file']}: {item['reason']}", markup=False)
        console.print(f"demo twin in {summary['store']} built in {summary['total_s']} s "
                      f"(imports {summary['import_s']} s)")
