"""What-if scenarios: named, ordered edits applied on top of the store, never changing it.

A :class:`Scenario` is saved as a readable JSON document next to the store's catalog
(:func:`save_scenario` / :func:`load_scenario`). :func:`apply` gives a
:class:`LayerView` of the store with the edits on top; :func:`diff` runs every registered
query on the base and on the scenario and reports what changed.

Example
-------
>>> from twin.scenario import Scenario, parse_edits, apply, diff, load_base
>>> s = Scenario("tower", parse_edits(["set-parcel", "id=P1", "far=2.5"]))
>>> base = load_base(store)                 # doctest: +SKIP
>>> result = diff(base, apply(base, s))     # doctest: +SKIP
"""

from __future__ import annotations

from .apply import apply, load_base, load_scenario, save_scenario, scenario_view
from .diff import ScenarioDiff, diff, diff_scenario
from .model import (
    EDIT_TYPES,
    AddBuilding,
    AddFacility,
    AddIfc,
    AddRoad,
    Edit,
    FloodLevel,
    RemoveBuilding,
    RiverBuffer,
    Scenario,
    SetBuilding,
    SetParcel,
    edit_from_dict,
    stack,
)
from .syntax import parse_edits
from .view import Change, LayerView

__all__ = [
    "Scenario",
    "Edit",
    "AddBuilding",
    "RemoveBuilding",
    "SetBuilding",
    "SetParcel",
    "AddRoad",
    "RiverBuffer",
    "FloodLevel",
    "AddFacility",
    "AddIfc",
    "EDIT_TYPES",
    "edit_from_dict",
    "stack",
    "parse_edits",
    "apply",
    "load_base",
    "load_scenario",
    "save_scenario",
    "scenario_view",
    "diff",
    "diff_scenario",
    "ScenarioDiff",
    "LayerView",
    "Change",
]
