"""Work run on idle CPU returns its result, raises its errors in the caller, and runs at
a lower priority than the caller (Linux)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from twin.errors import ReaderError
from twin.ifc.idle import IDLE_NICE, run_on_idle_cpu


def _nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_result_and_keyword_arguments_come_back():
    assert run_on_idle_cpu(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]


def test_an_error_is_raised_in_the_caller():
    def fail():
        raise ReaderError("bad model", path="m.ifc")

    with pytest.raises(ReaderError, match="m.ifc: bad model"):
        run_on_idle_cpu(fail)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_only_the_worker_thread_is_lowered():
    before = _nice_of_this_thread()
    inside = run_on_idle_cpu(_nice_of_this_thread)
    assert inside == max(before, IDLE_NICE) > 0
    assert _nice_of_this_thread() == before


def test_the_caller_ticks_while_it_waits():
    import time

    ticks = []
    run_on_idle_cpu(time.sleep, 0.35, tick=lambda: ticks.append(1), tick_s=0.05)
    assert len(ticks) >= 3
