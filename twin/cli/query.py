"""Query commands: ``twin query NAME [--PARAM VALUE ...] [--out FILE]``, ``twin query --list``
and ``twin report --parcel ID | --all --out FILE [--pdf]``.

Each query's parameters are its registered :class:`~twin.query.Param` names, written as
options with dashes or underscores (``--distance-m 50`` or ``--distance_m=50``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..errors import QueryError
from .common import console, emit_json, err_console, get_store

__all__ = ["register", "parse_query_args"]


def parse_query_args(spec, args: list[str]) -> dict:
    """Turn ``["--where", "height_m > 24", "--distance-m=50", "--roads"]`` into params of
    ``spec`` (a bare flag is ``true`` for a bool parameter)."""
    out: dict = {}
    i = 0
    names = {p.name: p for p in spec.params}
    while i < len(args):
        item = args[i]
        if not item.startswith("--") or item == "--":
            raise QueryError(f"unexpected argument {item!r} for query {spec.name!r}",
                             hint="parameters: " + ", ".join(f"--{n.replace('_', '-')}"
                                                            for n in names))
        key, eq, value = item[2:].partition("=")
        name = key.replace("-", "_")
        negate = False
        if name not in names and name.startswith("no_") and name[3:] in names:
            name, negate = name[3:], True
        if name not in names:
            raise QueryError(f"query {spec.name!r} has no parameter --{key}",
                             hint="parameters: " + (", ".join(
                                 f"--{n.replace('_', '-')}" for n in names) or "none"))
        if not eq:
            nxt = args[i + 1] if i + 1 < len(args) else None
            if names[name].type == "bool" and (nxt is None or nxt.startswith("--")):
                value = "false" if negate else "true"
            elif nxt is None:
                raise QueryError(f"--{key} needs a value")
            else:
                value = nxt
                i += 1
        out[name] = value
        i += 1
    return out


def _list_queries(as_json: bool) -> None:
    from ..query import queries

    specs = queries()
    if as_json:
        emit_json([s.to_dict() for s in specs])
        return
    table = Table("query", "title", "parameters")
    for s in specs:
        params = ", ".join(f"--{p.name.replace('_', '-')}"
                           + (f"={p.default}" if p.default not in (None, "") else "")
                           for p in s.params)
        table.add_row(s.name, f"{s.title_zh} {s.title_en}", params)
    console.print(table)


def _print_result(result, limit: int) -> None:
    console.print(f"[bold]{result.name}[/]")
    for key, value in result.summary_json().items():
        console.print(f"  {key:24s} {value}", markup=False)
    table = result.table
    if table is not None and len(table):
        first = [result.id_column, "name", result.color_by, result.status_column]
        cols = [c for c in dict.fromkeys([*first, *table.columns])
                if c is not None and c in table.columns and c != "geometry"][:8]
        t = Table(*[str(c) for c in cols])
        for row in table[cols].head(limit).itertuples(index=False):
            t.add_row(*["" if v is None else str(v) for v in row])
        console.print(t)
        if len(table) > limit:
            console.print(f"  … {len(table) - limit} more rows (use --out FILE for all)")


def register(app: typer.Typer) -> None:
    """Add ``query`` and ``report`` to ``app``."""

    @app.command("query", context_settings={"allow_extra_args": True,
                                            "ignore_unknown_options": True})
    def query_cmd(
        ctx: typer.Context,
        name: str = typer.Argument(None, help="Query: select, indicators, setbacks, coverage, "
                                   "flood, sunlight, shadows."),
        out: Path = typer.Option(None, "--out", "-o", help="Write the result layer to .gpkg, "
                                 ".geojson, .parquet or .csv."),
        what: str = typer.Option("layer", "--what", help="What --out writes: layer, table, "
                                 "or a named extra layer/table (flooded_area, evidence…)."),
        list_: bool = typer.Option(False, "--list", help="List the queries and their "
                                   "parameters."),
        limit: int = typer.Option(20, "--limit", help="Rows to print."),
        as_json: bool = typer.Option(False, "--json", help="Print summary and rows as JSON."),
    ) -> None:
        """Run a decision-support query: twin query NAME --PARAM VALUE … [--out FILE]."""
        from ..query import get_query, run

        if list_ or not name:
            _list_queries(as_json)
            return
        spec = get_query(name)
        params = parse_query_args(spec, list(ctx.args))
        result = run(name, get_store(), **params)
        written = None
        if out is not None:
            written = result.export(out, what=what)
        if as_json:
            table = result.table
            emit_json({"query": name, "params": {k: str(v) if v is not None else None
                                                 for k, v in result.params.items()},
                       "summary": result.summary_json(), "methods": result.methods,
                       "rows": table.head(limit).to_dict(orient="records")
                       if table is not None else [],
                       "out": str(written) if written else None})
            return
        _print_result(result, limit)
        if written:
            console.print(f"wrote {what} → {written}")

    @app.command("report")
    def report_cmd(
        out: Path = typer.Option(..., "--out", "-o", help="Report file (.html, or .pdf)."),
        parcel: list[str] = typer.Option(None, "--parcel", help="Parcel id (repeatable)."),
        all_: bool = typer.Option(False, "--all", help="Every parcel."),
        pdf: bool = typer.Option(False, "--pdf", help="Also write a PDF next to the HTML."),
        road_setback_m: float = typer.Option(0.0, "--road-setback-m",
                                             help="Extra setback behind road red lines."),
        sunlight: bool = typer.Option(True, "--sunlight/--no-sunlight",
                                      help="Include the 大寒日 sunlight check."),
        details: str = typer.Option(None, "--details", help="Parcel sections: all, or "
                                    "failing (default for --all)."),
        capacity: bool = typer.Option(False, "--capacity", help="Add the capacity (容量测算) "
                                      "of each chosen parcel, its massing on the parcel map."),
        viewpoint: str = typer.Option(None, "--viewpoint", help="x,y, lon,lat or a building/"
                                      "facility id: add the viewshed and the skyline."),
        targets: str = typer.Option(None, "--targets", help="Sight-line targets from the "
                                    "viewpoint, separated by ';'."),
        radius_m: float = typer.Option(500.0, "--radius-m", help="Viewshed radius (m)."),
        scenario: str = typer.Option(None, "--scenario", help="Overlay the skyline after "
                                     "this scenario (with --viewpoint)."),
    ) -> None:
        """Write the planning review report (规划审查报告) as HTML, and PDF on request."""
        from ..report import write_report

        if not parcel and not all_:
            raise QueryError("say which parcels: --parcel ID (repeatable) or --all")
        if details not in (None, "all", "failing"):
            raise QueryError(f"--details takes all or failing, got {details!r}")
        if pdf or Path(out).suffix.lower() == ".pdf":
            from ..report.fonts import NO_CJK_FONT, cjk_font

            if cjk_font() is None:
                err_console.print(f"warning: {NO_CJK_FONT}")
        if (targets or scenario) and not viewpoint:
            raise QueryError("--targets and --scenario need --viewpoint",
                             hint="e.g. --viewpoint B001 or --viewpoint x,y")
        store = get_store()
        after = None
        if scenario:
            from ..query import QueryInputs
            from ..scenario.apply import scenario_view

            after = QueryInputs(scenario_view(store, scenario))
        paths = write_report(store, out, parcels=None if all_ else list(parcel),
                             pdf=pdf, road_setback_m=road_setback_m, sunlight=sunlight,
                             details=details, capacity=capacity, viewpoint=viewpoint,
                             targets=targets, radius_m=radius_m, after=after)
        for p in paths:
            console.print(f"wrote report → {p}")
