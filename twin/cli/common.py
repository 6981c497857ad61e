"""What every CLI command shares: the store option, the console, progress bars, JSON output."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:  # the store (geopandas, pyarrow) is imported by the commands that open one
    from ..store import Store

__all__ = ["console", "err_console", "state", "get_store", "emit_json", "progress_bar"]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class _State:
    store_url: str | None = None


state = _State()


def get_store() -> Store:
    """The store chosen by ``--store`` or ``$TWIN_STORE`` (default ``layers/``)."""
    from ..store import default_store_url, open_store

    return open_store(state.store_url or default_store_url())


def emit_json(data) -> None:
    """Print ``data`` as JSON on stdout (for ``--json``)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(label: str, *, enabled: bool = True):
    """Yield a ``progress(done, total, message)`` callback drawing a rich progress bar on
    stderr; a no-op when ``enabled`` is false (JSON output, or not a terminal)."""
    if not enabled:
        yield lambda *a, **k: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                  transient=True) as prog:
        task = prog.add_task(label, total=None)

        def update(done: int, total: int | None = None, message: str | None = None) -> None:
            prog.update(task, completed=done, total=total,
                        description=message or label)

        yield update

