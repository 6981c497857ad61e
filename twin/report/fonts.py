"""Is a CJK font installed for the PDF report? (Without one, Chinese prints as boxes.)

The report's CSS names Noto Sans CJK SC first (Debian ``fonts-noto-cjk``) and falls back
to any font fontconfig knows for Chinese. :func:`cjk_font` asks fontconfig; where
fontconfig itself is missing it looks for the usual font files.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

__all__ = ["NO_CJK_FONT", "cjk_font"]

NO_CJK_FONT = ("no CJK font is installed: Chinese text in this PDF prints as empty boxes "
               "(install fonts-noto-cjk, e.g. apt-get install fonts-noto-cjk, and write it again)")
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
_NAME_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "simhei", "simsun",
               "msyh", "droidsansfallback", "arphic", "ukai", "uming")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name (or file) of an installed font covering Chinese, or ``None``."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            proc = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True,
                                  text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            proc = None
        if proc is not None and proc.returncode == 0:
            families = sorted({line.split(",")[0].strip() for line in proc.stdout.splitlines()
                               if line.strip()})
            return families[0] if families else None
    for root in _FONT_DIRS:
        base = Path(root)
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            stem = path.name.lower().replace(" ", "").replace("-", "")
            if path.suffix.lower() in (".ttf", ".otf", ".ttc") and any(
                    h in stem for h in _NAME_HINTS):
                return path.name
    return None
