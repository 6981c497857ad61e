"""Reports from the queries: the planning review report (规划审查报告) as HTML and PDF."""

from __future__ import annotations

from .pdf import html_to_pdf, pdf_engine
from .review import Review, build_review, render_html, write_report
from .svgmap import MapLayer, svg_map

__all__ = ["Review", "build_review", "render_html", "write_report", "html_to_pdf",
           "pdf_engine", "MapLayer", "svg_map"]
