"""One server connection per URL per process, shared by every PostGISStore on that URL
(the app and the CLI open the store often), used under its lock; a connection inherited
over ``fork()`` is abandoned, never closed from the child (that would end the parent's
session)."""

from __future__ import annotations

import os
import threading

from ..errors import StoreError

__all__ = ["Shared", "shared", "connection"]

_ABANDONED: list = []  # connections inherited over fork(): never closed from the child


class Shared:
    """One server connection per URL per process, shared by every PostGISStore on that URL
    (the app and the CLI open the store often), used under its lock."""

    def __init__(self):
        self.conn = None
        self.pid = None
        self.lock = threading.RLock()


_SHARED: dict[str, Shared] = {}
_SHARED_LOCK = threading.Lock()


def shared(dsn: str) -> Shared:
    with _SHARED_LOCK:
        return _SHARED.setdefault(dsn, Shared())


def connection(shared_conn: Shared, dsn: str, *, connect_timeout: float, where: str):
    """The open connection of ``shared_conn`` (reconnecting when closed, broken or inherited
    from another process); a :class:`StoreError` when the server cannot be reached."""
    import psycopg

    if shared_conn.conn is not None and shared_conn.pid != os.getpid():
        _ABANDONED.append(shared_conn.conn)  # closing it here would end the parent's session
        shared_conn.conn = None
    if shared_conn.conn is None or shared_conn.conn.closed or shared_conn.conn.broken:
        try:
            extra = {} if "application_name" in dsn else {"application_name": "twin"}
            shared_conn.conn = psycopg.connect(dsn, autocommit=True,
                                               connect_timeout=max(1, int(connect_timeout)),
                                               **extra)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot connect to the PostGIS server ({first})", where=where,
                             hint="start it (.ci/start-postgis) or check the --store URL"
                             ) from None
        shared_conn.pid = os.getpid()
    return shared_conn.conn
