"""The dialogue state machine: guided contribution and voting walk-through around the engine's replies.

Steps: idle -> (wants to contribute) concern -> (what matters to them) similar: the 3 closest contributions,
to vote on -> (still wants to write) draft: a title and body to edit, then submitted through the web form's
rules. (wants to vote) vote: one contribution at a time, routed as Pol.is does. A medical reply never moves
the dialogue. The state is a plain dict (stored as JSON with the conversation); `Ports` reaches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from consult.assistant.engine import Reply
from consult.i18n import lazy_gettext as _l

SIMILAR_SHOWN = 3
CONCERN_MIN_WORDS = 8  # a request to contribute that already says what it is about skips the question
TITLE_MAX = 100

CHOOSE_CONSULTATION = _l(
    "Pour proposer une contribution ou voter, choisissez d'abord une consultation ouverte dans la liste au-dessus "
    "de la conversation."
)
SIMILAR = _l(
    "Merci. Ces contributions disent peut-être déjà ce qui compte pour vous : vous pouvez voter pour elles ici "
    "même. Si aucune ne le dit, rédigez la vôtre."
)
NO_SIMILAR = _l("Merci. Aucune contribution publiée ne dit encore cela : rédigeons la vôtre.")
DRAFT = _l(
    "Voici un brouillon rédigé à partir de ce que vous avez écrit. Modifiez le titre et le texte comme vous le "
    "souhaitez, puis envoyez-le : il suivra les mêmes règles que le formulaire du site (relecture, modération)."
)
NEXT_VOTE = _l("Voici une contribution : êtes-vous d'accord ?")
NO_MORE_VOTES = _l("Vous avez vu toutes les contributions publiées pour l'instant. Merci de votre participation !")
STOPPED = _l("D'accord, j'arrête. Posez-moi une question quand vous voulez.")
DRAFT_DROPPED = _l("Le brouillon est abandonné.")
NOTHING_TO_DRAFT = _l("Dites-moi d'abord ce qui compte pour vous : je rédigerai un brouillon à partir de vos mots.")
DRAFT_INTRO_BODY = _l("Je propose que la consultation prenne en compte ce point :")


class Ports(Protocol):
    """What the dialogue needs from the database (services.DialoguePorts)."""

    has_consultation: bool

    def similar(self, text: str, k: int) -> list[int]: ...

    def next_to_vote(self, seen: list[int]) -> int | None: ...

    def draft(self, concern: str) -> dict | None: ...


@dataclass
class Turn:
    """One assistant message: its text, sources, contribution cards and buttons."""

    kind: str
    text: str
    sources: list[dict] = field(default_factory=list)
    cards: list[int] = field(default_factory=list)
    card_mode: str | None = None  # "similar" or "vote"
    actions: list[str] = field(default_factory=list)

    def payload(self) -> dict:
        return {"sources": self.sources, "cards": self.cards, "card_mode": self.card_mode, "actions": self.actions}


def from_reply(reply: Reply) -> Turn:
    return Turn(kind=reply.kind, text=reply.text, sources=[source.as_dict() for source in reply.sources])


def on_message(state: dict, reply: Reply, ports: Ports) -> list[Turn]:
    """The assistant's turns after a citizen's message; `reply` is the engine's reading of it."""
    step = state.get("step", "idle")
    if reply.kind == "medical":
        return [from_reply(reply)]
    turns = [from_reply(reply)] if reply.kind == "personal_data" and reply.intent != "question" else []
    if step == "concern" and reply.intent not in ("greeting", "help", "vote"):
        return turns + _concern(state, reply.masked, ports)
    if reply.kind == "contribute" or (reply.kind == "personal_data" and reply.intent == "contribute"):
        if not ports.has_consultation:
            return turns + [Turn(kind="contribute", text=str(CHOOSE_CONSULTATION))]
        if len(reply.masked.split()) >= CONCERN_MIN_WORDS:
            return turns + _concern(state, reply.masked, ports)
        state["step"] = "concern"
        return turns + [from_reply(reply)] if reply.kind == "contribute" else turns
    if reply.kind == "vote":
        if not ports.has_consultation:
            return [Turn(kind="vote", text=str(CHOOSE_CONSULTATION))]
        return [from_reply(reply), *next_vote(state, ports)]
    return turns or [from_reply(reply)]


def _concern(state: dict, concern: str, ports: Ports) -> list[Turn]:
    """The citizen said what matters: show the closest contributions, or go straight to the draft."""
    state["concern"] = concern.strip()
    similar = ports.similar(concern, SIMILAR_SHOWN)
    if not similar:
        return [Turn(kind="contribute", text=str(NO_SIMILAR)), *start_draft(state, ports)]
    state["step"] = "similar"
    return [Turn(kind="contribute", text=str(SIMILAR), cards=similar, card_mode="similar", actions=["write"])]


def start_draft(state: dict, ports: Ports) -> list[Turn]:
    """Open the draft panel with a title and body made from the citizen's own (masked) words.

    The optional LLM may word it better (ports.draft); without it, or when it fails, the words stay theirs.
    """
    concern = state.get("concern", "")
    if not concern:
        return [Turn(kind="contribute", text=str(NOTHING_TO_DRAFT))]
    state["draft"] = ports.draft(concern) or draft_from(concern)
    state["step"] = "draft"
    return [Turn(kind="contribute", text=str(DRAFT))]


def draft_from(concern: str) -> dict:
    """A title (first sentence, at most 100 characters, cut at a word) and a body (their words)."""
    text = " ".join(concern.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".!? ")
    title = first if len(first) <= TITLE_MAX else first[:TITLE_MAX].rsplit(" ", 1)[0] + "…"
    title = title[:1].upper() + title[1:]
    body = text if len(text) >= 30 else f"{DRAFT_INTRO_BODY} {text}"
    return {"title": title, "body": body}


def next_vote(state: dict, ports: Ports) -> list[Turn]:
    seen = list(state.get("seen", []))
    contribution_id = ports.next_to_vote(seen)
    if contribution_id is None:
        state["step"] = "idle"
        return [Turn(kind="vote", text=str(NO_MORE_VOTES))]
    state.update(step="vote", current=contribution_id, seen=[*seen, contribution_id])
    return [Turn(kind="vote", text=str(NEXT_VOTE), cards=[contribution_id], card_mode="vote", actions=["next", "stop"])]


def on_action(state: dict, action: str, ports: Ports) -> list[Turn]:
    """A button of the conversation: write anyway, next contribution, stop, drop the draft."""
    if action == "write":
        return start_draft(state, ports)
    if action == "vote":
        return next_vote(state, ports) if ports.has_consultation else [Turn(kind="vote", text=str(CHOOSE_CONSULTATION))]
    if action == "next":
        return next_vote(state, ports)
    if action == "drop":
        state.pop("draft", None)
        state["step"] = "idle"
        return [Turn(kind="contribute", text=str(DRAFT_DROPPED))]
    state["step"] = "idle"
    return [Turn(kind="help", text=str(STOPPED))]
