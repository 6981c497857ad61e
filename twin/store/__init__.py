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
    """``url`` with any password (``user:PASSWORD@host`` or a libpq ``?password=``)
    replaced by ``***``, for showing it to a user."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(str(url))
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not parts.password and not any(k == "password" for k, _ in query):
        return str(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    hidden = urlencode([(k, "***" if k == "password" else v) for k, v in query], safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=hidden))
