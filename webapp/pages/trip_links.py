"""Staff side of the customer's trip page: reissue or revoke a trip's link from the case page, and
compose a crisis notice (supervisors)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows.errors import Invalid
from workflows.permissions import SUPERVISE
from workflows.trip_page import crisis
from workflows.trip_page.links import TRIP_LINK_ROLES, reissue_trip_link, revoke_trip_links

from ..auth import current_actor
from ..extensions import db
from .common import actor, page_blueprint, runtime
from .flashes import flash_success

bp = page_blueprint("trip_links", __name__)


@bp.app_template_global("may_manage_trip_links")
def may_manage_trip_links() -> bool:
    who = current_actor()
    return who is not None and who.has_any(TRIP_LINK_ROLES)


@bp.post("/cases/<int:case_id>/trip-link")
def reissue(case_id: int) -> Any:
    token = reissue_trip_link(db.session, runtime(), case_id, actor())
    url = url_for("trip_page.show", token=token, _external=True)
    flash_success(_("New trip page link (shown once; send it to the customer): %(url)s", url=url))
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<int:case_id>/trip-link/revoke")
def revoke(case_id: int) -> Any:
    revoke_trip_links(db.session, runtime(), case_id, actor())
    flash_success(_("The trip page link no longer works."))
    return redirect(url_for("cases.show", case_id=case_id))


def _option_labels() -> dict[str, str]:
    return {
        "keep": _("Keep the plan"),
        "move_dates": _("Move the dates"),
        "cancel_refund": _("Cancel with refund of the difference"),
    }


@bp.route("/manage/crisis-notices", methods=["GET", "POST"])
def crisis_notices() -> Any:
    actor().require(SUPERVISE, "sending a crisis notice")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"options": list(crisis.OPTIONS)}
    status = 200
    if request.method == "POST":
        form = request.form
        values = {k: form.get(k, "") for k in ("title", "text", "destination", "date_from", "date_to")}
        values["options"] = form.getlist("options")
        try:
            sent = crisis.send_crisis_notice(db.session, runtime(), values, actor())
        except Invalid as exc:
            errors = {str(d.get("field")): str(d.get("message")) for d in exc.details}
            status = 400
        else:
            flash_success(_("Crisis notice sent to %(n)s trips.", n=len(sent.trip_case_ids)))
            return redirect(url_for("trip_links.crisis_notices"))
    sent_notices = crisis.notices(db.session, actor())
    html = render_template(
        "manage/crisis_notices.html",
        values=values,
        errors=errors,
        notices=sent_notices,
        option_labels=_option_labels(),
    )
    return html, status
