"""The query registry: the built-in order comes from builtin.BUILTIN_MODULES, and a query
that only registers (declaring its result contract) is diffed by the scenario diff without
the diff knowing it."""

from __future__ import annotations

import numpy as np
import pytest
from test_scenario_apply import make_town

from twin.query import Param, QueryResult, QuerySpec, StatusCheck, get_query, queries, register
from twin.query import registry as registry_module
from twin.query.builtin import BUILTIN_MODULES
from twin.query.common import numeric
from twin.scenario import AddBuilding, FloodLevel, Scenario, apply, load_base
from twin.scenario.diff import diff


def test_builtin_order_follows_the_builtin_modules():
    names = [q.name for q in queries()]
    assert names[:7] == ["select", "indicators", "setbacks", "coverage", "flood", "sunlight",
                         "shadows"]
    builtin = [q for q in queries() if q.run.__module__.startswith("twin.query.")]
    modules = [q.run.__module__.rsplit(".", 1)[-1] for q in builtin]
    assert sorted(set(modules), key=modules.index) == list(BUILTIN_MODULES)


def _run_tall(layers, *, limit_m: float = 50.0, level: float | None = None) -> QueryResult:
    b = layers.require("building", query="tall")
    out = b[["id", "geometry"]].copy()
    out["height_m"] = numeric(b, "height_m")
    out["margin_m"] = np.round(limit_m - out["height_m"], 3)
    out["tall_status"] = np.where(out["height_m"] > limit_m, "fail", "pass")
    out["noise"] = 1.0  # a number the spec does not declare: never an indicator row
    return QueryResult("tall", out, summary={"tall": int((out["tall_status"] == "fail").sum()),
                                             "level": level or 0.0}, id_column="id")


@pytest.fixture
def tall(monkeypatch):
    monkeypatch.setattr(registry_module, "_REGISTRY", dict(registry_module._REGISTRY))
    spec = register(QuerySpec(
        name="tall", title_zh="高层", title_en="Tall buildings", run=_run_tall,
        inputs=("building",), feature_kind="building",
        status_checks=(StatusCheck("tall", "tall_status"),), value_columns=("margin_*",),
        scenario_params={"flood.level_m": "level"},
        params=(Param("limit_m", "float", 50.0), Param("level", "float", None))))
    return spec


def test_a_registered_query_is_listed_after_the_builtin_ones(tall):
    assert [q.name for q in queries()][-1] == "tall"
    assert get_query("tall").status_checks == (StatusCheck("tall", "tall_status"),)


def test_the_diff_reads_a_new_querys_declarations(tall, store):
    info = make_town(store)
    base = load_base(store)
    scen = Scenario("t", [AddBuilding(footprint=info["tower"], height_m=100, floors=30,
                                      use="R", id="T1", crs="EPSG:4549"),
                          FloodLevel(level_m=4.5)])
    result = diff(base, apply(base, scen), queries=["tall"])
    rows = result.status_changes
    assert [tuple(r) for r in rows[["query", "kind", "id", "check", "before", "after"]]
            .itertuples(index=False)] == [("tall", "building", "T1", "tall", "absent", "fail")]
    ind = result.indicators.set_index(["scope", "id", "indicator"])
    assert ind.loc[("building", "T1", "margin_m"), "after"] == pytest.approx(-50.0)
    assert not any(result.indicators["indicator"] == "noise")
    assert not any(result.indicators["indicator"] == "height_m")
    # the scenario's flood level reached the parameter the spec maps it onto
    assert ind.loc[("town", "", "level"), "after"] == pytest.approx(4.5)
    assert ind.loc[("town", "", "level"), "before"] == pytest.approx(0.0)


def test_a_scenario_setting_must_map_onto_a_real_parameter():
    from twin.errors import QueryError

    with pytest.raises(QueryError, match="unknown parameter 'lvl'"):
        QuerySpec(name="x", title_zh="x", title_en="x", run=_run_tall,
                  scenario_params={"flood.level_m": "lvl"})
