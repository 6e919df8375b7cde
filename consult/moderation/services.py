"""Moderation decisions on contributions and comments, each with its audit event and an optimistic lock.

Every decision names the version of the item the moderator saw. If the item changed since (an author's
edit, a withdrawal, another moderator, flags hiding it), the decision is refused with `StaleItem` and the
moderator is shown the fresh state: nobody publishes a text they did not see, and nothing is overwritten.
The ORM checks the version again in the UPDATE itself (`version_id_col`), which closes the race between
reading and writing. Every decision on an item resolves its open flags: they have been reviewed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from consult.analysis.services import (
    FoundSpan,
    find_personal_data,
    find_personal_data_many,
    mask_spans,
    personal_data_spans,
)
from consult.contributions.services import TITLE_MAX, TITLE_MIN
from consult.errors import Conflict, ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import (
    AutomaticLabel,
    Comment,
    CommentStatus,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    Flag,
    LabelSource,
    ModerationAction,
    Principle,
    RedactedOriginal,
    Theme,
    User,
    Vote,
    utcnow,
)
from consult.moderation.audit import record_event
from consult.moderation.notices import notify_author
from consult.moderation.reasons import RejectionReason
from consult.retention import register_purge
from consult.votes.services import begin_write, recount_votes

DETAILS_MAX = 1000


class StaleItem(Conflict):
    """The item changed after the moderator opened it; the view shows its fresh state."""


STALE_MESSAGE = _l(
    "Cet élément a changé depuis que vous l'avez ouvert (modification de son auteur, retrait, signalements ou "
    "décision d'un autre modérateur). Rien n'a été enregistré : voici son état actuel, relisez-le avant de décider."
)


@contextlib.contextmanager
def _locked(session: Session, item: Contribution | Comment, seen_version: int) -> Iterator[None]:
    """Refuse the change unless the item is still at `seen_version`, before and while writing it."""
    begin_write(session)
    if item.version != seen_version:
        raise StaleItem(STALE_MESSAGE)
    try:
        yield
        session.flush()
    except StaleDataError:
        raise StaleItem(STALE_MESSAGE) from None  # the view rolls back and shows the fresh state


def resolve_flags(*, session: Session, contribution: Contribution | None = None, comment: Comment | None = None) -> int:
    """Close the open flags of an item: reviewed, they no longer count towards hiding it again."""
    flags = Flag.__table__
    column = flags.c.contribution_id if contribution is not None else flags.c.comment_id
    target = contribution if contribution is not None else comment
    return session.exec(
        update(flags).where(column == target.id, flags.c.resolved_at.is_(None)).values(resolved_at=utcnow())
    ).rowcount


def _set_status(contribution: Contribution, status: str) -> None:
    contribution.status = status
    contribution.updated_at = utcnow()
    if status == ContributionStatus.PUBLISHED and contribution.published_at is None:
        contribution.published_at = contribution.updated_at


def _refuse_withdrawn(contribution: Contribution) -> None:
    # A withdrawal is the author's decision: no moderation decision overrides it.
    if contribution.status == ContributionStatus.WITHDRAWN:
        raise Conflict(_l("Cette contribution a été retirée par son auteur : aucune décision n'est possible."))
    if contribution.status == ContributionStatus.DUPLICATE:
        raise Conflict(_l("Cette contribution a été fusionnée avec une autre : la décision n'est plus possible."))


def publish_contribution(
    *, session: Session, moderator: User, contribution: Contribution, seen_version: int
) -> ModerationAction:
    """Publish a pending, hidden (restore) or rejected contribution; on a published one, dismiss its flags."""
    _refuse_withdrawn(contribution)
    previous = contribution.status
    with _locked(session, contribution, seen_version):
        if previous == ContributionStatus.PUBLISHED:
            if not resolve_flags(session=session, contribution=contribution):
                raise Conflict(_l("Cette contribution est déjà publiée."))
            action = ModerationAction.DISMISS_FLAGS
            contribution.updated_at = utcnow()  # bumps the version: another moderator's view is now stale
        else:
            action = ModerationAction.RESTORE if previous == ContributionStatus.HIDDEN else ModerationAction.PUBLISH
            _set_status(contribution, ContributionStatus.PUBLISHED)
            contribution.rejection_reason = None
            resolve_flags(session=session, contribution=contribution)
        session.add(contribution)
    record_event(
        session=session,
        moderator=moderator,
        action=action,
        contribution=contribution,
        before={"status": previous},
        after={"status": contribution.status},
    )
    if action != ModerationAction.DISMISS_FLAGS:  # flags dismissed: nothing changed for the author
        notify_author(session=session, contribution=contribution, action=action)
    return action


def reject_contribution(
    *,
    session: Session,
    moderator: User,
    contribution: Contribution,
    seen_version: int,
    reason: RejectionReason | None,
    details: str = "",
) -> None:
    """Refuse a contribution with a reason from the configured list and optional words, shown to its author."""
    _refuse_withdrawn(contribution)
    details = _clean_details(reason, details)
    if contribution.status == ContributionStatus.REJECTED:
        raise Conflict(_l("Cette contribution est déjà refusée."))
    previous = contribution.status
    text = reason.text + (f"\n\n{details}" if details else "")
    with _locked(session, contribution, seen_version):
        _set_status(contribution, ContributionStatus.REJECTED)
        contribution.rejection_reason = text
        session.add(contribution)
        resolve_flags(session=session, contribution=contribution)
    record_event(
        session=session,
        moderator=moderator,
        action=ModerationAction.REJECT,
        contribution=contribution,
        before={"status": previous},
        after={"status": contribution.status, "reason": reason.key},
        reason=text,
    )
    notify_author(session=session, contribution=contribution, action=ModerationAction.REJECT, reason=text)


def _clean_details(reason: RejectionReason | None, details: str) -> str:
    details = (details or "").strip()
    errors = {}
    if reason is None:
        errors["reason"] = _l("Choisissez le motif du refus dans la liste.")
    elif reason.details_required and not details:
        errors["details"] = _l("Précisez le motif : ce texte sera montré à l'auteur.")
    if len(details) > DETAILS_MAX:
        errors["details"] = _l("Le texte fait %(n)d caractères : %(max)d au plus.", n=len(details), max=DETAILS_MAX)
    elif details and find_personal_data(details):
        errors["details"] = _l("Ce texte semble contenir des données personnelles : reformulez-le sans elles.")
    if errors:
        raise ValidationFailed(errors)
    return details


def hide_contribution(*, session: Session, moderator: User, contribution: Contribution, seen_version: int) -> None:
    """Take a contribution out of public view pending a later decision (restore publishes it again)."""
    _refuse_withdrawn(contribution)
    if contribution.status not in (ContributionStatus.PUBLISHED, ContributionStatus.PENDING):
        raise Conflict(_l("Seule une contribution publiée ou en attente peut être masquée."))
    previous = contribution.status
    with _locked(session, contribution, seen_version):
        _set_status(contribution, ContributionStatus.HIDDEN)
        session.add(contribution)
        resolve_flags(session=session, contribution=contribution)
    record_event(
        session=session,
        moderator=moderator,
        action=ModerationAction.HIDE,
        contribution=contribution,
        before={"status": previous},
        after={"status": contribution.status},
    )


@dataclass(frozen=True)
class MergeResult:
    kept: Contribution
    votes_moved: int
    votes_kept_on_duplicate: int


def merge_duplicate(
    *,
    session: Session,
    moderator: User,
    duplicate: Contribution,
    seen_version: int,
    kept_id: int | None,
) -> MergeResult:
    """Merge `duplicate` into the published contribution `kept_id`.

    The duplicate then points to the kept one and leaves the lists; its votes move to the kept one unless
    the voter already voted there (those stay on the duplicate, counted there); both contributions' counters
    are recomputed from the vote rows, under their row locks, so they are exact.
    """
    _refuse_withdrawn(duplicate)
    kept = session.get(Contribution, kept_id) if kept_id else None
    if kept is None or kept.id == duplicate.id or kept.consultation_id != duplicate.consultation_id:
        raise ValidationFailed({"kept": _l("Indiquez le numéro d'une autre contribution de la même consultation.")})
    if kept.status != ContributionStatus.PUBLISHED:
        raise ValidationFailed({"kept": _l("La contribution conservée doit être publiée.")})
    previous = duplicate.status
    with _locked(session, duplicate, seen_version):
        # Votes first, then the status: a voter holds their vote row before the contribution's row, so taking
        # them in the same order cannot deadlock.
        moved = _move_votes(session, source=duplicate, target=kept)
        _set_status(duplicate, ContributionStatus.DUPLICATE)
        duplicate.duplicate_of_id = kept.id
        session.add(duplicate)
        session.flush()
        resolve_flags(session=session, contribution=duplicate)
        recount_votes(session=session, contribution=kept)
        recount_votes(session=session, contribution=duplicate)
    record_event(
        session=session,
        moderator=moderator,
        action=ModerationAction.MERGE,
        contribution=duplicate,
        before={"status": previous},
        after={
            "status": duplicate.status,
            "duplicate_of": kept.id,
            "votes_moved": moved,
            "votes_left": duplicate.vote_count,
        },
    )
    notify_author(session=session, contribution=duplicate, action=ModerationAction.MERGE, kept_id=kept.id)
    return MergeResult(kept=kept, votes_moved=moved, votes_kept_on_duplicate=duplicate.vote_count)


def _move_votes(session: Session, *, source: Contribution, target: Contribution) -> int:
    votes = Vote.__table__
    already = select(votes.c.user_id).where(votes.c.contribution_id == target.id).scalar_subquery()
    return session.exec(
        update(votes)
        .where(votes.c.contribution_id == source.id, votes.c.user_id.not_in(already))
        .values(contribution_id=target.id)
    ).rowcount


def redact_contribution(
    *,
    session: Session,
    moderator: User,
    contribution: Contribution,
    seen_version: int,
    span_keys: list[str],
    passage: str = "",
    retention_days: int,
) -> int:
    """Mask the chosen personal-data spans (keys from `redaction_candidates`) and a passage chosen by hand.

    The published text shows the placeholders; the original is kept for moderators only, until
    `retention_days` have passed (then `consult purge` erases it). Returns the number of masked spans.
    """
    chosen = _chosen_spans(contribution, span_keys, passage.strip())
    if not chosen:
        raise ValidationFailed({"spans": _l("Choisissez au moins une donnée à masquer.")})
    original_title, original_body = contribution.title, contribution.body
    title = mask_spans(original_title, [span for field, span in chosen if field == "title"])
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    with _locked(session, contribution, seen_version):
        contribution.title = title
        contribution.body = mask_spans(original_body, [span for field, span in chosen if field == "body"])
        contribution.updated_at = utcnow()
        session.add(contribution)
        session.add(
            RedactedOriginal(
                contribution_id=contribution.id,
                title=original_title,
                body=original_body,
                redacted_at=contribution.updated_at,
                purge_after=contribution.updated_at + timedelta(days=retention_days),
            )
        )
    _refresh_personal_data_label(session, contribution)
    # The event says what kind of data was masked where, never the data itself.
    record_event(
        session=session,
        moderator=moderator,
        action=ModerationAction.REDACT,
        contribution=contribution,
        before={"masked": 0},
        after={"masked": len(chosen), "kinds": sorted({f"{field}:{span.kind}" for field, span in chosen})},
    )
    notify_author(session=session, contribution=contribution, action=ModerationAction.REDACT)
    return len(chosen)


def _refresh_personal_data_label(session: Session, contribution: Contribution) -> None:
    """The automatic label's spans pointed into the text before masking: read the masked text again."""
    label = session.get(AutomaticLabel, contribution.id)
    if label is None:
        return
    label.personal_data = [
        {"field": field, "start": span.start, "end": span.end, "type": span.kind, "sensitive": span.sensitive}
        for _key, field, span in redaction_candidates(contribution)
    ]
    label.has_personal_data = bool(label.personal_data)
    session.add(label)
    session.flush()


def redaction_candidates(contribution: Contribution) -> list[tuple[str, str, FoundSpan]]:
    """The detected spans of the title and body as (key, field, span); keys are stable for an unchanged text."""
    return [
        (f"{field}:{index}", field, span)
        for field in ("title", "body")
        for index, span in enumerate(personal_data_spans(getattr(contribution, field)))
    ]


def _chosen_spans(contribution: Contribution, span_keys: list[str], passage: str) -> list[tuple[str, FoundSpan]]:
    candidates = {key: (field, span) for key, field, span in redaction_candidates(contribution)}
    if "all" in span_keys:
        span_keys = list(candidates)
    unknown = [key for key in span_keys if key not in candidates]
    if unknown:
        # Detection is deterministic: an unknown key means the text changed (the version check says so first).
        raise ValidationFailed({"spans": _l("Cette donnée n'est plus dans le texte : rechargez la contribution.")})
    chosen = [candidates[key] for key in span_keys]
    if passage:
        found = [
            (field, FoundSpan(start, start + len(passage), "manual", passage))
            for field in ("title", "body")
            for start in _occurrences(getattr(contribution, field), passage)
        ]
        if not found:
            raise ValidationFailed({"passage": _l("Ce passage n'apparaît pas tel quel dans le titre ou le texte.")})
        chosen += found
    return chosen


def _occurrences(text: str, passage: str) -> list[int]:
    starts, position = [], text.find(passage)
    while position != -1:
        starts.append(position)
        position = text.find(passage, position + len(passage))
    return starts


def purge_redacted_originals(*, session: Session, now, dry_run: bool) -> int:
    """Erase the originals of redacted texts past their retention period (one journal event each)."""
    expired = session.exec(select(RedactedOriginal).where(RedactedOriginal.purge_after <= now)).all()
    if dry_run:
        return len(expired)
    for original in expired:
        contribution = session.get(Contribution, original.contribution_id)
        record_event(
            session=session,
            moderator=None,
            action=ModerationAction.PURGE,
            contribution=contribution,
            before={"original_kept_until": original.purge_after.isoformat()},
            after={"original": "erased"},
        )
        session.delete(original)
    session.flush()
    return len(expired)


register_purge("originaux des textes masqués par la modération", purge_redacted_originals)


def correct_labels(
    *,
    session: Session,
    moderator: User,
    contribution: Contribution,
    seen_version: int,
    theme_id: str | None,
    principle_ids: list[str],
) -> None:
    """Set the theme and the principles as a moderator's (human) labels; automatic labels are left as they are."""
    principle_ids = sorted(set(principle_ids))
    errors = {}
    if theme_id and session.get(Theme, theme_id) is None:
        errors["theme"] = _l("Choisissez un thème dans la liste.")
    known = set(session.exec(select(Principle.id).where(Principle.id.in_(principle_ids)))) if principle_ids else set()
    if known != set(principle_ids):
        errors["principles"] = _l("Choisissez les principes dans la liste.")
    if errors:
        raise ValidationFailed(errors)
    rows = session.exec(
        select(ContributionPrinciple).where(
            ContributionPrinciple.contribution_id == contribution.id,
            ContributionPrinciple.source == LabelSource.MODERATOR,
        )
    ).all()
    before = {"theme": contribution.theme_id, "principles": sorted(r.principle_id for r in rows)}
    after = {"theme": theme_id or None, "principles": principle_ids}
    if before == after and contribution.theme_source == LabelSource.MODERATOR:
        raise Conflict(_l("Ces étiquettes sont déjà celles de la contribution."))
    with _locked(session, contribution, seen_version):
        contribution.theme_id = theme_id or None
        contribution.theme_source = LabelSource.MODERATOR
        contribution.updated_at = utcnow()
        session.add(contribution)
        for row in rows:
            session.delete(row)
        session.flush()
        session.add_all(
            ContributionPrinciple(contribution_id=contribution.id, principle_id=p, source=LabelSource.MODERATOR)
            for p in principle_ids
        )
    record_event(
        session=session,
        moderator=moderator,
        action=ModerationAction.LABELS,
        contribution=contribution,
        before=before,
        after=after,
    )


def edit_title(*, session: Session, moderator: User, contribution: Contribution, seen_version: int, title: str) -> None:
    """Reword the title for clarity; the author sees the change and the former title on their contribution."""
    _refuse_withdrawn(contribution)
    title = (title or "").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise ValidationFailed(
            {"title": _l("Le titre doit faire de %(min)d à %(max)d caractères.", min=TITLE_MIN, max=TITLE_MAX)}
        )
    if find_personal_data(title):
        raise ValidationFailed({"title": _l("Ce titre semble contenir des données personnelles.")})
    if title == contribution.title:
        raise ValidationFailed({"title": _l("Le titre n'a pas changé.")})
    previous = contribution.title
    with _locked(session, contribution, seen_version):
        contribution.title = title
        contribution.updated_at = utcnow()
        session.add(contribution)
    record_event(
        session=session,
        moderator=moderator,
        action=ModerationAction.TITLE,
        contribution=contribution,
        before={"title": previous},
        after={"title": title},
    )


def moderate_comment(*, session: Session, moderator: User, comment: Comment, seen_version: int, publish: bool) -> None:
    """Publish (or re-publish) or hide a comment; its open flags are resolved."""
    from consult.comments.services import change_status

    if comment.status == CommentStatus.DELETED:
        raise Conflict(_l("Ce commentaire a été supprimé par son auteur."))
    status = CommentStatus.PUBLISHED if publish else CommentStatus.HIDDEN
    previous = comment.status
    if previous == status and publish:
        action = ModerationAction.DISMISS_FLAGS
    elif publish:
        action = ModerationAction.RESTORE if previous == CommentStatus.HIDDEN else ModerationAction.PUBLISH
    else:
        action = ModerationAction.HIDE
    with _locked(session, comment, seen_version):
        resolved = resolve_flags(session=session, comment=comment)
        if previous == status and not resolved:
            raise Conflict(_l("Ce commentaire est déjà dans cet état."))
        if not change_status(session=session, comment=comment, status=status, expected_version=seen_version):
            raise StaleItem(STALE_MESSAGE)
    record_event(
        session=session,
        moderator=moderator,
        action=action,
        comment=comment,
        before={"status": previous},
        after={"status": status},
    )


BULK_ACTIONS = ("publish", "hide", "reject")


@dataclass
class BulkRefused(Exception):
    """Nothing was written: these items (kind, id, message) cannot take the action as they were shown."""

    problems: list[tuple[str, int, str]]


def apply_bulk(
    *,
    session: Session,
    moderator: User,
    action: str,
    items: list[tuple[str, int, int]],
    reason: RejectionReason | None = None,
    details: str = "",
) -> int:
    """Apply one decision to the selected rows, all or nothing; returns how many items it applied to.

    Every row carries the version the moderator saw: if any row changed or cannot take the decision, nothing
    is written and BulkRefused lists them, so a batch never half-applies.
    """
    if action not in BULK_ACTIONS:
        raise ValidationFailed({"action": _l("Choisissez une action pour la sélection.")})
    if not items:
        raise ValidationFailed({"items": _l("Sélectionnez au moins un élément de la file.")})
    if action == "reject":
        details = _clean_details(reason, details)
    begin_write(session)  # before the first SAVEPOINT, which would otherwise open a deferred transaction on SQLite
    loaded = [
        (kind, item_id, version, session.get(Contribution if kind == "contribution" else Comment, item_id))
        for kind, item_id, version in items
    ]
    screened = (
        _screen_full_texts([item for _k, _i, _v, item in loaded if item is not None]) if action == "publish" else {}
    )
    problems: list[tuple[str, int, str]] = []
    for kind, item_id, version, item in loaded:
        try:
            if item is None:
                raise Conflict(_l("Cet élément n'existe plus."))
            if (kind, item_id) in screened:
                raise Conflict(screened[kind, item_id])
            with session.begin_nested():
                _apply_one(session, moderator, action, kind, item, version, reason, details)
        except (Conflict, ValidationFailed) as exc:
            message = str(exc) if isinstance(exc, Conflict) else "; ".join(str(m) for m in exc.errors.values())
            problems.append((kind, item_id, message))
    if problems:
        raise BulkRefused(problems)
    return len(items)


def _screen_full_texts(items: list[Contribution | Comment]) -> dict[tuple[str, int], str]:
    """Personal data in the whole text of each item, not in the excerpt the queue row shows.

    A moderator selecting rows in bulk has read 220 characters of each: a phone number or a health detail further
    down must stop the batch, so that the item is opened, read in full and redacted before it is published.
    """
    keyed = [
        (("contribution", item.id), f"{item.title}\n{item.body}")
        if isinstance(item, Contribution)
        else (("comment", item.id), item.body)
        for item in items
    ]
    found = find_personal_data_many([text for _key, text in keyed])
    return {
        key: str(
            _l(
                "son texte complet contient des données personnelles (%(kinds)s) : ouvrez-le et lisez-le en "
                "entier avant de le publier",
                kinds=", ".join(str(kind) for kind in data.kinds),
            )
        )
        for (key, _text), data in zip(keyed, found, strict=True)
        if data is not None
    }


def _apply_one(session, moderator, action, kind, item, version, reason, details) -> None:
    if kind == "comment":
        if action == "reject":
            raise Conflict(_l("Un commentaire se masque, il ne se refuse pas."))
        publish = action == "publish"
        moderate_comment(session=session, moderator=moderator, comment=item, seen_version=version, publish=publish)
    elif action == "publish":
        publish_contribution(session=session, moderator=moderator, contribution=item, seen_version=version)
    elif action == "hide":
        hide_contribution(session=session, moderator=moderator, contribution=item, seen_version=version)
    else:
        reject_contribution(
            session=session,
            moderator=moderator,
            contribution=item,
            seen_version=version,
            reason=reason,
            details=details,
        )
