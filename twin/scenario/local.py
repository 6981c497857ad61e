"""Local runs of a query in a scenario diff: the machinery lives in :mod:`twin.query.local`
(a query declares it with ``QuerySpec(local=LocalRun(...))``); these names stay importable
from here."""

from __future__ import annotations

from ..query.local import (
    MASKED_USE,
    NO_OBSTACLE_ELEV,
    LocalPlan,
    LocalRun,
    mask_receivers,
    sunlight_receivers,
)

LocalQuery = LocalRun  # the former name

__all__ = ["LocalRun", "LocalQuery", "LocalPlan", "sunlight_receivers", "mask_receivers",
           "MASKED_USE", "NO_OBSTACLE_ELEV"]
