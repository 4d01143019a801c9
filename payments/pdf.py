"""PDF documents (receipts, invoices, credit notes) rendered with xhtml2pdf, with embedded Unicode fonts.

xhtml2pdf's built-in Helvetica only has Latin-1, so a Greek, Chinese or Arabic name came out as boxes. Every
document embeds DejaVu Sans (Latin, Greek, Cyrillic, Arabic, Hebrew…) and, for the characters DejaVu has no glyph
for, Droid Sans Fallback (Chinese, Japanese, Korean): ``templates/payments/_pdf_fonts.html`` names both in one
``font-family`` list, and xhtml2pdf draws each run of text in the first family that has its glyphs (Arabic is
joined and laid right to left by xhtml2pdf). The fonts ship in ``static/fonts/`` with their licences (Bitstream
Vera licence for DejaVu, Apache 2.0 for Droid), so no system font package is needed.
"""

import io
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from xhtml2pdf import pisa

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"


class PdfError(Exception):
    pass


def pdf_render(template: str, context: dict) -> bytes:
    """Render ``template`` to PDF bytes; raises :class:`PdfError` when xhtml2pdf reports errors."""
    html = render_to_string(template, {**context, "font_dir": FONT_DIR.as_posix()})
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_local_fonts_only)
    if result.err:
        raise PdfError(f"PDF rendering failed with {result.err} errors")
    return out.getvalue()


def _local_fonts_only(uri: str, rel: str | None = None) -> str:
    """Resources come from the shipped fonts folder only: a URI anywhere else (say, in a guest's name) is refused."""
    path = Path(uri).resolve()
    if path.parent != FONT_DIR.resolve():
        raise PdfError(f"refused resource {uri[:80]!r}")
    return str(path)
