"""``projects``: the key-project portfolio (项目管家) on a date — which projects have not
started, are under construction or are finished by their planned dates, the progress each
should have by then, which are delayed, and the investment behind each state.

Example
-------
>>> res = run_projects(layers, at="2025-06-30")                  # doctest: +SKIP
>>> res.summary["under_construction"], res.summary["delayed"]    # doctest: +SKIP
(14, 3)
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..projects import STATES, hidden_buildings, projects_at
from .inputs import QueryInputs
from .registry import Param, QueryResult, QuerySpec, register

__all__ = ["run_projects"]


def run_projects(layers: QueryInputs, *, at: dt.date | None = None, state: str | None = None,
                 delayed_only: bool = False) -> QueryResult:
    """The projects on ``at`` (default today), optionally one ``state`` or only delayed."""
    projects = layers.require("project", query="projects")
    day = at or dt.date.today()
    frame = projects_at(projects, day)
    investment = pd.to_numeric(frame["investment_cny"], errors="coerce").fillna(0.0)
    summary: dict = {"at": day.isoformat(), "projects": int(len(frame)),
                     "investment_cny": float(investment.sum())}
    for name in STATES:
        mask = (frame["state"] == name).to_numpy()
        summary[name] = int(mask.sum())
        summary[f"{name}_investment_cny"] = float(investment[mask].sum())
    summary["delayed"] = int(frame["delayed"].sum())
    summary["buildings_not_yet_built"] = len(hidden_buildings(projects, day))
    if state is not None:
        frame = frame[frame["state"] == state]
    if delayed_only:
        frame = frame[frame["delayed"]]
    frame = frame.assign(investment_yi=np.round(pd.to_numeric(
        frame["investment_cny"], errors="coerce") / 1e8, 2))
    order = [c for c in ("id", "name", "state", "status", "progress_pct", "expected_pct",
                         "delayed", "start_date", "finish_date", "investment_yi", "sector",
                         "owner") if c in frame.columns]
    table = pd.DataFrame(frame[order]).reset_index(drop=True)
    return QueryResult("projects", frame, summary=summary, table=table, color_by="state",
                       id_column="id", status_column="state",
                       params={"at": day, "state": state, "delayed_only": delayed_only},
                       methods={"state": "by the planned start_date and finish_date",
                                "expected_pct": "linear schedule from start to finish",
                                "delayed": "not completed, and past the finish or more than "
                                           "10 points behind the linear schedule"})


register(QuerySpec(
    name="projects",
    title_zh="重点项目",
    title_en="Key projects on a date",
    run=run_projects,
    inputs=("project",),
    description="Which key projects have not started, are under construction or finished "
                "on a date, with expected progress, delays and investment.",
    color_by="state",
    diff=False,
    params=(
        Param("at", "date", None, "日期", "Date", "YYYY-MM-DD; default today"),
        Param("state", "choice", None, "状态", "State", "only this state",
              choices=STATES),
        Param("delayed_only", "bool", False, "仅滞后项目", "Delayed only",
              "list only the delayed projects"),
    ),
))
