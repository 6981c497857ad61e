"""The layer store behind one interface; :func:`open_store` picks the backend from a URL."""

from __future__ import annotations

import os
from pathlib import Path

from .base import LayerInfo, Store, VersionInfo
from .parquet import ParquetStore

__all__ = ["Store", "LayerInfo", "VersionInfo", "ParquetStore", "open_store", "default_store_url",
           "redact_url"]

DEFAULT_STORE = "layers"


def default_store_url() -> str:
    """``$TWIN_STORE`` if set, else the ``layers/`` folder."""
    return os.environ.get("TWIN_STORE") or DEFAULT_STORE


def open_store(url=None) -> Store:
    """Open the store at ``url``: ``postgresql://…`` for PostGIS, otherwise a folder path."""
    url = str(url or default_store_url())
    if url.startswith(("postgresql://", "postgres://")):
        from .postgis import PostGISStore

        return PostGISStore(url)
    return ParquetStore(Path(url))


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for showing it to a user."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(str(url))
    if not parts.password:
        return str(url)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
