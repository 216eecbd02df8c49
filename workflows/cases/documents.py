"""Files people attach to a case (passport copy, signed contract, supplier confirmation).

Checked by size and by what the bytes are (not what the name says), and stored in the
``document`` table, outside the workflow state; a form field holds the document's id.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflows.audit import record
from workflows.engine.spiff import ProcessBundle
from workflows.errors import Forbidden, Invalid, NotFound, TooLarge
from workflows.models import Case, Document
from workflows.permissions import Actor, may_attach
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

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
    session: Session, rt: Runtime, case_id: int, name: str, content: bytes, actor: Actor
) -> Document:
    """Attach an uploaded file to a case, in its own unit of work.

    Raises ``Forbidden`` (403) unless ``actor`` may attach to this case (``may_attach``: a role with
    a lane in the case's process, or a supervisor), ``TooLarge`` (413) or ``Invalid`` (400).
    """
    with unit_of_work(session):
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"case {case_id} does not exist")
        require_attach(actor, rt.specs.get(session, case.version))
        return store_file(session, rt, case_id, name, content, actor)


def require_attach(actor: Actor, bundle: ProcessBundle) -> None:
    """``Forbidden`` unless ``may_attach``: a role with a lane in the case's process, or a supervisor."""
    lanes = frozenset(info.lane for info in bundle.user_tasks.values() if info.lane)
    if not may_attach(actor, lanes):
        raise Forbidden("attaching a file to this case needs a role of its process, or a supervisor")


def store_file(
    session: Session, rt: Runtime, case_id: int, name: str, content: bytes, actor: Actor
) -> Document:
    """Check and store a file on a case inside the caller's unit of work (which authorised ``actor``)."""
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
        kind="attachment",
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
    return document
