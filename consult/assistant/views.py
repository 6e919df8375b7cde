"""The assistant's page and its htmx fragments; every form also works without JavaScript (post, redirect)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale

from consult.assistant import services
from consult.assistant.forms import ActionForm, DraftForm, LoginForm, MessageForm, SignupForm, VoteForm
from consult.auth.access import login_user
from consult.auth.mails import send_signup_mail
from consult.auth.services import authenticate, sign_up
from consult.config import DEVELOPMENT_ENVS
from consult.consultations.services import list_consultations
from consult.db import get_session
from consult.errors import Conflict, ValidationFailed
from consult.extensions import htmx, limiter

bp = Blueprint("assistant", __name__, url_prefix="/assistant")
bp.add_app_template_filter(json.loads, "fromjson")

_limit = limiter.limit(lambda: current_app.config["RATE_LIMIT_ASSISTANT"], methods=["POST"])
ACTIONS = {"write", "vote", "next", "stop", "drop"}


def _conversation(create: bool = False):
    """The visitor's conversation (404-free: none yet is normal); created on the first message."""
    db = get_session()
    conversation = services.get_conversation(session=db, token=session.get(services.TOKEN_KEY), user=g.user)
    if conversation is not None and g.user is not None and conversation.user_id is None:
        services.claim_conversation(session=db, conversation=conversation, user=g.user)
    if conversation is None and create:
        conversation = services.start_conversation(session=db, user=g.user, consultation=_chosen_consultation())
    if conversation is not None:
        session[services.TOKEN_KEY] = conversation.token
    return conversation


def _chosen_consultation():
    """The consultation named in the form or the URL, else the only open one."""
    slug = (request.form.get("consultation") or request.args.get("consultation") or "").strip()
    db = get_session()
    if slug:
        return services.find_consultation(session=db, slug=slug)
    open_ones = list_consultations(session=db)["open"]
    return open_ones[0] if len(open_ones) == 1 else None


def _context(
    errors: dict | None = None,
    draft_form: DraftForm | None = None,
    show_login: bool = False,
    signup_form: SignupForm | None = None,
) -> dict:
    db = get_session()
    conversation = _conversation()
    messages = services.list_messages(session=db, conversation=conversation) if conversation else []
    cards, my_votes = services.cards_for(session=db, messages=messages, user=g.user)
    state = services.load_state(conversation) if conversation else {}
    consultation = None
    if conversation is not None and conversation.consultation_id:
        consultation = db.get(services.Consultation, conversation.consultation_id)
    consultation = consultation or _chosen_consultation()
    draft = state.get("draft") if state.get("step") == "draft" else None
    if draft_form is None and draft:
        draft_form = DraftForm(data=draft)  # a form given back with errors keeps what the citizen typed
    return {
        "conversation": conversation,
        "messages": messages,
        "cards": cards,
        "my_votes": my_votes,
        "state": state,
        "consultation": consultation,
        "open_consultations": list_consultations(session=db)["open"],
        "draft_form": draft_form,
        "errors": errors or {},
        "show_login": show_login,
        "login_form": LoginForm(),
        "signup_form": signup_form or SignupForm(formdata=None),
        "message_form": MessageForm(),
        "action_form": ActionForm(),
        "vote_form": VoteForm(),
    }


PANEL_MESSAGES = 4  # the compact panel shows the last exchange only


def _respond(status: int = 200, **context):
    """The chat component to htmx (or the compact panel of a consultation page), else back to the page."""
    if htmx and request.form.get("panel") == "1":
        full = _context(**context)
        consultation = full["consultation"]
        if consultation is not None:
            last = _last_exchange(full["messages"])
            return render_template(
                "assistant/_panel.html", panel_messages=last, panel_consultation=consultation, **full
            ), status
    if htmx:
        return render_template("assistant/_chat.html", **_context(**context)), status
    if status != 200:
        return render_template("assistant/index.html", **_context(**context)), status
    if context.get("show_login"):
        # Without JavaScript too, the page comes back with the sign-in and sign-up panel open.
        return redirect(url_for("assistant.index", connexion=1, _anchor="assistant-login"), 303)
    return redirect(url_for("assistant.index", _anchor="derniere-reponse"), 303)


def _last_exchange(messages: list) -> list:
    """The citizen's last message and the assistant's replies to it."""
    starts = [i for i, message in enumerate(messages) if message.role == "citizen"]
    return messages[starts[-1] :][:PANEL_MESSAGES] if starts else []


@bp.get("/")
def index():
    return render_template("assistant/index.html", **_context(show_login=request.args.get("connexion") == "1"))


@bp.post("/message")
@_limit
def message():
    form = MessageForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    conversation = _conversation(create=True)
    chosen = _chosen_consultation()
    if chosen is not None:
        services.set_consultation(session=db, conversation=conversation, consultation=chosen)
    text = form.text.data or ""
    if text.strip():
        try:
            services.converse(
                session=db,
                conversation=conversation,
                text=text,
                user=g.user,
                lang=str(get_locale()),
                config=current_app.config,
            )
        except Conflict as exc:
            db.rollback()
            return _respond(409, errors={"text": str(exc)})
    db.commit()
    return _respond()


@bp.post("/action")
@_limit
def action():
    form = ActionForm()
    if not form.validate_on_submit() or form.action.data not in ACTIONS:
        abort(400)
    db = get_session()
    conversation = _conversation(create=True)
    services.act(
        session=db,
        conversation=conversation,
        action=form.action.data,
        user=g.user,
        config=current_app.config,
        lang=str(get_locale()),
    )
    db.commit()
    return _respond()


@bp.post("/vote/<int:contribution_id>")
@_limit
def vote(contribution_id: int):
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400)
    if g.user is None:
        return _respond(show_login=True)  # the inline login keeps the conversation and its draft
    db = get_session()
    conversation = _conversation(create=True)
    try:
        services.vote_in_chat(
            session=db, conversation=conversation, user=g.user, contribution_id=contribution_id, value=form.value.data
        )
    except Conflict as exc:
        db.rollback()
        return _respond(409 if not htmx else 200, errors={"vote": str(exc)})
    db.commit()
    return _respond()


@bp.post("/brouillon")
@_limit
def draft():
    form = DraftForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    conversation = _conversation(create=True)
    title, body = form.title.data or "", form.body.data or ""
    if form.send.data and g.user is None:
        services.save_draft(session=db, conversation=conversation, title=title, body=body)
        db.commit()
        return _respond(show_login=True)
    if not form.send.data:
        services.save_draft(session=db, conversation=conversation, title=title, body=body)
        db.commit()
        return _respond()
    try:
        services.submit_draft(
            session=db,
            conversation=conversation,
            user=g.user,
            title=title,
            body=body,
            redact=bool(form.redact_personal_data.data),
        )
    except (ValidationFailed, Conflict) as exc:
        db.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"__all__": str(exc)}
        # htmx 2 does not swap 4xx bodies: the errors show in the component with a 200.
        return _respond(200 if htmx else 422, errors=errors, draft_form=form)
    db.commit()
    return _respond()


@bp.post("/connexion")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN"], methods=["POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    token = session.get(services.TOKEN_KEY)
    user = authenticate(
        session=db,
        email=form.email.data or "",
        password=form.password.data or "",
        refuse_demo=current_app.config["ENV"] not in DEVELOPMENT_ENVS,  # the same rule as the sign-in page
    )
    if user is None:
        return _respond(200 if htmx else 422, show_login=True, errors={"login": services.BAD_LOGIN})
    return _signed_in(user, token)


@bp.post("/inscription")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_SIGNUP"], methods=["POST"])
def signup():
    """Create an account without leaving the conversation: the same rules as the sign-up page, draft kept."""
    form = SignupForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        outcome = sign_up(
            session=db,
            email=form.new_email.data or "",
            pseudonym=form.new_pseudonym.data or "",
            password=form.new_password.data or "",
            consent=bool(form.consent.data),
            min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
        )
    except ValidationFailed as exc:
        db.rollback()
        errors = {("consent" if name == "consent" else f"new_{name}"): message for name, message in exc.errors.items()}
        return _respond(200 if htmx else 422, show_login=True, errors=errors, signup_form=form)
    db.commit()
    # As on the sign-up page: the owner of the address confirms it first, and nothing tells a visitor whether it
    # had an account. The conversation stays in this browser's session for when they sign in here.
    send_signup_mail(outcome)
    done = url_for("auth.check_mail", reason="inscription")
    if htmx:
        return "", 200, {"HX-Redirect": done}
    return redirect(done, 303)


def _signed_in(user, token: str | None):
    """After login or sign-up: a fresh session gets the conversation's token back and the account claims it."""
    db = get_session()
    login_user(user)
    g.user = user
    if token:
        session[services.TOKEN_KEY] = token
    _conversation()
    db.commit()
    back = url_for("assistant.index", _anchor="derniere-reponse")
    if htmx:
        return "", 200, {"HX-Redirect": back}
    return redirect(back, 303)


@bp.post("/supprimer")
@_limit
def delete():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    conversation = _conversation()
    if conversation is not None:
        services.delete_conversation(session=db, conversation=conversation)
        db.commit()
    session.pop(services.TOKEN_KEY, None)
    return redirect(url_for("assistant.index"), 303)
