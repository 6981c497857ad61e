"""Start ``streamlit run app.py`` on a free localhost port against a given store, and open it
in the Debian Chromium through playwright, counting every request that leaves localhost.
Used by the browser test and by ``bench/map_payload.py``."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost",
                  "data:", "blob:", "about:")

__all__ = ["CHROMIUM", "free_port", "streamlit_app", "browser", "wait_for_map",
           "image_stats", "painted_share", "click_until_shown", "LOCAL_PREFIXES"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_app(store_path, *, port: int | None = None, log_path=None):
    """Run the app against ``store_path``; yields its base URL and stops it afterwards."""
    port = port or free_port()
    env = dict(os.environ, TWIN_STORE=str(store_path))
    log = open(log_path or os.devnull, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"streamlit did not start on port {port}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def browser(*, width: int = 1400, height: int = 900):
    """A headless Chromium page; yields ``(page, outside)`` where ``outside`` collects the
    URLs of requests to any host other than localhost."""
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chrome.new_page(viewport={"width": width, "height": height})
            page.on("request", lambda req: None if req.url.startswith(LOCAL_PREFIXES)
                    else outside.append(req.url))
            yield page, outside
        finally:
            chrome.close()


def image_stats(png: bytes) -> tuple[float, int]:
    """(pixel variance over RGB, number of distinct colours) of a PNG screenshot."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    colours = len(np.unique(img.reshape(-1, 3).astype(np.uint8), axis=0))
    return float(img.var()), colours


def colourful_share(png: bytes, *, saturation: float = 0.35) -> float:
    """Share of pixels whose HSV saturation exceeds ``saturation``: the land-use, road and
    building colours, as opposed to black, grey and white (an accessor that evaluates to
    nothing draws black)."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float) / 255.0
    top, low = img.max(axis=2), img.min(axis=2)
    sat = np.where(top > 0, (top - low) / np.maximum(top, 1e-6), 0.0)
    return float((sat > saturation).mean())


def painted_share(png: bytes) -> float:
    """Share of pixels that differ from the commonest colour (the empty map background)."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    packed = (img[:, 0].astype(np.int64) << 16) | (img[:, 1].astype(np.int64) << 8) | img[:, 2]
    _, counts = np.unique(packed, return_counts=True)
    return 1.0 - counts.max() / len(packed)


def wait_for_map(page, *, timeout_s: float = 60.0, min_share: float = 0.05) -> float:
    """Wait until the deck.gl canvas shows the layers; returns the seconds it took from now.

    "Shows the layers" means at least ``min_share`` of the chart's pixels differ from its
    commonest colour (the empty map is one flat background plus the zoom buttons).
    """
    t0 = time.perf_counter()
    page.wait_for_selector("[data-testid=stDeckGlJsonChart] canvas", timeout=timeout_s * 1000)
    chart = page.locator("[data-testid=stDeckGlJsonChart]").first
    while True:
        if painted_share(chart.screenshot(animations="disabled")) >= min_share:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError("the map stayed blank")
        time.sleep(0.1)


def click_until_shown(page, x: float, y: float, shown, *, tries: int = 4,
                      timeout_ms: int = 10000) -> int:
    """Click the map at (x, y) until the locator ``shown`` is visible; returns the tries used.

    deck.gl picks at pointer-down and counts a press as a click only if it lasts under
    250 ms. In software WebGL a highlight frame drawn between the two events can hold the
    press longer, and the click is dropped; so the pointer first rests, and a dropped click
    is pressed again after the map has settled. The last timeout raises.
    """
    page.mouse.move(x, y)
    page.wait_for_timeout(1000)
    for attempt in range(1, tries + 1):
        page.mouse.click(x, y)
        try:
            shown.wait_for(timeout=timeout_ms)
            return attempt
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; the last one raises
            if attempt == tries:
                raise
            page.mouse.move(x + 40, y + 40)
            page.wait_for_timeout(800)
            page.mouse.move(x, y)
            page.wait_for_timeout(1500)
    raise AssertionError("unreachable")
