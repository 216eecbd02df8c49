"""PDF copies of the documents customers keep (confirmation letter, change forms, quarterly report).

A handler files the HTML and asks for a PDF copy; the copy is a second ``document`` row of the
same kind, listed at once, whose bytes are made from the stored HTML after the step commits: by
the worker's round, or by the first download, whichever comes first. Rendering takes about a
second (layout plus subsetting the CJK font), so it must never run inside a case's transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.errors import Conflict
from workflows.models import Document

log = logging.getLogger(__name__)

PDF = "application/pdf"
FAILED = -1  # the size of a copy the worker could not draw: not retried each round (a download retries)
# fontconfig falls back to these for any glyph the document's own fonts lack (fonts-noto-cjk)
CJK_FONTS = '"Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans CJK", sans-serif'
PRINT_CSS = f"@page {{ size: A4; margin: 16mm 14mm; }} body {{ font-family: {CJK_FONTS}; }}"


def pdf_name(html_name: str) -> str:
    stem = html_name.rsplit(".", 1)[0] if "." in html_name else html_name
    return f"{stem}.pdf"


def add_pdf_copy(session: Session, html: Document) -> Document:
    """File an (empty, pending) PDF copy of ``html`` beside it, in the caller's transaction."""
    copy = Document(
        case_id=html.case_id,
        name=pdf_name(html.name),
        kind=html.kind,
        content_type=PDF,
        content=b"",
        size=0,
        created_at=html.created_at,
        created_by=html.created_by,
        rendered_from=html.id,
    )
    session.add(copy)
    session.flush()
    return copy


def html_to_pdf(html: bytes) -> bytes:
    """The PDF of an HTML document, with nothing fetched from outside (no URLs are resolved)."""
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which the web pages never need

    return HTML(string=html.decode("utf-8"), url_fetcher=_refuse_fetch).write_pdf(
        stylesheets=[CSS(string=PRINT_CSS)]
    )


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ValueError(f"documents are rendered without fetching {url}")


def is_pending(document: Document) -> bool:
    return document.rendered_from is not None and not document.content


def render(session: Session, document: Document) -> Document:
    """Make a pending copy's bytes from its source now (flushes; the caller commits).

    Raises ``Conflict`` (409) when the copy cannot be drawn: the HTML original stays available.
    """
    if not is_pending(document):
        return document
    source = session.get(Document, document.rendered_from)
    if source is None:
        raise Conflict(f"the original of document {document.id} is gone")
    try:
        content = html_to_pdf(source.content)
    except Exception as exc:  # noqa: BLE001 - WeasyPrint raises many kinds; each means "no PDF now"
        raise Conflict(f"the PDF copy could not be made ({type(exc).__name__}); open {source.name}") from exc
    document.content, document.size = content, len(content)
    session.flush()
    return document


def render_pending(session: Session, limit: int = 20) -> int:
    """The worker's round: render waiting copies, one commit each; returns how many were made."""
    query = (
        select(Document.id)
        .where(Document.rendered_from.is_not(None), Document.size == 0)
        .order_by(Document.id)
        .limit(limit)
    )
    made = 0
    for document_id in list(session.scalars(query)):
        query = select(Document).where(Document.id == document_id).with_for_update(skip_locked=True)
        document = session.scalars(query).first()
        if document is not None and is_pending(document):
            try:
                render(session, document)
                made += 1
            except Conflict:  # one broken document must not stop the others
                log.exception("could not render document %s as PDF", document_id)
                session.rollback()
                session.execute(update(Document).where(Document.id == document_id).values(size=FAILED))
        session.commit()
    return made
