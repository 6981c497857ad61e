"""Apply a scenario to the store: a :class:`~twin.scenario.view.LayerView` with the edits on top.

The base store is only read. :func:`load_base` reads every layer once into a view;
:func:`apply` copies a view (or reads one from a store) and applies the edits in order, so the
same base and the same scenario always give the same view.

Example
-------
>>> from twin.store import open_store
>>> from twin.scenario import Scenario, SetParcel, apply, load_base
>>> base = load_base(open_store("layers"))                      # doctest: +SKIP
>>> view = apply(base, Scenario("x", [SetParcel(id="P1", max_far=3.0)]))  # doctest: +SKIP
"""

from __future__ import annotations

from ..errors import ScenarioError, StoreError
from .edits import apply_edit
from .model import Scenario
from .view import LayerView

__all__ = ["load_base", "apply", "load_scenario", "save_scenario", "scenario_view"]


def load_base(store, *, versions: dict[str, int] | None = None,
              kinds: list[str] | None = None) -> LayerView:
    """Read the store's layers (current versions, or ``versions`` pins) into a base view.

    ``kinds`` limits the kinds read. Nothing is written.
    """
    if isinstance(store, LayerView):
        return store
    versions = dict(versions or {})
    data, layer_kinds, read_versions = {}, {}, {}
    for info in store.layers():
        if kinds is not None and info.kind not in kinds:
            continue
        version = versions.get(info.name) or info.current
        data[info.name] = store.read(info.name, version=version)
        layer_kinds[info.name] = info.kind
        read_versions[info.name] = version
    missing = sorted(set(versions) - set(data))
    if missing:
        raise ScenarioError(f"the scenario pins layers the store does not have: {missing}",
                            where=str(getattr(store, "url", "store")))
    return LayerView(data, layer_kinds, base=store, name="base", versions=read_versions)


def apply(base, scenario: Scenario) -> LayerView:
    """The view of ``base`` (a store or a base view) with ``scenario``'s edits applied in order.

    A scenario that pins base versions reads those versions from a store; given a base view,
    the pins must match it.
    """
    if not isinstance(scenario, Scenario):
        raise ScenarioError(f"not a scenario: {scenario!r}")
    if isinstance(base, LayerView):
        for layer, version in scenario.base.items():
            have = base.versions.get(layer)
            if have != version and base.base is not None:
                base = load_base(base.base, versions=scenario.base)
                break
    else:
        base = load_base(base, versions=scenario.base)
    view = base.copy(name=scenario.name)
    for index, edit in enumerate(scenario.edits):
        apply_edit(view, edit, index)
    return view


def save_scenario(store, scenario: Scenario) -> int:
    """Save ``scenario`` as a new version in the store; returns the version."""
    if not scenario.name:
        raise ScenarioError("a scenario needs a name to be saved")
    return store.save_scenario(scenario.name, scenario.to_dict())


def load_scenario(store, name: str, version: int | None = None) -> Scenario:
    """The scenario ``name`` (latest version, or ``version``) from the store."""
    try:
        data = store.load_scenario(name, version)
    except StoreError as exc:
        raise ScenarioError(exc.message, hint=exc.hint) from None
    scenario = Scenario.from_dict(data)
    scenario.name = scenario.name or name
    return scenario


def scenario_view(store, name: str) -> LayerView:
    """Load the scenario ``name`` and apply it to the store."""
    return apply(store, load_scenario(store, name))
