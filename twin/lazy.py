"""Lazy public names for a package: ``from twin.render import build_deck`` keeps working,
but the module behind a name (and pydeck, pandas, GDAL behind it) is imported only when
the name is first used, so a command pays only for what it runs.

>>> __getattr__, __dir__ = lazy_exports(__name__, {"build_deck": ".deck"})  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Callable, Callable]:
    """A module ``__getattr__`` and ``__dir__`` for ``package`` that import
    ``names[name]`` (a module, relative to ``package`` when it starts with ``.``) on first
    access of ``name`` and keep the value in the package's namespace."""

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
