"""Key projects (项目管家): the rules of the ``project`` kind and the project timeline.

A project has a footprint (or a point), a name, an owner, a sector, its investment in yuan,
a start and a planned finish date (``YYYY-MM-DD``), a progress in per cent, a status and
optionally the ids of the buildings it delivers (``building_ids``, comma-separated).
:func:`check_projects` is the kind's rule: a date that does not parse, a progress outside
0–100, a finish before the start or an unknown status is one :class:`SchemaError` naming
the feature and the fix, raised before anything is written.

:func:`projects_at` gives every project's state on a date (the 4D timeline): not started,
under construction or finished, with the progress the plan expects by then and whether the
project is delayed.

Example
-------
>>> import pandas as pd
>>> from twin.projects import projects_at
>>> p = pd.DataFrame({"id": ["X1"], "start_date": ["2024-01-01"],
...                   "finish_date": ["2026-01-01"], "progress_pct": [20.0],
...                   "status": ["under_construction"]})
>>> projects_at(p, "2025-01-01")[["id", "state", "expected_pct", "delayed"]].values.tolist()
[['X1', 'under_construction', 50.0, True]]
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .errors import SchemaError

__all__ = ["PROJECT_STATUSES", "STATES", "DELAY_MARGIN_PCT", "check_projects", "parse_day",
           "projects_at", "delayed_projects", "hidden_buildings"]

PROJECT_STATUSES = ("planned", "under_construction", "completed", "suspended")
STATES = ("not_started", "under_construction", "finished")
DELAY_MARGIN_PCT = 10.0
"""A project more than this many points behind its linear schedule is delayed."""

_STATUS_ALIASES = {"规划": "planned", "前期": "planned", "在建": "under_construction",
                   "建设中": "under_construction", "竣工": "completed", "已完成": "completed",
                   "completed": "completed", "done": "completed", "停工": "suspended",
                   "planned": "planned", "under_construction": "under_construction",
                   "suspended": "suspended", "construction": "under_construction"}


def parse_day(value) -> dt.date | None:
    """``YYYY-MM-DD`` (or a date/datetime) as a date; None for a missing value; raises
    ValueError for text that is not such a date."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    return dt.date.fromisoformat(text[:10]) if len(text) >= 10 and text[10:11] in ("", "T", " ") \
        else dt.date.fromisoformat(text)


def _where(frame: pd.DataFrame, i: int, layer: str | None) -> str:
    ident = frame["id"].iloc[i] if "id" in frame.columns else i
    name = frame["name"].iloc[i] if "name" in frame.columns else None
    label = f"project {ident}" + (f" ({name})" if isinstance(name, str) and name else "")
    return f"{label} in layer {layer!r}" if layer else label


def check_projects(frame: pd.DataFrame, *, layer: str | None = None) -> None:
    """Refuse a project layer with a date that does not parse, a progress outside 0–100
    (or not a number), a finish before its start, or an unknown status: one SchemaError
    naming the project, the value and what to do."""
    n = len(frame)
    for col in ("start_date", "finish_date"):
        if col not in frame.columns:
            continue
        for i, value in enumerate(frame[col].tolist()):
            try:
                parse_day(value)
            except (TypeError, ValueError):
                raise SchemaError(f"{col} {value!r} is not a date",
                                  where=_where(frame, i, layer),
                                  hint="write dates as YYYY-MM-DD, e.g. 2025-06-30") from None
    if "progress_pct" in frame.columns:
        raw = frame["progress_pct"]
        num = pd.to_numeric(raw, errors="coerce")
        for i in np.flatnonzero((num.isna() & raw.notna() & (raw.astype("string").str.strip()
                                                                 != "")).to_numpy()):
            raise SchemaError(f"progress_pct {raw.iloc[i]!r} is not a number",
                              where=_where(frame, int(i), layer),
                              hint="give the progress as a number from 0 to 100")
        bad = (num < 0) | (num > 100)
        for i in np.flatnonzero(bad.fillna(False).to_numpy()):
            raise SchemaError(f"progress_pct {num.iloc[i]:g} is outside 0–100",
                              where=_where(frame, int(i), layer),
                              hint="give the progress in per cent, from 0 to 100")
    if {"start_date", "finish_date"} <= set(frame.columns):
        for i in range(n):
            start = parse_day(frame["start_date"].iloc[i])
            finish = parse_day(frame["finish_date"].iloc[i])
            if start and finish and finish < start:
                raise SchemaError(f"planned finish {finish.isoformat()} is before the start "
                                  f"{start.isoformat()}", where=_where(frame, i, layer),
                                  hint="swap or correct start_date and finish_date")
    if "status" in frame.columns:
        for i, value in enumerate(frame["status"].tolist()):
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                continue
            if str(value).strip().lower() not in _STATUS_ALIASES:
                raise SchemaError(f"status {value!r} is unknown", where=_where(frame, i, layer),
                                  hint="use one of " + ", ".join(PROJECT_STATUSES))


def _days(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[column].astype("string"), errors="coerce", format="mixed")


def projects_at(frame: pd.DataFrame, day) -> pd.DataFrame:
    """``frame`` with the state of every project on ``day`` (a date or ``YYYY-MM-DD``):
    ``state`` (not_started / under_construction / finished, by the planned dates),
    ``expected_pct`` (the linear schedule's progress by ``day``), ``status`` normalised,
    and ``delayed`` (not completed, and either past its finish or more than
    :data:`DELAY_MARGIN_PCT` points behind the schedule)."""
    when = pd.Timestamp(parse_day(day) if not isinstance(day, pd.Timestamp) else day)
    out = frame.copy()
    start, finish = _days(frame, "start_date"), _days(frame, "finish_date")
    state = np.where(start.isna() | (when < start), "not_started",
                     np.where(finish.notna() & (when >= finish), "finished",
                              "under_construction"))
    span = (finish - start).dt.days.astype(float)
    done = (when - start).dt.days.astype(float)
    expected = np.clip(np.where(span > 0, done / span.where(span > 0, 1.0) * 100.0,
                                np.where(when >= finish, 100.0, 0.0)), 0.0, 100.0)
    expected = np.where(start.isna(), np.nan, np.round(expected, 1))
    progress = pd.to_numeric(frame.get("progress_pct", pd.Series(np.nan, index=frame.index)),
                             errors="coerce").to_numpy(dtype=float)
    status = frame.get("status", pd.Series(None, index=frame.index, dtype=object))
    status = status.map(lambda v: _STATUS_ALIASES.get(str(v).strip().lower(), "planned")
                        if isinstance(v, str) and v.strip() else None)
    completed = (status == "completed").to_numpy() | (progress >= 100.0)
    late = np.isfinite(progress) & (
        ((state == "finished") & (progress < 100.0))
        | ((state == "under_construction") & (progress < expected - DELAY_MARGIN_PCT)))
    out["state"] = state
    out["expected_pct"] = expected
    out["status"] = status.to_numpy()
    out["delayed"] = late & ~completed
    return out


def delayed_projects(frame: pd.DataFrame, day) -> pd.DataFrame:
    """The delayed projects on ``day``, most behind schedule first, with ``behind_pct``."""
    at = projects_at(frame, day)
    late = at[at["delayed"]].copy()
    late["behind_pct"] = np.round(late["expected_pct"] - pd.to_numeric(
        late["progress_pct"], errors="coerce"), 1)
    return late.sort_values("behind_pct", ascending=False, kind="stable")


def hidden_buildings(frame: pd.DataFrame, day) -> set[str]:
    """The ids of the buildings that the projects not yet started on ``day`` deliver (the
    4D view leaves them out)."""
    if "building_ids" not in frame.columns:
        return set()
    at = projects_at(frame, day)
    out: set[str] = set()
    for value in at.loc[at["state"] == "not_started", "building_ids"].tolist():
        if isinstance(value, str):
            out |= {v.strip() for v in value.split(",") if v.strip()}
    return out
