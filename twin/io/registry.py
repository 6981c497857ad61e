"""The reader registry: one reader per format, found by name or by file.

A reader is a small object with ``name``, ``suffixes``, ``can_read(path)`` and
``read(path, **options) -> ImportResult``. A new format is one module plus one
:func:`register` line in :mod:`twin.io`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import ReaderError
from .report import ImportResult

__all__ = ["Reader", "register", "readers", "get_reader", "reader_for"]


@runtime_checkable
class Reader(Protocol):
    """The reader protocol."""

    name: str
    suffixes: tuple[str, ...]

    def can_read(self, path: Path) -> bool:
        """True when this reader understands ``path``."""

    def read(self, path: Path, **options) -> ImportResult:
        """Read ``path`` into layers plus a report; raise :class:`ReaderError` on bad input."""


_REGISTRY: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Add ``reader`` to the registry (last registration of a name wins)."""
    _REGISTRY[reader.name] = reader
    return reader


def readers() -> list[Reader]:
    """The registered readers, in registration order."""
    return list(_REGISTRY.values())


def get_reader(name: str) -> Reader:
    """The reader called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ReaderError(f"no reader called {name!r}",
                          hint="readers: " + ", ".join(_REGISTRY)) from None


def reader_for(path, format: str | None = None) -> Reader:
    """The reader for ``path`` (or the one called ``format``); an unknown format names the
    readers that exist and the suffixes they take."""
    if format:
        return get_reader(format)
    path = Path(path)
    if not path.exists():
        raise ReaderError("file not found", path=path)
    for reader in _REGISTRY.values():
        if reader.can_read(path):
            return reader
    known = "; ".join(f"{r.name} ({' '.join(r.suffixes)})" for r in _REGISTRY.values())
    raise ReaderError(f"no reader understands {path.suffix or 'this file'}", path=path,
                      hint=f"supported: {known}")
