"""HTML → PDF for reports: WeasyPrint when it imports, else headless Chromium.

Both render the same HTML; CJK text uses the Noto Sans CJK fonts (Debian
``fonts-noto-cjk``) named in the report's CSS.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import TwinError
from ..store.atomic import atomic_path

__all__ = ["html_to_pdf", "pdf_engine"]

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


def html_to_pdf(page: str, out, *, engine: str | None = None) -> Path:
    """Render the HTML string ``page`` to the PDF file ``out`` (written atomically)."""
    out = Path(out)
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
