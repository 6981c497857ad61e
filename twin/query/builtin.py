"""Importing this module registers the built-in queries, in the order the app lists them."""

from __future__ import annotations

import importlib

__all__ = ["BUILTIN_MODULES"]

BUILTIN_MODULES = ("select", "indicators", "setbacks", "coverage", "flood", "sunlight",
                   "envelope", "heightlimit", "viewshed", "window_sunlight",
                   "capacity", "skyline", "projects")

for _name in BUILTIN_MODULES:
    importlib.import_module(f"{__package__}.{_name}")
