"""The reader registry: one reader per format, found by name or by file.

A reader is a small object with ``name``, ``suffixes``, ``can_read(path)`` and
``read(path, **options) -> ImportResult``. A new format is one module plus one
:func:`register` (or :func:`register_lazy`) line in :mod:`twin.io`.

The built-in readers are registered lazily: the registry knows each one's name, suffixes
and module, and imports a reader's module (with its GDAL, rasterio or ifcopenshell
dependencies) only when a file with one of its suffixes is read, or when every reader is
listed. A reader's ``can_read`` only ever accepts its own suffixes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import ReaderError
from .report import ImportResult

__all__ = ["Reader", "register", "register_lazy", "readers", "get_reader", "reader_for"]


@runtime_checkable
class Reader(Protocol):
    """The reader protocol."""

    name: str
    suffixes: tuple[str, ...]

    def can_read(self, path: Path) -> bool:
        """True when this reader understands ``path``."""

    def read(self, path: Path, **options) -> ImportResult:
        """Read ``path`` into layers plus a report; raise :class:`ReaderError` on bad input."""


@dataclass(frozen=True)
class _Pending:
    """A reader known by name, suffixes and ``module:Class``, not imported yet."""

    name: str
    suffixes: tuple[str, ...]
    target: str

    def load(self) -> Reader:
        """Import the reader's module and make the reader."""
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)()


_REGISTRY: dict[str, Reader | _Pending] = {}


def register(reader: Reader) -> Reader:
    """Add ``reader`` to the registry (last registration of a name wins)."""
    _REGISTRY[reader.name] = reader
    return reader


def register_lazy(name: str, suffixes: tuple[str, ...], target: str) -> None:
    """Register the reader ``target`` (``"package.module:Class"``) under ``name`` for
    ``suffixes`` without importing it; it is made on first use. Its ``can_read`` must
    accept only those suffixes."""
    _REGISTRY[name] = _Pending(name, tuple(s.lower() for s in suffixes), target)


def _loaded(name: str) -> Reader:
    entry = _REGISTRY[name]
    if isinstance(entry, _Pending):
        entry = _REGISTRY[name] = entry.load()
    return entry


def readers() -> list[Reader]:
    """The registered readers, in registration order."""
    return [_loaded(name) for name in list(_REGISTRY)]


def get_reader(name: str) -> Reader:
    """The reader called ``name``."""
    if name not in _REGISTRY:
        raise ReaderError(f"no reader called {name!r}",
                          hint="readers: " + ", ".join(_REGISTRY))
    return _loaded(name)


def reader_for(path, format: str | None = None) -> Reader:
    """The reader for ``path`` (or the one called ``format``); an unknown format names the
    readers that exist and the suffixes they take."""
    if format:
        return get_reader(format)
    path = Path(path)
    if not path.exists():
        raise ReaderError("file not found", path=path)
    suffix = path.suffix.lower()
    for name, entry in list(_REGISTRY.items()):
        if isinstance(entry, _Pending) and suffix not in entry.suffixes:
            continue  # not imported for a suffix it does not take
        reader = _loaded(name)
        if reader.can_read(path):
            return reader
    known = "; ".join(f"{r.name} ({' '.join(r.suffixes)})" for r in _REGISTRY.values())
    raise ReaderError(f"no reader understands {path.suffix or 'this file'}", path=path,
                      hint=f"supported: {known}")
