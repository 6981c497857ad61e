"""The small error hierarchy of twin.

Every error a user can meet is a :class:`TwinError`. Its message is one line that names
the file, the feature or element, what went wrong and what to do about it. The CLI prints
``str(error)`` and exits non-zero; it never shows a traceback for a ``TwinError``.
"""

from __future__ import annotations

__all__ = [
    "TwinError",
    "ReaderError",
    "GeoreferenceError",
    "SchemaError",
    "StoreError",
    "ScenarioError",
    "QueryError",
]


class TwinError(Exception):
    """Base class of every error twin raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong.
    path : str or os.PathLike, optional
        The file concerned; it is put in front of the message.
    where : str, optional
        The feature, element or layer concerned (``feature 12``, ``IfcWall 2O2Fr$t4X7Zf8NOew3FLOH``).
    hint : str, optional
        What the user can do about it; it is appended as ``Hint: ...``.
    """

    def __init__(self, message: str, *, path=None, where: str | None = None,
                 hint: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.where = where
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.path:
            parts.append(f"{self.path}:")
        if self.where:
            parts.append(f"{self.where}:")
        parts.append(self.message.rstrip("."))
        text = " ".join(parts) + "."
        if self.hint:
            text += f" Hint: {self.hint.rstrip('.')}."
        return text


class ReaderError(TwinError):
    """A source file cannot be read, or its content is invalid under the chosen policy."""


class GeoreferenceError(ReaderError):
    """A file's position on the earth is unknown, contradictory or impossible."""


class SchemaError(TwinError):
    """A layer does not match its kind, or a kind or column is unknown."""


class StoreError(TwinError):
    """The layer store cannot be read or written: unknown layer or version, corrupt file, lock."""


class ScenarioError(TwinError):
    """A what-if scenario or one of its edits cannot be applied."""


class QueryError(TwinError):
    """A decision-support query got parameters it cannot answer."""
