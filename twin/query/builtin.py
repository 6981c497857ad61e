"""Importing this module registers the built-in queries, in the order the app lists them."""

from __future__ import annotations

from . import coverage, flood, indicators, select, setbacks, sunlight  # noqa: F401

__all__: list[str] = []
