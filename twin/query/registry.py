"""The query registry: every decision-support query is described once and found here.

A query is a pure function ``run(layers, **params) -> QueryResult``. Its :class:`QuerySpec`
names it, gives Chinese and English titles, and lists its parameters (:class:`Param`) with
types and defaults, so that the CLI, the app's Queries page and the scenario diff can build
their forms and call it without knowing the query.

Example
-------
>>> from twin.query import queries, get_query
>>> [q.name for q in queries()]  # doctest: +SKIP
['select', 'indicators', 'setbacks', 'coverage', 'flood', 'sunlight', 'shadows']
>>> spec = get_query("setbacks")
>>> [p.name for p in spec.params]  # doctest: +SKIP
['road_setback_m', 'road_setback_by_class', 'rivers', 'roads', 'skip_road_classes']
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..errors import QueryError

__all__ = [
    "Param",
    "QuerySpec",
    "StatusCheck",
    "QueryResult",
    "register",
    "get_query",
    "queries",
    "coerce_params",
]

PARAM_TYPES = ("float", "int", "str", "bool", "choice", "date", "datetime")


@dataclass(frozen=True)
class Param:
    """One parameter of a query.

    ``type`` is one of ``float``, ``int``, ``str``, ``bool``, ``choice`` (one of
    ``choices``), ``date`` (``YYYY-MM-DD``) or ``datetime`` (ISO, local time of the twin
    unless it carries an offset). ``default`` ``None`` means optional and empty.
    """

    name: str
    type: str
    default: Any = None
    label_zh: str = ""
    label_en: str = ""
    help: str = ""
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None

    def coerce(self, value):
        """Turn ``value`` (often a string from the CLI or a widget) into this param's type.

        ``None`` or ``""`` gives the default. Raises :class:`QueryError` naming the param.
        """
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return self.default
        try:
            if self.type == "float":
                out = float(value)
            elif self.type == "int":
                out = int(float(value))
                if float(value) != out:
                    raise ValueError("not a whole number")
            elif self.type == "bool":
                if isinstance(value, str):
                    low = value.strip().lower()
                    if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                        raise ValueError("not true/false")
                    out = low in {"1", "true", "yes", "on"}
                else:
                    out = bool(value)
            elif self.type == "date":
                out = value if isinstance(value, _dt.date) else _dt.date.fromisoformat(
                    str(value).strip())
                if isinstance(out, _dt.datetime):
                    out = out.date()
            elif self.type == "datetime":
                out = value if isinstance(value, _dt.datetime) else _dt.datetime.fromisoformat(
                    str(value).strip())
            else:
                out = str(value)
        except (TypeError, ValueError) as exc:
            raise QueryError(f"parameter {self.name!r} takes a {self.type}, got {value!r} ({exc})",
                             hint=self.help or None) from None
        if self.type == "choice" and out not in self.choices:
            raise QueryError(f"parameter {self.name!r} must be one of {list(self.choices)}, "
                             f"got {out!r}")
        if self.min is not None and out < self.min:
            raise QueryError(f"parameter {self.name!r} must be ≥ {self.min}, got {out}")
        if self.max is not None and out > self.max:
            raise QueryError(f"parameter {self.name!r} must be ≤ {self.max}, got {out}")
        return out

    def to_dict(self) -> dict:
        """A JSON-serialisable description (for forms and ``twin query --list --json``)."""
        out = dict(self.__dict__)
        out["choices"] = list(self.choices)
        if isinstance(out["default"], (_dt.date, _dt.datetime)):
            out["default"] = out["default"].isoformat()
        return out


@dataclass
class QueryResult:
    """What every query returns.

    Attributes
    ----------
    name : str
        The query that made it.
    layer : GeoDataFrame
        The features to draw, in the working CRS (may be empty).
    summary : dict
        Scalars for a dashboard or the town-wide row of a diff (counts, shares, totals).
    table : DataFrame
        The rows to list next to the map (may equal ``layer`` without geometry, or a
        breakdown such as per-facility-kind shares).
    color_by : str or None
        The column of ``layer`` to colour by.
    id_column : str or None
        The column of ``layer`` that identifies a feature (``id`` of a parcel or building).
    status_column : str or None
        A column of ``layer`` holding ``"pass"``/``"fail"`` (or another state); the scenario
        diff compares it per ``id_column``.
    extra_layers : dict
        Further named layers to draw (flooded area, shadows, setback zones…).
    tables : dict
        Further named tables (evidence, per-violation rows…).
    params : dict
        The parameters actually used, after defaults.
    methods : dict
        How things were computed (GFA method, distances, datum…), for reports.
    feature_kind : str or None
        The kind of the features in ``layer`` when the query's spec leaves it open
        (``select``: the kind of the layer it searched).
    """

    name: str
    layer: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None
    color_by: str | None = None
    id_column: str | None = "id"
    status_column: str | None = None
    extra_layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)
    feature_kind: str | None = None

    def __post_init__(self):
        if self.table is None:
            self.table = pd.DataFrame(self.layer.drop(columns=self.layer.geometry.name,
                                                      errors="ignore"))

    def export(self, out, *, driver: str | None = None, what: str = "layer") -> Path:
        """Write the result layer (or ``what``: ``table`` or a name in ``extra_layers`` /
        ``tables``) to GeoPackage, GeoJSON, GeoParquet or CSV, chosen by suffix."""
        from ..store.export import export_frame

        frame = self._pick(what)
        out = Path(out)
        if not isinstance(frame, gpd.GeoDataFrame) and out.suffix.lower() not in (
                ".csv", ".parquet") and driver not in ("CSV", "Parquet"):
            raise QueryError(f"{self.name} {what} is a table; export it to .csv or .parquet",
                             path=out)
        return export_frame(frame, out, driver=driver, layer=f"{self.name}_{what}"
                            if what != "layer" else self.name)

    def _pick(self, what: str):
        if what == "layer":
            return self.layer
        if what == "table":
            return self.table
        if what in self.extra_layers:
            return self.extra_layers[what]
        if what in self.tables:
            return self.tables[what]
        have = ["layer", "table", *self.extra_layers, *self.tables]
        raise QueryError(f"query {self.name} has no output {what!r}", hint=f"choose one of {have}")

    def summary_json(self) -> dict:
        """``summary`` with numpy scalars turned into plain Python values."""
        return {k: _plain(v) for k, v in self.summary.items()}


def _plain(value):
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class StatusCheck:
    """One pass/fail check a query's result layer carries: the check's ``name`` (``far``,
    ``status``…) and the ``column`` holding ``"pass"``/``"fail"`` (or another state)."""

    name: str
    column: str


@dataclass(frozen=True)
class QuerySpec:
    """A registered query: its name, titles, parameters, input kinds, function, and what its
    results mean (which the scenario diff reads instead of guessing).

    ``run(layers, **params)`` takes a :class:`twin.query.inputs.QueryInputs` and parameters
    already coerced by :meth:`Param.coerce`; it returns a :class:`QueryResult`.
    ``inputs`` lists the kinds it reads (required first, then ``optional_inputs``).

    The result contract:

    ``feature_kind``
        The kind of the features in the result layer, keyed by the result's
        ``id_column`` (``"parcel"``, ``"building"``); ``None`` when the result says it
        itself (``QueryResult.feature_kind``, e.g. ``select`` on the layer asked for).
    ``status_checks``
        The pass/fail columns of the result layer, as :class:`StatusCheck` or
        ``{check: column}``; the diff lists each check's changes. Empty: the result lists
        only flagged features (flooded, in a setback, shaded), and appearing in it is
        ``ok → flagged``.
    ``value_columns``
        The per-feature numeric columns the diff compares (``fnmatch`` patterns such as
        ``dist_*_m`` allowed), in the layer's column order.
    ``every_feature``
        The diff lists these values for every feature (a parcel table), not only the ones
        that changed.
    ``scenario_params``
        ``{scenario setting: parameter}``: settings a scenario's edits make (a
        ``flood_level`` edit sets ``flood.level_m``), given to this parameter.
    ``local``
        A :class:`~twin.query.local.LocalRun` when the query can run only where a scenario
        can change its answer (``sunlight``); ``None`` otherwise.
    ``diff``
        Whether the scenario diff runs it by default (``select`` asks no question without
        a filter, ``shadows`` is one instant): it still runs when named.
    """

    name: str
    title_zh: str
    title_en: str
    run: Callable[..., QueryResult]
    params: tuple[Param, ...] = ()
    inputs: tuple[str, ...] = ()
    optional_inputs: tuple[str, ...] = ()
    description: str = ""
    color_by: str | None = None
    diff: bool = True
    feature_kind: str | None = None
    status_checks: tuple[StatusCheck, ...] = ()
    value_columns: tuple[str, ...] = ()
    every_feature: bool = False
    scenario_params: tuple[tuple[str, str], ...] = ()
    local: Any = None

    def __post_init__(self):
        checks = self.status_checks
        if isinstance(checks, Mapping):
            checks = tuple(StatusCheck(k, v) for k, v in checks.items())
        checks = tuple(c if isinstance(c, StatusCheck) else StatusCheck(*c) for c in checks)
        object.__setattr__(self, "status_checks", checks)
        object.__setattr__(self, "value_columns", tuple(self.value_columns))
        sp = self.scenario_params
        sp = tuple(sp.items()) if isinstance(sp, Mapping) else tuple(tuple(p) for p in sp)
        names = {p.name for p in self.params}
        for _setting, param in sp:
            if param not in names:
                raise QueryError(f"query {self.name!r}: scenario setting maps onto an "
                                 f"unknown parameter {param!r}")
        object.__setattr__(self, "scenario_params", sp)

    def param(self, name: str) -> Param:
        """The parameter called ``name``."""
        for p in self.params:
            if p.name == name:
                return p
        raise QueryError(f"query {self.name!r} has no parameter {name!r}",
                         hint="parameters: " + ", ".join(p.name for p in self.params))

    def defaults(self) -> dict:
        """``{param: default}``."""
        return {p.name: p.default for p in self.params}

    def value_columns_of(self, columns) -> list[str]:
        """The columns among ``columns`` (in their order) that :attr:`value_columns` names."""
        return [c for c in columns
                if any(fnmatch.fnmatchcase(str(c), pat) for pat in self.value_columns)]

    def to_dict(self) -> dict:
        """A JSON-serialisable description."""
        return {"name": self.name, "title_zh": self.title_zh, "title_en": self.title_en,
                "description": self.description, "inputs": list(self.inputs),
                "optional_inputs": list(self.optional_inputs), "color_by": self.color_by,
                "params": [p.to_dict() for p in self.params]}


_REGISTRY: dict[str, QuerySpec] = {}


def register(spec: QuerySpec) -> QuerySpec:
    """Add ``spec`` to the registry (a name registered twice is replaced); returns it."""
    _REGISTRY[spec.name] = spec
    return spec


def _load_builtin() -> None:
    from . import builtin  # noqa: F401 - importing registers the built-in queries


def get_query(name: str) -> QuerySpec:
    """The query called ``name``; an unknown name lists the queries that exist."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise QueryError(f"unknown query {name!r}",
                         hint="queries: " + ", ".join(_REGISTRY)) from None


def queries() -> list[QuerySpec]:
    """Every registered query: the built-in ones in the order of
    :data:`twin.query.builtin.BUILTIN_MODULES` (each module's queries in the order it
    registers them), then the others in registration order (so the list does not depend on
    which module was imported first)."""
    from .builtin import BUILTIN_MODULES

    rank = {f"{__package__}.{m}": i for i, m in enumerate(BUILTIN_MODULES)}
    specs = list(_REGISTRY.values())
    return sorted(specs, key=lambda s: (rank.get(s.run.__module__, len(rank)),
                                        specs.index(s)))


def coerce_params(spec: QuerySpec, params: dict) -> dict:
    """Check ``params`` against ``spec``: unknown names are refused, values are coerced,
    missing ones take their defaults."""
    known = {p.name: p for p in spec.params}
    unknown = [k for k in params if k not in known]
    if unknown:
        raise QueryError(f"query {spec.name!r} has no parameter {unknown[0]!r}",
                         hint="parameters: " + (", ".join(known) or "none"))
    return {name: p.coerce(params.get(name)) for name, p in known.items()}
