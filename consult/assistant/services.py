"""The assistant's services: the shared engine, the consultation's facts, conversations (stored masked)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import format_date
from sqlalchemy import delete, func
from sqlmodel import Session, select

from consult.account.services import erase_section, export_section
from consult.analysis.routing import next_for_vote
from consult.analysis.services import similar_contributions
from consult.assistant import dialogue
from consult.assistant.engine import Assistant
from consult.assistant.llm import LLMClient
from consult.config import PROJECT_ROOT
from consult.consultations.services import count_participation, get_consultation, list_phases
from consult.contributions.services import submit_contribution
from consult.errors import Conflict
from consult.i18n import lazy_gettext as _l
from consult.models import (
    AssistantConversation,
    AssistantMessage,
    Channel,
    Consultation,
    Contribution,
    ContributionStatus,
    User,
    utcnow,
)
from consult.retention import register_purge
from consult.visibility import contribution_visible_to
from consult.votes.services import cast_vote, votes_by_user

STATUS_LABELS = {"open": _l("ouverte"), "upcoming": _l("à venir"), "closed": _l("close")}
MODERATION_LABELS = {"pre": _l("relues avant publication"), "post": _l("publiées directement, modérées ensuite")}


def get_engine(config_dir: str = "config/assistant") -> Assistant:
    """The trained engine (once per process), from a project-relative or absolute directory.

    The fitted models are kept in the instance folder (instance/cache/), so a fresh process does not retrain.
    """
    from flask import current_app, has_app_context

    cache_dir = Path(current_app.instance_path) / "cache" if has_app_context() else None
    return Assistant.load(PROJECT_ROOT / config_dir, cache_dir=cache_dir)


def find_consultation(*, session: Session, slug: str) -> Consultation | None:
    return get_consultation(session=session, slug=slug)


def configured_facts(config) -> dict[str, str]:
    """Facts from the configuration that answers may quote (retention periods)."""
    return {
        "retention_days": str(config["ASSISTANT_RETENTION_DAYS"]),
        "account_months": str(config["DATA_RETENTION_MONTHS"]),
    }


def consultation_facts(*, session: Session, consultation: Consultation) -> dict[str, str]:
    """The consultation's own texts and live counts, as the knowledge base's placeholders read them."""
    counts = count_participation(session=session, consultation=consultation)
    phases = list_phases(session=session, consultation=consultation)
    return {
        "title": consultation.title,
        "question": consultation.question,
        "opens": format_date(consultation.opens_at, "long"),
        "closes": format_date(consultation.closes_at, "long"),
        "status": str(STATUS_LABELS[consultation.status()]),
        "phases": "; ".join(
            f"{phase.title} ({format_date(phase.starts_at, 'long')} – {format_date(phase.ends_at, 'long')})"
            for phase in phases
        )
        or "—",
        "contributions": str(counts.contributions),
        "participants": str(counts.participants),
        "votes": str(counts.votes),
        "moderation": str(MODERATION_LABELS.get(consultation.moderation, consultation.moderation)),
    }


# -- conversations -----------------------------------------------------------------------------------------

TOKEN_KEY = "assistant_conversation"  # the visitor's session cookie key holding an anonymous conversation


def load_state(conversation: AssistantConversation) -> dict:
    return json.loads(conversation.state or "{}")


def _save_state(conversation: AssistantConversation, state: dict) -> None:
    conversation.state = json.dumps(state, ensure_ascii=False)


def get_conversation(*, session: Session, token: str | None, user: User | None) -> AssistantConversation | None:
    """The conversation this visitor may see: the one whose token they hold, else a signed-in user's latest.

    A conversation attached to an account is never returned to anyone else, token or not.
    """
    if token:
        conversation = session.exec(select(AssistantConversation).where(AssistantConversation.token == token)).first()
        if conversation is not None and (conversation.user_id is None or (user and conversation.user_id == user.id)):
            return conversation
    if user is not None:
        return session.exec(
            select(AssistantConversation)
            .where(AssistantConversation.user_id == user.id)
            .order_by(AssistantConversation.updated_at.desc(), AssistantConversation.id.desc())
        ).first()
    return None


def start_conversation(
    *, session: Session, user: User | None, consultation: Consultation | None
) -> AssistantConversation:
    conversation = AssistantConversation(
        token=secrets.token_urlsafe(32),
        user_id=user.id if user else None,
        consultation_id=consultation.id if consultation else None,
    )
    session.add(conversation)
    session.flush()
    return conversation


def claim_conversation(*, session: Session, conversation: AssistantConversation, user: User) -> None:
    """Attach an anonymous conversation to the account that just signed in (its draft comes along)."""
    if conversation.user_id is None:
        conversation.user_id = user.id
        session.add(conversation)
        session.flush()


def set_consultation(*, session: Session, conversation: AssistantConversation, consultation: Consultation) -> None:
    if conversation.consultation_id != consultation.id:
        conversation.consultation_id = consultation.id
        state = load_state(conversation)
        state.pop("seen", None)
        state.pop("current", None)
        if state.get("step") in ("vote", "similar"):
            state["step"] = "idle"
        _save_state(conversation, state)
        session.add(conversation)
        session.flush()


def list_messages(*, session: Session, conversation: AssistantConversation) -> list[AssistantMessage]:
    return list(
        session.exec(
            select(AssistantMessage)
            .where(AssistantMessage.conversation_id == conversation.id)
            .order_by(AssistantMessage.created_at, AssistantMessage.id)
        )
    )


def count_messages(*, session: Session, conversation: AssistantConversation) -> int:
    return session.exec(
        select(func.count()).select_from(AssistantMessage).where(AssistantMessage.conversation_id == conversation.id)
    ).one()


def _add(session: Session, conversation: AssistantConversation, role: str, kind: str, text: str, payload=None):
    message = AssistantMessage(
        conversation_id=conversation.id,
        role=role,
        kind=kind,
        text=text,
        payload=json.dumps(payload or {}, ensure_ascii=False),
    )
    session.add(message)
    return message


def _add_turns(session: Session, conversation: AssistantConversation, turns: list[dialogue.Turn]) -> None:
    for turn in turns:
        _add(session, conversation, "assistant", turn.kind, turn.text, turn.payload())
    conversation.updated_at = utcnow()
    session.add(conversation)
    session.flush()


@dataclass
class DialoguePorts:
    """The dialogue's access to the consultation's published contributions (the one visibility rule)."""

    session: Session
    consultation_id: int | None
    user_id: int | None
    seed: int
    llm: LLMClient | None = None
    lang: str = "fr"

    @property
    def has_consultation(self) -> bool:
        return self.consultation_id is not None

    def similar(self, text: str, k: int) -> list[int]:
        hits = similar_contributions(session=self.session, consultation_id=self.consultation_id, text=text, k=k)
        return [contribution.id for contribution, _score in hits]

    def draft(self, concern: str) -> dict | None:
        return self.llm.draft(concern=concern, lang=self.lang) if self.llm else None

    def next_to_vote(self, seen: list[int]) -> int | None:
        return next_for_vote(
            session=self.session,
            consultation_id=self.consultation_id,
            user_id=self.user_id,
            seen=seen,
            seed=self.seed + len(seen),
        )


def _ports(
    session: Session, conversation: AssistantConversation, user: User | None, config=None, lang: str = "fr"
) -> DialoguePorts:
    consultation = session.get(Consultation, conversation.consultation_id) if conversation.consultation_id else None
    open_id = consultation.id if consultation is not None and consultation.status() == "open" else None
    llm = LLMClient.from_config(config) if config is not None else None
    return DialoguePorts(session, open_id, user.id if user else None, seed=conversation.id or 0, llm=llm, lang=lang)


def converse(
    *, session: Session, conversation: AssistantConversation, text: str, user: User | None, lang: str, config
) -> None:
    """Store the citizen's message (masked) and the assistant's replies; advance the dialogue."""
    text = text.strip()[: config["ASSISTANT_MAX_LENGTH"]]
    if count_messages(session=session, conversation=conversation) >= config["ASSISTANT_MAX_MESSAGES"]:
        raise Conflict(TOO_LONG)
    engine = get_engine(config["ASSISTANT_CONFIG_DIR"])
    consultation = session.get(Consultation, conversation.consultation_id) if conversation.consultation_id else None
    known = consultation_facts(session=session, consultation=consultation) if consultation else None
    reply = engine.reply(text, lang=lang, consultation=known, facts=configured_facts(config))
    ports = _ports(session, conversation, user, config, lang)
    if ports.llm is not None and reply.answer and reply.kind in ("answer", "personal_data"):
        # Only a sourced answer is reworded, from the masked question; warnings and safety replies stay as written.
        reworded = ports.llm.rephrase(question=reply.masked, answer=reply.answer, lang=lang)
        reply.text = reply.text.replace(reply.answer, reworded) if reworded else reply.text
    _add(session, conversation, "citizen", reply.kind, reply.masked)
    state = load_state(conversation)
    turns = dialogue.on_message(state, reply, ports)
    _save_state(conversation, state)
    _add_turns(session, conversation, turns)


def act(
    *,
    session: Session,
    conversation: AssistantConversation,
    action: str,
    user: User | None,
    config=None,
    lang: str = "fr",
) -> None:
    """A button of the conversation (write anyway, vote, next, stop, drop the draft)."""
    state = load_state(conversation)
    turns = dialogue.on_action(state, action, _ports(session, conversation, user, config, lang))
    _save_state(conversation, state)
    _add_turns(session, conversation, turns)


def vote_in_chat(
    *, session: Session, conversation: AssistantConversation, user: User, contribution_id: int, value: int
) -> None:
    """Cast a vote from the conversation (same rules as the site's buttons), then offer the next one."""
    contribution = session.get(Contribution, contribution_id)
    if (
        contribution is None
        or contribution.consultation_id != conversation.consultation_id
        or not contribution_visible_to(user, contribution)
    ):
        raise Conflict(NOT_VOTABLE)
    cast_vote(session=session, contribution=contribution, user=user, value=value)
    state = load_state(conversation)
    turns = [dialogue.Turn(kind="vote", text=str(VOTE_SAVED % {"title": contribution.title}))]
    if state.get("step") == "vote":
        turns += dialogue.next_vote(state, _ports(session, conversation, user))
    _save_state(conversation, state)
    _add_turns(session, conversation, turns)


def save_draft(*, session: Session, conversation: AssistantConversation, title: str, body: str) -> None:
    state = load_state(conversation)
    state["draft"] = {"title": title, "body": body}
    state["step"] = "draft"
    _save_state(conversation, state)
    session.add(conversation)
    session.flush()


def submit_draft(
    *, session: Session, conversation: AssistantConversation, user: User, title: str, body: str, redact: bool
) -> Contribution:
    """Submit the draft through the web form's rules (validation, personal data, moderation), channel chat."""
    save_draft(session=session, conversation=conversation, title=title, body=body)
    consultation = session.get(Consultation, conversation.consultation_id) if conversation.consultation_id else None
    if consultation is None:
        raise Conflict(dialogue.CHOOSE_CONSULTATION)
    contribution = submit_contribution(
        session=session,
        consultation=consultation,
        author=user,
        title=title,
        body=body,
        channel=Channel.CHAT,
        redact_personal_data=redact,
    )
    state = load_state(conversation)
    state.pop("draft", None)
    state.pop("concern", None)
    state["step"] = "idle"
    _save_state(conversation, state)
    text = SUBMITTED_PENDING if contribution.status == ContributionStatus.PENDING else SUBMITTED
    _add_turns(
        session,
        conversation,
        [dialogue.Turn(kind="contribute", text=str(text), cards=[contribution.id], card_mode="mine", actions=["vote"])],
    )
    return contribution


def delete_conversation(*, session: Session, conversation: AssistantConversation) -> None:
    session.delete(conversation)
    session.flush()


def cards_for(
    *, session: Session, messages: list[AssistantMessage], user: User | None
) -> tuple[dict[int, Contribution], dict[int, int]]:
    """The contributions the messages show that `user` may still read (visibility rule), and their votes."""
    ids = {cid for message in messages for cid in json.loads(message.payload or "{}").get("cards", [])}
    if not ids:
        return {}, {}
    rows = session.exec(select(Contribution).where(Contribution.id.in_(ids))).all()
    visible = {c.id: c for c in rows if contribution_visible_to(user, c)}
    return visible, votes_by_user(session=session, user=user, contribution_ids=visible)


@export_section("assistant_conversations")
def export_conversations(session: Session, user: User) -> list[dict]:
    conversations = session.exec(
        select(AssistantConversation).where(AssistantConversation.user_id == user.id).order_by(AssistantConversation.id)
    ).all()
    return [
        {
            "created_at": conversation.created_at.isoformat(),
            "updated_at": conversation.updated_at.isoformat(),
            "messages": [
                {"role": m.role, "kind": m.kind, "text": m.text, "created_at": m.created_at.isoformat()}
                for m in list_messages(session=session, conversation=conversation)
            ],
        }
        for conversation in conversations
    ]


@erase_section("assistant_conversations")
def erase_conversations(session: Session, user: User) -> None:
    """Account deletion erases the person's conversations with the assistant (their messages go with them)."""
    owned = select(AssistantConversation.id).where(AssistantConversation.user_id == user.id)
    session.exec(delete(AssistantMessage).where(AssistantMessage.conversation_id.in_(owned)))
    session.exec(delete(AssistantConversation).where(AssistantConversation.user_id == user.id))
    session.flush()


RETENTION_DAYS_DEFAULT = 90


def purge_conversations(*, session: Session, now: datetime, dry_run: bool, days: int | None = None) -> int:
    """Erase the conversations without activity for the retention period (their messages go with them)."""
    days = days or int(_config_value("ASSISTANT_RETENTION_DAYS", RETENTION_DAYS_DEFAULT))
    stale = AssistantConversation.updated_at < now - timedelta(days=days)
    count = session.exec(select(func.count()).select_from(AssistantConversation).where(stale)).one()
    if not dry_run and count:
        session.exec(delete(AssistantConversation).where(stale))
        session.flush()
    return count


def _config_value(name: str, default):
    from flask import current_app, has_app_context

    return current_app.config.get(name, default) if has_app_context() else default


register_purge("assistant conversations", purge_conversations)

BAD_LOGIN = _l("Adresse électronique ou mot de passe incorrect.")
TOO_LONG = _l("Cette conversation est très longue : commencez-en une nouvelle pour continuer.")
NOT_VOTABLE = _l("Cette contribution n'est pas ouverte au vote depuis cette conversation.")
VOTE_SAVED = _l("Votre vote sur « %(title)s » est enregistré.")
SUBMITTED = _l("Merci ! Votre contribution est publiée.")
SUBMITTED_PENDING = _l(
    "Merci ! Votre contribution est enregistrée ; elle sera publiée après relecture par un modérateur."
)
