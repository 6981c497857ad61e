"""HTML → PDF for reports: WeasyPrint when it imports, else headless Chromium.

Both render the same HTML; CJK text uses the Noto Sans CJK fonts (Debian
``fonts-noto-cjk``) named in the report's CSS. Without any CJK font the PDF still prints,
with a one-line warning (:data:`twin.report.fonts.NO_CJK_FONT`) in its footer and on the
``twin.report`` logger, since its Chinese text would show as boxes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import TwinError
from ..store.atomic import atomic_path
from .fonts import NO_CJK_FONT, cjk_font

__all__ = ["html_to_pdf", "pdf_engine", "with_font_warning"]

log = logging.getLogger("twin.report")

_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")


def pdf_engine() -> str:
    """``"weasyprint"`` or ``"chromium"`` (the engine :func:`html_to_pdf` will use)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return "chromium"
    return "weasyprint"


def _chromium() -> str:
    for name in _CHROMIUMS:
        path = shutil.which(name)
        if path:
            return path
    raise TwinError("cannot make a PDF: neither WeasyPrint nor Chromium is available",
                    hint="pip install weasyprint, or install chromium")


def with_font_warning(page: str) -> str:
    """``page`` with the missing-CJK-font warning in its footer when no CJK font is
    installed (and logged once per PDF); ``page`` unchanged otherwise."""
    if cjk_font() is not None:
        return page
    log.warning("PDF report: %s", NO_CJK_FONT)
    note = (f"<p class='meta' style='color:#c62828'>警告 Warning: {NO_CJK_FONT}.</p>")
    at = page.rfind("</body>")
    return page + note if at < 0 else page[:at] + note + page[at:]


def html_to_pdf(page: str, out, *, engine: str | None = None) -> Path:
    """Render the HTML string ``page`` to the PDF file ``out`` (written atomically); the
    footer says so when no CJK font is installed (:func:`with_font_warning`)."""
    out = Path(out)
    page = with_font_warning(page)
    engine = engine or pdf_engine()
    if engine == "weasyprint":
        import weasyprint

        with atomic_path(out) as tmp:
            weasyprint.HTML(string=page, base_url=str(out.parent)).write_pdf(str(tmp))
        return out
    exe = _chromium()
    with tempfile.TemporaryDirectory() as tmpdir:
        src = Path(tmpdir) / "report.html"
        src.write_text(page, encoding="utf-8")
        pdf = Path(tmpdir) / "report.pdf"
        cmd = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", src.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0 or not pdf.exists():
            raise TwinError(f"Chromium could not print the report ({proc.stderr.strip()[-200:]})",
                            path=out)
        with atomic_path(out) as tmp:
            tmp.write_bytes(pdf.read_bytes())
    return out
