"""Compare a scenario with the base: run every registered query on both, list what changed.

:func:`diff` returns a :class:`ScenarioDiff` with

* ``indicators``: one row per indicator before/after. Town-wide rows come from each query's
  numeric ``summary``; per-feature rows from the ``value_columns`` its
  :class:`~twin.query.registry.QuerySpec` declares, keyed by the result's ``id_column``
  (every feature when the spec says ``every_feature``, as ``indicators`` does for parcels;
  only the features whose values changed otherwise);
* ``status_changes``: the features (of the spec's ``feature_kind``) whose pass/fail status
  changed, one ``check`` per declared ``status_checks`` column (``status``, ``far``,
  ``height``…). A query that declares no status check flags the features it lists
  (flooded, inside a setback, shaded): appearing in the scenario's layer is
  ``ok → flagged``.

Every rule about a query comes from its spec: scenario settings it takes
(``scenario_params``), and whether it runs only where the scenario can change it
(``local``).

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
from .view import LayerView

__all__ = ["ScenarioDiff", "diff", "diff_scenario", "query_params", "scenario_settings",
           "STATUS_FLAGGED", "STATUS_OK", "STATUS_ABSENT"]

STATUS_FLAGGED = "flagged"
STATUS_OK = "ok"
STATUS_ABSENT = "absent"

_INDICATOR_COLUMNS = ["query", "scope", "id", "indicator", "before", "after", "delta", "changed"]
_STATUS_COLUMNS = ["query", "kind", "id", "check", "before", "after", "change"]
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
    """The subset of ``given`` (``{param: value}``) that ``spec`` takes."""
    names = {p.name for p in spec.params}
    return {k: v for k, v in (given or {}).items() if k in names}


def scenario_settings(spec, view: LayerView) -> dict:
    """The parameters ``spec`` takes from the settings ``view``'s edits made (its declared
    ``scenario_params``: ``flood.level_m`` → the flood query's ``level_m``)."""
    out = {}
    for setting, param in spec.scenario_params:
        group, _, key = setting.partition(".")
        values = view.params.get(group, {})
        if key in values:
            out[param] = values[key]
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


def _value_columns(spec, frame: pd.DataFrame) -> list[str]:
    """The declared value columns of ``frame`` that hold numbers."""
    out = []
    for c in spec.value_columns_of(frame.columns):
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        out.append(c)
    return out


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


def _compare(spec, before, after, removed: set[str], added: set[str], ind_rows: list,
             status_rows: list, scope: str = "town") -> None:
    name = spec.name
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
    ref = after if after is not None else before
    kind = spec.feature_kind or ref.feature_kind or name
    # Status changes, per declared check.
    if spec.status_checks:
        for check, col in ((c.name, c.column) for c in spec.status_checks):
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
    # Per-feature values: the declared columns, of every feature or only of changes.
    cols = _value_columns(spec, fa if len(fa.columns) else fb)
    ids = sorted(ids_b | ids_a)
    if not ids or not cols:
        return
    vb = _aligned(fb, idc, ids)
    va = _aligned(fa, idc, ids)
    keep_all = spec.every_feature
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
        Run local queries (a spec with ``local``, such as ``sunlight``) on every feature
        too, for exact town-wide totals; by default they run only where the scenario can
        change them (same per-feature results, much faster).
    """
    from ..query.inputs import QueryInputs
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
        [s for s in all_queries() if s.diff]
    params = {k: dict(v) for k, v in (params or {}).items()}
    base_layers, scen_layers = QueryInputs(base), QueryInputs(scenario)

    removed = set(scenario.changed_ids("building", "removed"))
    added = set(scenario.changed_ids("building", "added"))

    ind_rows: list = []
    status_rows: list = []
    local: dict[str, int] = {}
    skipped: dict[str, str] = {}
    timings: dict[str, float] = {}
    results: dict[str, tuple] = {}
    for spec in specs:
        p_base = query_params(spec, params.get(spec.name))
        p_scen = {**p_base, **scenario_settings(spec, scenario)}
        p_base_all = {**p_base, **scenario_settings(spec, base)}
        kinds = (*spec.inputs, *spec.optional_inputs)
        if not full and spec.local is not None and p_scen == p_base_all:
            done = _run_local(spec, base, scenario, base_layers, scen_layers, p_base_all,
                              kinds, timings, skipped, results)
            if done is not None:
                local[spec.name] = done[2]
                if done[0] is not None or done[1] is not None:
                    _compare(spec, done[0], done[1], removed, added, ind_rows, status_rows,
                             scope="area")
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
        _compare(spec, before, after, removed, added, ind_rows, status_rows)

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

    lq = spec.local
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
