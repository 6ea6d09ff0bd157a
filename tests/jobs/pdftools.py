"""Reading the PDFs back in tests: pypdf when installed (requirements-dev.lock), else the raw
bytes (streams inflated as the archive's verifier inflates them) for structure, and WeasyPrint's
own layout for the text."""

from __future__ import annotations

from submission.verify import inflated

__all__ = ["inflated", "layout_text", "pdf_text"]


def pdf_text(content: bytes) -> str | None:
    """The text of the PDF through pypdf, or None when pypdf is not installed."""
    try:
        from io import BytesIO

        from pypdf import PdfReader
    except ImportError:
        return None
    reader = PdfReader(BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def layout_text(html: str) -> str:
    """The text WeasyPrint laid out on the pages (what the PDF draws), page by page."""
    from weasyprint.formatting_structure import boxes

    from trial import pdf

    def walk(box):
        if isinstance(box, boxes.TextBox):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from walk(child)

    document = pdf.document(html)
    return "\n".join(" ".join(walk(page._page_box)) for page in document.pages)
