"""Administration pages (admins only): users and roles."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectField

from consult.admin import services
from consult.auth.access import role_label, role_required
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.inputs import db_int
from consult.models import Role, User

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond, the offset would not fit the database's integers
# Longer than any e-mail address or pseudonym, so nothing findable is cut; a longer pattern made SQLite's LIKE
# fail ("pattern too complex", a 503) and would only cost the database time.
MAX_QUERY_LENGTH = 254


class RoleForm(FlaskForm):
    role = SelectField(choices=[r.value for r in Role], validate_choice=False)


@bp.get("/utilisateurs")
@role_required(Role.ADMIN)
def users():
    query = request.args.get("q", "").strip()[:MAX_QUERY_LENGTH]
    page = db_int(request.args.get("page", ""), high=MAX_PAGE) or 1
    found, total = services.list_users(
        session=get_session(), query=query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "admin/users.html",
        users=found,
        total=total,
        query=query,
        page=page,
        page_size=PAGE_SIZE,
        form=RoleForm(),
        roles=list(Role),
    )


@bp.post("/utilisateurs/<int:user_id>/role")
@role_required(Role.ADMIN)
def set_role(user_id: int):
    session = get_session()
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_role(session=session, user=user, role=form.role.data, acting=g.user)
    except ValidationFailed as exc:
        flash(str(next(iter(exc.errors.values()))), "error")
        return redirect(url_for("admin.users"), 303)
    session.commit()
    flash(_("Rôle de %(name)s modifié : %(role)s.", name=user.pseudonym, role=role_label(user.role)), "success")
    return redirect(url_for("admin.users"), 303)
