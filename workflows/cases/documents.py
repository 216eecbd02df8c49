"""Files people attach to a case (passport copy, signed contract, supplier confirmation).

Checked by size and by what the bytes are (not what the name says), and stored in the
``document`` table, outside the workflow state; a form field holds the document's id.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflows.audit import record
from workflows.errors import Invalid, NotFound, TooLarge
from workflows.models import Case, Document
from workflows.permissions import Actor
from workflows.runtime import Runtime

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# what the file starts with -> its content type
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic"}


def sniff(content: bytes) -> str | None:
    for magic, content_type in SIGNATURES:
        if content.startswith(magic):
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return None


def attach_file(
    session: Session,
    rt: Runtime,
    case_id: int,
    name: str,
    content: bytes,
    actor: Actor,
    *,
    kind: str = "attachment",
) -> Document:
    """Store an uploaded file on a case; raises ``TooLarge`` (413) or ``Invalid`` (400). Commits."""
    if session.get(Case, case_id) is None:
        raise NotFound(f"case {case_id} does not exist")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(f"{name} is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    if not content:
        raise Invalid("empty file", [{"field": "file", "message": "the file is empty"}])
    safe_name = (name or "attachment").replace("/", "_").replace("\\", "_")[:200]
    extension = "." + safe_name.rsplit(".", 1)[-1].lower() if "." in safe_name else ""
    content_type = sniff(content)
    if content_type is None or extension not in EXTENSIONS:
        raise Invalid(
            "file type not accepted",
            [{"field": "file", "message": "attach a PDF or an image (PDF, PNG, JPEG, GIF, WebP, HEIC)"}],
        )
    now = rt.clock.now()
    document = Document(
        case_id=case_id,
        name=safe_name,
        kind=kind,
        content_type=content_type,
        content=content,
        size=len(content),
        created_at=now,
        created_by=actor.username,
    )
    session.add(document)
    session.flush()
    record(
        session,
        "comment",
        now,
        case_id=case_id,
        user=actor.username,
        text=f"attached {safe_name} ({len(content) // 1024 + 1} kB)",
    )
    session.commit()
    return document
