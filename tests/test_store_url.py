"""Store addresses shown to users never show a password."""

from __future__ import annotations

import pytest

from twin.store import redact_url


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://twin:secret@db:5432/twin?schema=a", "postgresql://twin:***@db:5432/twin?schema=a"),
    ("postgresql://db/twin?password=secret&schema=a", "postgresql://db/twin?password=***&schema=a"),
    ("postgresql://twin@db/twin", "postgresql://twin@db/twin"),
    ("layers", "layers"),
])
def test_passwords_are_hidden(url, shown):
    assert redact_url(url) == shown
    assert "secret" not in redact_url(url)


def test_the_postgis_store_shows_the_redacted_address():
    from twin.store.postgis import PostGISStore

    store = PostGISStore("postgresql://twin:secret@127.0.0.1:1/twin?password=secret")
    assert "secret" not in store.display_url
