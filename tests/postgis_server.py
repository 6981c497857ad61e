"""Where the PostGIS tests find their server, and a fresh twin (schema) per test.

``$TWIN_TEST_PG`` (exported by ``.ci/start-postgis``) names the server. Without it, or when
it cannot be reached, the PostGIS tests skip with the reason; under CI (``$CI`` set) they
fail instead, because CI must run them.
"""

from __future__ import annotations

import os
import uuid
from functools import lru_cache

import pytest

__all__ = ["postgis_url", "fresh_postgis_store"]


@lru_cache(maxsize=1)
def _probe() -> tuple[str | None, str]:
    url = os.environ.get("TWIN_TEST_PG", "").strip()
    if not url:
        return None, "TWIN_TEST_PG is not set (source .ci/start-postgis to start a server)"
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT postgis_lib_version()")
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        return None, f"no PostGIS server at TWIN_TEST_PG ({str(exc).strip().splitlines()[0]})"
    return url, ""


def postgis_url() -> str:
    """The test server's URL; skips the test (fails it under CI) when there is none."""
    url, reason = _probe()
    if url is None:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI must run the PostGIS tests: {reason}")
        pytest.skip(reason)
    return url


def fresh_postgis_store(prefix: str = "t"):
    """A PostGISStore on a new, empty schema of the test server (drop it with destroy())."""
    from twin.store.postgis import PostGISStore

    url = postgis_url()
    sep = "&" if "?" in url else "?"
    return PostGISStore(f"{url}{sep}schema={prefix}_{uuid.uuid4().hex[:12]}")
