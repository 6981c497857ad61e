"""Version diff command: ``twin diff LAYER V1 V2 [--json] [--out FILE] [--limit N]``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import console, emit_json, get_store

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``diff`` to ``app``."""

    @app.command("diff")
    def diff_cmd(
        layer: str = typer.Argument(..., help="Layer name (see `twin layers`)."),
        v1: int = typer.Argument(..., help="The older version."),
        v2: int = typer.Argument(..., help="The newer version."),
        out: Path = typer.Option(None, "--out", "-o", help="Write the added, removed and "
                                 "changed features (column `change`) to .gpkg, .geojson, "
                                 ".parquet or .csv."),
        limit: int = typer.Option(30, "--limit", help="Rows to print."),
        as_json: bool = typer.Option(False, "--json", help="Print counts and rows as JSON."),
    ) -> None:
        """Features added, removed and changed in LAYER from version V1 to V2."""
        import pandas as pd

        from ..layer_diff import diff_versions

        store = get_store()
        result = diff_versions(store, layer, v1, v2)
        rows = result.rows()
        written = None
        if out is not None:
            from ..store.export import export_frame

            features = result.features()
            frame = features if features is not None else rows
            written = export_frame(frame, out, layer=f"{layer}_diff_{v1}_{v2}",
                                   kind=store.kind_of(layer))
        if as_json:
            emit_json({**result.summary(), "rows": rows.to_dict(orient="records"),
                       "out": str(written) if written else None})
            return
        s = result.summary()
        console.print(f"{layer} v{v1} → v{v2}: {s['added']} added, {s['removed']} removed, "
                      f"{s['changed']} changed, {s['same']} unchanged", markup=False)
        if len(rows):
            table = Table("change", "id", "name", "columns")
            for row in rows.head(limit).itertuples(index=False):
                table.add_row(*["" if pd.isna(v) else str(v) for v in row])
            console.print(table)
            if len(rows) > limit:
                console.print(f"  … {len(rows) - limit} more (use --out FILE or --json)")
        if written:
            console.print(f"wrote → {written}")

