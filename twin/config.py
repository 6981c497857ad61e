"""App settings read from the environment, with the defaults of an offline installation.

``TWIN_UPLOAD_LIMIT_MB``  largest file the Import page accepts (default 200)
``TWIN_BASEMAP_URL``      optional MapLibre style URL for a basemap; by default the app uses
                          its own local style (a plain background) and makes no outside call
``TWIN_STORE``            the store to open (see :func:`twin.store.default_store_url`)
``TWIN_INLINE_MAP_DATA``  ``1`` to put layer data inside the map message instead of serving
                          it as static files (``static/cache/``) that the browser fetches
``TWIN_MAP_TILES``        ``0`` to send buildings, parcels, roads and rivers whole instead of
                          as tiles (``static/tiles/``, see :mod:`twin.tiles`)

Example
-------
>>> from twin.config import upload_limit_bytes
>>> upload_limit_bytes() // (1024 * 1024)
200
"""

from __future__ import annotations

import os

from .errors import TwinError

__all__ = ["DEFAULT_UPLOAD_LIMIT_MB", "upload_limit_mb", "upload_limit_bytes", "basemap_url",
           "inline_map_data", "map_tiles"]

DEFAULT_UPLOAD_LIMIT_MB = 200.0


def upload_limit_mb() -> float:
    """The upload size limit in megabytes (``$TWIN_UPLOAD_LIMIT_MB``, default 200)."""
    raw = os.environ.get("TWIN_UPLOAD_LIMIT_MB", "").strip()
    if not raw:
        return DEFAULT_UPLOAD_LIMIT_MB
    try:
        value = float(raw)
    except ValueError:
        raise TwinError(f"TWIN_UPLOAD_LIMIT_MB={raw!r} is not a number",
                        hint="set it to a size in megabytes, e.g. 200") from None
    if value <= 0:
        raise TwinError(f"TWIN_UPLOAD_LIMIT_MB={raw!r} must be positive")
    return value


def upload_limit_bytes() -> int:
    """The upload size limit in bytes."""
    return int(upload_limit_mb() * 1024 * 1024)


def basemap_url() -> str | None:
    """The optional basemap style URL (``$TWIN_BASEMAP_URL``), or None for the local style."""
    return os.environ.get("TWIN_BASEMAP_URL", "").strip() or None


def inline_map_data() -> bool:
    """True when ``$TWIN_INLINE_MAP_DATA`` asks for layer data inside the map message."""
    return os.environ.get("TWIN_INLINE_MAP_DATA", "").strip().lower() in {"1", "true", "yes"}


def map_tiles() -> bool:
    """False when ``$TWIN_MAP_TILES`` is ``0``: the map then sends every layer whole, as
    before tiling (kept to compare against, see ``bench/city_map.py``)."""
    return os.environ.get("TWIN_MAP_TILES", "").strip().lower() not in {"0", "false", "no"}
