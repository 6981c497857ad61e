"""Compare a scenario with the base: run every registered query on both, list what changed.

:func:`diff` returns a :class:`ScenarioDiff` with

* ``indicators``: one row per indicator before/after. Town-wide rows come from each query's
  numeric ``summary``; per-feature rows from the numeric columns of its result layer, keyed
  by the result's ``id_column`` (every parcel of a parcel-level query such as
  ``indicators``; only the features whose values changed for building-level queries);
* ``status_changes``: the parcels and buildings whose pass/fail status changed. Status
  comes from the result's ``status_column`` and its ``*_status`` columns (one ``check`` per
  column: ``status``, ``far``, ``height``…). A result without a status column flags the
  features it lists (flooded, inside a setback, shaded): appearing in the scenario's layer
  is ``ok → flagged``.

Queries are pure, so a query whose inputs and parameters the scenario leaves untouched is
run once and its base result reused. Everything is sorted, so the same base and the same
scenario always give the same diff.

Example
-------
>>> from twin.scenario import apply, diff, load_base
>>> base = load_base(store)                                         # doctest: +SKIP
>>> d = diff(base, apply(base, scenario), params={"flood": {"level_m": 3.0}})  # doctest: +SKIP
>>> d.status_changes[["query", "kind", "id", "check", "before", "after"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import QueryError, ScenarioError
from .local import LOCAL_QUERIES
from .view import CHANGE_COLUMN, LayerView

__all__ = ["ScenarioDiff", "diff", "diff_scenario", "query_params", "STATUS_FLAGGED",
           "STATUS_OK", "STATUS_ABSENT", "NOT_DIFFED"]

STATUS_FLAGGED = "flagged"
STATUS_OK = "ok"
STATUS_ABSENT = "absent"

_INDICATOR_COLUMNS = ["query", "scope", "id", "indicator", "before", "after", "delta", "changed"]
_STATUS_COLUMNS = ["query", "kind", "id", "check", "before", "after", "change"]
_SKIP_NUMERIC = {"area_m2", "n_buildings", "version", "index"}
_LIMITS = ("max_far", "max_density", "max_height_m", "min_green_ratio")
# Queries that ask no question by default: ``select`` without a filter lists every feature.
# They still run when named in ``queries=``.
NOT_DIFFED = ("select",)
_STATUS_RANK = {"fail": 3, STATUS_FLAGGED: 3, "n/a": 1, "pass": 0, STATUS_OK: 0}


@dataclass
class ScenarioDiff:
    """The outcome of :func:`diff`.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    indicators : DataFrame
        ``query, scope ("town" | "parcel" | "building" | …), id, indicator, before, after,
        delta, changed``.
    status_changes : DataFrame
        ``query, kind, id, check, before, after, change`` for each status that changed
        (``before`` is ``absent`` for a feature the scenario adds, ``after`` for one it
        removes).
    edits : list of dict
        The scenario's change log (what each edit touched).
    skipped : dict
        ``{query: reason}`` for queries that could not run on a side.
    local : dict
        ``{query: receivers evaluated}`` for local queries run only where the scenario can
        change them (:mod:`twin.scenario.local`); their summary rows have scope ``area``.
    timings : dict
        Seconds per query and side (``indicators/base``…), plus ``total``.
    results : dict
        ``{query: (base QueryResult or None, scenario QueryResult or None)}`` (not saved).
    """

    scenario: str
    indicators: pd.DataFrame
    status_changes: pd.DataFrame
    edits: list[dict] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    results: dict[str, tuple] = field(default_factory=dict, repr=False)
    local: dict[str, int] = field(default_factory=dict)

    def changed_ids(self, kind: str, query: str | None = None) -> list[str]:
        """Sorted ids of ``kind`` features whose status changed (optionally in one query)."""
        rows = self.status_changes[self.status_changes["kind"] == kind]
        if query is not None:
            rows = rows[rows["query"] == query]
        return sorted(set(rows["id"].astype(str)))

    def town(self) -> pd.DataFrame:
        """The town-wide rows of :attr:`indicators`."""
        return self.indicators[self.indicators["scope"] == "town"].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (what ``twin scenario diff --json`` prints)."""
        return {
            "scenario": self.scenario,
            "status_changes": _records(self.status_changes),
            "indicators": _records(self.indicators),
            "edits": self.edits,
            "skipped": dict(sorted(self.skipped.items())),
            "local": dict(sorted(self.local.items())),
        }


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value):
    if value is None:
        return None
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


# -- parameters --------------------------------------------------------------------------------
def query_params(spec, given: dict | None) -> dict:
    """The subset of ``given`` that ``spec`` takes, with scenario names mapped onto its own.

    A flood level set by a scenario is ``level_m``; a query that calls it differently (any
    parameter whose name contains ``level``) gets it under its own name.
    """
    given = dict(given or {})
    names = [p.name for p in spec.params]
    out = {}
    for key, value in given.items():
        if key in names:
            out[key] = value
            continue
        if "level" in key:
            match = [n for n in names if "level" in n]
            if match:
                out[match[0]] = value
    return out


# -- running -----------------------------------------------------------------------------------
def _kinds_unchanged(base: LayerView, scen: LayerView, kinds) -> bool:
    for kind in kinds:
        a, b = base.layers_of_kind(kind), scen.layers_of_kind(kind)
        if a != b:
            return False
        if any(base.data[name] is not scen.data[name] for name in a):
            return False
    return True


def _run(spec, layers, params: dict):
    from ..query.registry import coerce_params

    return spec.run(layers, **coerce_params(spec, params))


def _value_frame(result) -> tuple[pd.DataFrame, str | None]:
    """The result layer without geometry, indexed by the id column, one row per id."""
    layer = result.layer
    idc = result.id_column if result.id_column in getattr(layer, "columns", []) else None
    if layer is None or idc is None:
        return pd.DataFrame(), None
    geom = getattr(layer, "_geometry_column_name", None)
    frame = pd.DataFrame(layer.drop(columns=[geom] if geom in layer.columns else []))
    frame[idc] = frame[idc].astype("string")
    frame = frame[frame[idc].notna()]
    return frame, idc


def _status_columns(frame: pd.DataFrame, result) -> list[str]:
    cols = []
    if result.status_column and result.status_column in frame.columns:
        cols.append(result.status_column)
    for c in frame.columns:
        if c not in cols and str(c).endswith("_status"):
            cols.append(c)
    return cols


def _check_name(col: str, result) -> str:
    if col == result.status_column:
        return "status"
    return col[: -len("_status")] if col.endswith("_status") else col


def _per_id_status(frame: pd.DataFrame, idc: str, col: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for fid, value in zip(frame[idc], frame[col]):
        value = "n/a" if value is None or value is pd.NA or (isinstance(value, float)
                                                                and math.isnan(value)) \
            else str(value)
        prev = out.get(fid)
        if prev is None or _STATUS_RANK.get(value, 2) > _STATUS_RANK.get(prev, 2):
            out[fid] = value
    return out


def _numeric_columns(frame: pd.DataFrame, idc: str) -> list[str]:
    out = []
    for c in frame.columns:
        if c == idc or c in _SKIP_NUMERIC or c == CHANGE_COLUMN:
            continue
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        out.append(c)
    return out


def _feature_kind(ids: set[str], id_sets: dict[str, set[str]], query: str) -> str:
    if not ids:
        return query
    best, best_n = query, 0
    for kind in ("parcel", "building", "facility", "road", "river"):
        n = len(ids & id_sets.get(kind, set()))
        if n > best_n:
            best, best_n = kind, n
    return best


def _equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            fa, fb = float(a), float(b)
        except (TypeError, ValueError):
            return a == b
        if math.isnan(fa) and math.isnan(fb):
            return True
        return math.isclose(fa, fb, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _flatten(summary: dict, prefix: str = "") -> dict[str, float]:
    out = {}
    for k, v in (summary or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, (bool, np.bool_)):
            out[key] = int(v)
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out[key] = float(v)
    return out


def _compare(name: str, before, after, id_sets, removed: set[str], added: set[str],
             ind_rows: list, status_rows: list, input_columns: dict[str, set[str]],
             scope: str = "town") -> None:
    # Town-wide (or over the affected area of a local query): the numeric summary.
    sb = _flatten(before.summary) if before is not None else {}
    sa = _flatten(after.summary) if after is not None else {}
    for key in sorted(set(sb) | set(sa)):
        b, a = sb.get(key), sa.get(key)
        ind_rows.append((name, scope, "", key, b, a,
                         None if a is None or b is None else a - b, not _equal(a, b)))
    fb, idc_b = _value_frame(before) if before is not None else (pd.DataFrame(), None)
    fa, idc_a = _value_frame(after) if after is not None else (pd.DataFrame(), None)
    idc = idc_a or idc_b
    if idc is None:
        return
    if fb.empty and idc_b is None:
        fb = pd.DataFrame(columns=fa.columns)
    if fa.empty and idc_a is None:
        fa = pd.DataFrame(columns=fb.columns)
    ids_b, ids_a = set(fb[idc].dropna()), set(fa[idc].dropna())
    kind = _feature_kind(ids_b | ids_a, id_sets, name)
    ref = after if after is not None else before
    status_cols = _status_columns(fa if len(fa.columns) else fb, ref)
    if len(status_cols) > 1 and ref.status_column in status_cols:
        # The overall status only repeats its per-check columns (far, height...).
        status_cols.remove(ref.status_column)
    # Status changes, per check.
    if status_cols:
        for col in status_cols:
            check = _check_name(col, ref)
            sb_ = _per_id_status(fb, idc, col) if col in fb.columns else {}
            sa_ = _per_id_status(fa, idc, col) if col in fa.columns else {}
            for fid in sorted(set(sb_) | set(sa_)):
                # A feature a result does not list is clear of it, unless the scenario added
                # or removed the feature itself.
                b = sb_.get(fid, STATUS_ABSENT if fid in added else STATUS_OK)
                a = sa_.get(fid, STATUS_ABSENT if fid in removed else STATUS_OK)
                if b != a:
                    status_rows.append((name, kind, fid, check, b, a, _change(b, a)))
    else:
        for fid in sorted(ids_b ^ ids_a):
            if fid in ids_a:
                b = STATUS_ABSENT if fid in added else STATUS_OK
                status_rows.append((name, kind, fid, "flagged", b, STATUS_FLAGGED,
                                    _change(b, STATUS_FLAGGED)))
            else:
                a = STATUS_ABSENT if fid in removed else STATUS_OK
                status_rows.append((name, kind, fid, "flagged", STATUS_FLAGGED, a,
                                    _change(STATUS_FLAGGED, a)))
    # Per-feature values: all of a parcel-level result, only changes otherwise. The
    # feature's own input attributes are not indicators (a parcel's limits are kept).
    inputs = input_columns.get(kind, set()) - set(_LIMITS)
    cols = [c for c in _numeric_columns(fa if len(fa.columns) else fb, idc) if c not in inputs]
    ids = sorted(ids_b | ids_a)
    if not ids or not cols:
        return
    vb = _aligned(fb, idc, ids)
    va = _aligned(fa, idc, ids)
    keep_all = kind == "parcel"
    found = []
    for j, col in enumerate(cols):
        b = _numbers(vb, col, len(ids))
        a = _numbers(va, col, len(ids))
        nan_b, nan_a = np.isnan(b), np.isnan(a)
        with np.errstate(invalid="ignore"):
            same = (nan_b & nan_a) | (~nan_b & ~nan_a & np.isclose(a, b, rtol=1e-9, atol=1e-9))
        for i in (range(len(ids)) if keep_all else np.flatnonzero(~same).tolist()):
            bv = None if nan_b[i] else float(b[i])
            av = None if nan_a[i] else float(a[i])
            delta = None if bv is None or av is None else av - bv
            found.append((i, j, (name, kind, ids[i], col, bv, av, delta, not bool(same[i]))))
    found.sort(key=lambda t: (t[0], t[1]))
    ind_rows.extend(row for _, _, row in found)


def _aligned(frame: pd.DataFrame, idc: str, ids: list[str]) -> pd.DataFrame:
    """``frame`` with one row per id of ``ids`` (first row of duplicates; missing ids NaN)."""
    if not len(frame) or idc not in frame.columns:
        return pd.DataFrame(index=pd.Index(ids))
    return frame.drop_duplicates(idc).set_index(idc).reindex(ids)


def _numbers(frame: pd.DataFrame, col: str, n: int) -> np.ndarray:
    if col not in frame.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _change(before: str, after: str) -> str:
    good = {"pass", STATUS_OK}
    neutral = {"n/a", STATUS_ABSENT}
    if after == STATUS_ABSENT:
        return "removed"
    if before == STATUS_ABSENT:
        return "new " + after
    if before in good and after not in good | neutral:
        return "worse"
    if before not in good | neutral and after in good:
        return "better"
    return "changed"


def diff(base, scenario, *, params: dict | None = None, queries: list[str] | None = None,
         full: bool = False) -> ScenarioDiff:
    """Run every registered query on ``base`` and on ``scenario`` and compare them.

    Parameters
    ----------
    base : LayerView or Store
        The base (from :func:`~twin.scenario.load_base`, or a store, read once).
    scenario : LayerView
        The view from :func:`~twin.scenario.apply`.
    params : dict, optional
        ``{query: {param: value}}`` for both sides (the base flood level…); the scenario's own
        parameters (a flood level edit) override them on the scenario side.
    queries : list of str, optional
        Only these queries (default: every registered query whose spec has ``diff=True``).
    full : bool
        Run local queries (``sunlight``) on every feature too, for exact town-wide totals;
        by default they run only where the scenario can change them (same per-feature
        results, much faster).
    """
    from ..query.inputs import Layers
    from ..query.registry import get_query
    from ..query.registry import queries as all_queries
    from .apply import load_base

    t_start = time.perf_counter()
    if not isinstance(base, LayerView):
        base = load_base(base)
    if not isinstance(scenario, LayerView):
        raise ScenarioError("diff needs the scenario's view; apply the scenario first",
                            hint="diff(base, apply(base, scenario))")
    specs = [get_query(q) for q in queries] if queries else \
        [s for s in all_queries() if s.diff and s.name not in NOT_DIFFED]
    params = {k: dict(v) for k, v in (params or {}).items()}
    base_layers, scen_layers = Layers(base), Layers(scenario)

    removed = set(scenario.changed_ids("building", "removed"))
    added = set(scenario.changed_ids("building", "added"))
    id_sets: dict[str, set[str]] = {}
    input_columns: dict[str, set[str]] = {}
    for kind in ("parcel", "building", "facility", "road", "river"):
        ids: set[str] = set()
        cols: set[str] = set()
        for view in (base, scenario):
            frame = view.frame(kind)
            cols |= set(frame.columns)
            if "id" in frame.columns:
                ids |= set(frame["id"].dropna().astype(str))
        id_sets[kind] = ids
        input_columns[kind] = cols

    ind_rows: list = []
    status_rows: list = []
    local: dict[str, int] = {}
    skipped: dict[str, str] = {}
    timings: dict[str, float] = {}
    results: dict[str, tuple] = {}
    for spec in specs:
        p_base = query_params(spec, params.get(spec.name))
        p_scen = {**p_base, **query_params(spec, scenario.params.get(spec.name))}
        p_base_all = {**p_base, **query_params(spec, base.params.get(spec.name))}
        kinds = (*spec.inputs, *spec.optional_inputs)
        if not full and spec.name in LOCAL_QUERIES and p_scen == p_base_all:
            done = _run_local(spec, base, scenario, base_layers, scen_layers, p_base_all,
                              kinds, timings, skipped, results)
            if done is not None:
                local[spec.name] = done[2]
                if done[0] is not None or done[1] is not None:
                    _compare(spec.name, done[0], done[1], id_sets, removed, added, ind_rows,
                             status_rows, input_columns, scope="area")
                continue
        before = after = None
        reasons = []
        t0 = time.perf_counter()
        try:
            before = _run(spec, base_layers, p_base_all)
        except QueryError as exc:
            reasons.append(f"base: {exc}")
        timings[f"{spec.name}/base"] = round(time.perf_counter() - t0, 4)
        t0 = time.perf_counter()
        if before is not None and p_scen == p_base_all and _kinds_unchanged(base, scenario, kinds):
            after = before
        else:
            try:
                after = _run(spec, scen_layers, p_scen)
            except QueryError as exc:
                reasons.append(f"scenario: {exc}")
        timings[f"{spec.name}/scenario"] = round(time.perf_counter() - t0, 4)
        if reasons:
            skipped[spec.name] = "; ".join(reasons)
        results[spec.name] = (before, after)
        if before is None and after is None:
            continue
        _compare(spec.name, before, after, id_sets, removed, added, ind_rows, status_rows,
                 input_columns)

    indicators = pd.DataFrame(ind_rows, columns=_INDICATOR_COLUMNS)
    status = pd.DataFrame(status_rows, columns=_STATUS_COLUMNS)
    status = status.sort_values(["query", "kind", "id", "check"], kind="stable") \
        .reset_index(drop=True)
    timings["total"] = round(time.perf_counter() - t_start, 4)
    return ScenarioDiff(scenario=scenario.name, indicators=indicators, status_changes=status,
                        edits=[c.to_dict() for c in scenario.changes], skipped=skipped,
                        timings=timings, results=results, local=local)


def _run_local(spec, base, scenario, base_layers, scen_layers, params, kinds, timings,
               skipped, results):
    """Run a local query on the receivers the scenario can affect, on both sides.

    Returns ``(before, after, receivers)``, or ``None`` to run the query in full.
    """
    from ..query.registry import coerce_params

    lq = LOCAL_QUERIES[spec.name]
    if _kinds_unchanged(base, scenario, kinds):
        results[spec.name] = (None, None)
        timings[f"{spec.name}/base"] = timings[f"{spec.name}/scenario"] = 0.0
        return None, None, 0
    t0 = time.perf_counter()
    try:
        b_frame, s_frame = base_layers[lq.kind], scen_layers[lq.kind]
        changed = set(scenario.changed_ids(lq.kind))
        receivers = lq.receivers(b_frame, s_frame, changed, coerce_params(spec, params))
    except QueryError:
        return None
    if receivers is None:
        return None
    out = []
    reasons = []
    for side, layers, frame in (("base", base_layers, b_frame),
                                ("scenario", scen_layers, s_frame)):
        t = time.perf_counter()
        try:
            out.append(_run(spec, layers.copy().override(lq.kind, lq.mask(frame, receivers)),
                            params))
        except QueryError as exc:
            reasons.append(f"{side}: {exc}")
            out.append(None)
        timings[f"{spec.name}/{side}"] = round(time.perf_counter() - t, 4)
    if reasons:  # both sides' reasons, as for a whole-town run
        skipped[spec.name] = "; ".join(reasons)
    timings[f"{spec.name}/receivers"] = round(time.perf_counter() - t0, 4)
    results[spec.name] = (out[0], out[1])
    return out[0], out[1], len(receivers)


def diff_scenario(store, scenario, *, params: dict | None = None,
                  queries: list[str] | None = None) -> ScenarioDiff:
    """Read the base once from ``store``, apply ``scenario`` and :func:`diff` them."""
    from .apply import apply, load_base

    base = load_base(store, versions=scenario.base)
    return diff(base, apply(base, scenario), params=params, queries=queries)
