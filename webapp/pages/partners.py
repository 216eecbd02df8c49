"""The emergency resource pool as a page: partners per destination, kept by the supervisor and the
process owner, read by everyone at work (the guide looks up a clinic from the road)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows.errors import Invalid
from workflows.partners import operations as partners

from ..extensions import db
from .common import actor, page_blueprint, runtime
from .flashes import flash_error, flash_success
from .labels import PARTNER_KIND_LABELS

bp = page_blueprint("partners", __name__)
FIELDS = ("destination", "kind", "name", "contact", "hours", "notes")


@bp.get("/manage/partners")
def index() -> Any:
    who = actor()
    destination = (request.args.get("destination") or "").strip() or None
    everyone = partners.list_partners(db.session, who)
    shown = partners.list_partners(db.session, who, destination) if destination else everyone
    return render_template(
        "manage/partners.html",
        partners=shown,
        destinations=sorted({p.destination for p in everyone}),
        destination=destination,
        kinds=[(k, str(PARTNER_KIND_LABELS[k])) for k in partners.KINDS],
        may_edit=who.has_any(partners.EDIT_PARTNERS),
    )


def _form() -> dict[str, str]:
    return {key: request.form.get(key, "").strip() for key in FIELDS}


def _refused(exc: Invalid) -> None:
    fields = ", ".join(str(d.get("field")) for d in exc.details) or exc.message
    flash_error(_("Nothing was saved. Check: %(fields)s", fields=fields))


@bp.post("/manage/partners")
def create() -> Any:
    try:
        partners.create_partner(db.session, _form(), actor(), runtime().clock.now())
        flash_success(_("Partner saved."))
    except Invalid as exc:
        _refused(exc)
    return redirect(url_for("partners.index"))


@bp.post("/manage/partners/<int:partner_id>")
def update(partner_id: int) -> Any:
    try:
        partners.update_partner(db.session, partner_id, _form(), actor(), runtime().clock.now())
        flash_success(_("Partner saved."))
    except Invalid as exc:
        _refused(exc)
    return redirect(url_for("partners.index"))


@bp.post("/manage/partners/<int:partner_id>/delete")
def delete(partner_id: int) -> Any:
    partners.delete_partner(db.session, partner_id, actor())
    flash_success(_("Partner deleted."))
    return redirect(url_for("partners.index"))
