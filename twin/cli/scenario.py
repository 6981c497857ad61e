"""``twin scenario``: create, edit, show, diff and export what-if scenarios.

Edits use the compact syntax of :mod:`twin.scenario.syntax`, for example::

    twin scenario new tower
    twin scenario add tower add-building "footprint=119.9,35.73;119.9005,35.73;119.9005,35.7304" \\
        height=100 use=R id=T1
    twin scenario add tower flood level=4.5
    twin scenario diff tower --json
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ..errors import ScenarioError
from .common import console, emit_json, get_store

__all__ = ["register", "scenario_app", "parse_params"]

scenario_app = typer.Typer(help="What-if scenarios: edits on top of the base, never changing it.",
                           no_args_is_help=True)


def parse_params(items: list[str] | None) -> dict[str, dict]:
    """``["flood.level_m=3", ...]`` as ``{"flood": {"level_m": "3"}}``."""
    out: dict[str, dict] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        query, dot, name = key.partition(".")
        if not sep or not dot or not query or not name:
            raise ScenarioError(f"--param takes QUERY.NAME=VALUE, got {item!r}",
                                hint="for example --param flood.level_m=3")
        out.setdefault(query.strip(), {})[name.strip()] = value.strip()
    return out


def _pin_ifc(edits):
    """Make IFC paths absolute and record their sha256, so the scenario is reproducible."""
    from ..io.report import file_sha256
    from ..scenario import AddIfc

    out = []
    for e in edits:
        if isinstance(e, AddIfc):
            path = Path(e.path).expanduser().resolve()
            if not path.is_file():
                raise ScenarioError(f"IFC file {e.path!r} not found", where="add_ifc")
            e = AddIfc(path=str(path), anchor=e.anchor, id=e.id, sha256=file_sha256(path))
        out.append(e)
    return out


MAX_ROWS = 40


def _more(n: int) -> None:
    if n > MAX_ROWS:
        console.print(f"  … and {n - MAX_ROWS} more (see --json or --out)")


def _print_diff(result) -> None:
    status = result.status_changes
    if status.empty:
        console.print("no pass/fail status changed")
    else:
        counts = status.groupby(["query", "change"]).size()
        console.print("status changes: " + ", ".join(
            f"{q} {c} {n}" for (q, c), n in counts.items()))
        table = Table("query", "kind", "id", "check", "before", "after", "change",
                      title="status changes")
        for row in status.head(MAX_ROWS).itertuples(index=False):
            table.add_row(row.query, row.kind, str(row.id), row.check, row.before, row.after,
                          row.change)
        console.print(table)
        _more(len(status))
    town = result.indicators[result.indicators["scope"].isin(["town", "area"])]
    town = town[town["changed"]]
    if len(town):
        table = Table("query", "scope", "indicator", "before", "after", "delta",
                      title="town-wide changes (area: where a local query was evaluated)")
        for row in town.itertuples(index=False):
            table.add_row(row.query, row.scope, row.indicator, _num(row.before), _num(row.after),
                          _num(row.delta))
        console.print(table)
    feats = result.indicators[~result.indicators["scope"].isin(["town", "area"])
                              & result.indicators["changed"]]
    if len(feats):
        table = Table("query", "scope", "id", "indicator", "before", "after",
                      title="per-feature changes")
        for row in feats.head(MAX_ROWS).itertuples(index=False):
            table.add_row(row.query, row.scope, str(row.id), row.indicator, _num(row.before),
                          _num(row.after))
        console.print(table)
        _more(len(feats))
    for name, reason in sorted(result.skipped.items()):
        console.print(f"skipped {name}: {reason}", markup=False)


def _num(value) -> str:
    if value is None:
        return "—"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if f != f:
        return "—"
    return f"{f:.4g}" if abs(f) < 1e6 else f"{f:.0f}"


@scenario_app.command("new")
def new_cmd(
    name: str,
    description: str = typer.Option("", "--description", "-d", help="What the scenario tries."),
    from_: list[str] = typer.Option(None, "--from", help="Start with the edits of these "
                                    "scenarios, in order (repeatable)."),
    pin: bool = typer.Option(False, "--pin", help="Pin the current base layer versions."),
) -> None:
    """Create an empty scenario (or one stacking others' edits)."""
    from ..scenario import Scenario, load_scenario, save_scenario, stack

    store = get_store()
    if name in store.scenarios():
        raise ScenarioError(f"a scenario called {name!r} already exists",
                            hint="choose another name, or add edits with `twin scenario add`")
    if from_:
        scenario = stack(*(load_scenario(store, n) for n in from_), name=name)
        scenario.description = description or scenario.description
    else:
        scenario = Scenario(name, description=description)
    if pin:
        scenario.base = {info.name: info.current for info in store.layers()}
    version = save_scenario(store, scenario)
    console.print(f"scenario {name} created (version {version}, {len(scenario.edits)} edits)")


@scenario_app.command("add", context_settings={"ignore_unknown_options": True,
                                                "allow_extra_args": False})
def add_cmd(
    name: str,
    edit: list[str] = typer.Argument(..., help="Edits: OP key=value… (add-building, "
                                     "remove-building, set-building, set-parcel, add-road, "
                                     "river-buffer, flood, add-facility, add-ifc) or JSON."),
    check: bool = typer.Option(True, "--check/--no-check",
                               help="Apply the scenario to the store before saving it."),
) -> None:
    """Append edits to a scenario (each is checked against the store first)."""
    from ..scenario import apply, load_scenario, parse_edits, save_scenario

    store = get_store()
    scenario = load_scenario(store, name)
    edits = _pin_ifc(parse_edits(list(edit), start=len(scenario.edits)))
    for e in edits:
        scenario.add(e)
    if check:
        apply(store, scenario)
    version = save_scenario(store, scenario)
    for i, e in enumerate(edits, start=len(scenario.edits) - len(edits)):
        console.print(f"  {i}: {e.describe()}", markup=False)
    console.print(f"scenario {name} now has {len(scenario.edits)} edits (version {version})")


@scenario_app.command("remove-edit")
def remove_edit_cmd(name: str, index: int = typer.Argument(..., help="Edit number (0-based).")
                    ) -> None:
    """Remove one edit from a scenario (saved as a new version)."""
    from ..scenario import load_scenario, save_scenario

    store = get_store()
    scenario = load_scenario(store, name)
    gone = scenario.remove(index)
    version = save_scenario(store, scenario)
    console.print(f"removed edit {index} ({gone.describe()}); version {version}", markup=False)


@scenario_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the stored scenarios."""
    from ..scenario import load_scenario

    store = get_store()
    items = []
    for n in store.scenarios():
        s = load_scenario(store, n)
        items.append({"name": n, "edits": len(s.edits), "description": s.description})
    if as_json:
        emit_json(items)
        return
    if not items:
        console.print("no scenarios yet: `twin scenario new NAME`")
        return
    table = Table("scenario", "edits", "description")
    for item in items:
        table.add_row(item["name"], str(item["edits"]), item["description"])
    console.print(table)


@scenario_app.command("show")
def show_cmd(
    name: str,
    version: int = typer.Option(None, "--version", help="An earlier version."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show a scenario's edits."""
    from ..scenario import load_scenario

    scenario = load_scenario(get_store(), name, version)
    if as_json:
        emit_json(scenario.to_dict())
        return
    console.print(f"scenario {scenario.name}: {scenario.description}".rstrip(": "), markup=False)
    if scenario.base:
        console.print("  pinned base: " + ", ".join(f"{k}@{v}" for k, v in
                                                     sorted(scenario.base.items())))
    if not scenario.edits:
        console.print("  (no edits)")
    for i, e in enumerate(scenario.edits):
        console.print(f"  {i}: {e.describe()}", markup=False)


@scenario_app.command("diff")
def diff_cmd(
    names: list[str] = typer.Argument(..., help="Scenario name; several are stacked in order."),
    query: list[str] = typer.Option(None, "--query", "-q", help="Only these queries."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Base parameter "
                                    "QUERY.NAME=VALUE, e.g. flood.level_m=3 (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the diff as JSON."),
    out: Path = typer.Option(None, "--out", help="Also write the indicator table (.csv)."),
    full: bool = typer.Option(False, "--full", help="Run local queries (sunlight) on every "
                              "building too, for exact town-wide totals (slower)."),
) -> None:
    """Run every query on the base and on the scenario; list what changed."""
    from ..scenario import apply, load_base, load_scenario, stack
    from ..scenario.diff import diff

    store = get_store()
    scenario = stack(*(load_scenario(store, n) for n in names)) if len(names) > 1 \
        else load_scenario(store, names[0])
    base = load_base(store, versions=scenario.base)
    result = diff(base, apply(base, scenario), params=parse_params(param), queries=query or None,
                  full=full)
    if out is not None:
        result.indicators.to_csv(out, index=False)
    if as_json:
        emit_json(result.to_dict())
        return
    _print_diff(result)
    console.print(f"diff of {scenario.name} in {result.timings['total']:.2f} s")


@scenario_app.command("export")
def export_cmd(
    name: str,
    out: Path = typer.Option(None, "--out", "-o", help="A .json file for the scenario "
                             "document (default: print it), or .gpkg/.geojson/.parquet for "
                             "the features it adds and changes."),
) -> None:
    """Export a scenario: its JSON document, or its proposed features as a map layer."""
    from ..scenario import apply, load_scenario
    from ..scenario.export import export_changes

    store = get_store()
    scenario = load_scenario(store, name)
    if out is None:
        emit_json(scenario.to_dict())
        return
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(scenario.to_dict(), ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
    else:
        export_changes(apply(store, scenario), out)
    console.print(f"exported scenario {name} → {out}")


@scenario_app.command("import")
def import_cmd(
    file: Path,
    name: str = typer.Option(None, "--name", help="Save under this name (default: the file's)."),
) -> None:
    """Save a scenario document (from `twin scenario export`) into this store."""
    from ..scenario import Scenario, save_scenario

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"cannot read the scenario document ({exc})", path=file) from None
    scenario = Scenario.from_dict(data)
    if name:
        scenario.name = name
    version = save_scenario(get_store(), scenario)
    console.print(f"scenario {scenario.name} saved (version {version})")


@scenario_app.command("delete")
def delete_cmd(name: str) -> None:
    """Forget a scenario (its saved versions stay on disk for audit)."""
    from ..store.base import ScenarioDeletion

    store = get_store()
    if not isinstance(store, ScenarioDeletion):
        raise ScenarioError("this store cannot delete scenarios")
    store.delete_scenario(name)
    console.print(f"scenario {name} deleted")


def register(app: typer.Typer) -> None:
    """Add ``twin scenario …`` to ``app``."""
    app.add_typer(scenario_app, name="scenario")
