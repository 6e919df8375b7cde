"""Moderation integrity: optimistic locking, duplicate merge with exact vote counts, redaction and purge.

Runs on SQLite and, under scripts/test.sh, again on PostgreSQL.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from consult.flags.services import flag_contribution
from consult.models import (
    Contribution,
    ContributionStatus,
    ModerationEvent,
    RedactedOriginal,
    Role,
    User,
    Vote,
    utcnow,
)
from consult.moderation import services
from consult.retention import PURGES, register_purge
from consult.votes.services import cast_vote
from tests.consult.contribution_factories import add_contribution

PHONE = "06 39 98 00 00"


def text(response) -> str:
    return response.get_data(as_text=True)


def reload(session, item_id) -> Contribution:
    session.expire_all()
    return session.get(Contribution, item_id)


def actions(session) -> list[str]:
    session.expire_all()
    return [e.action for e in session.exec(select(ModerationEvent).order_by(ModerationEvent.id))]


@pytest.fixture
def moderator(make_user, sign_in):
    return sign_in(make_user(role=Role.MODERATOR))


@pytest.fixture
def pending(session, make_consultation, make_user):
    return add_contribution(session, make_consultation(moderation="pre"), make_user(), status="pending")


def post(client, contribution_id, action, version, **data):
    return client.post(f"/moderation/contributions/{contribution_id}/{action}", data={"version": version, **data})


# --- Optimistic locking --------------------------------------------------------------------------------------


def test_second_moderator_gets_a_clear_message_and_the_fresh_state(app, session, make_user, pending):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        user = make_user(role=Role.MODERATOR)
        with client.session_transaction() as http:
            http["user_id"], http["user_version"] = user.id, user.session_version
    seen = pending.version
    assert f'name="version" value="{seen}"' in text(first.get(f"/moderation/contributions/{pending.id}"))
    assert post(second, pending.id, "publier", seen).status_code == 303
    response = post(first, pending.id, "refuser", seen, reason="hors_sujet")
    assert response.status_code == 409
    page = text(response)
    assert "a changé depuis que vous l" in page and "Rien n’a été enregistré" in page
    assert f'name="version" value="{seen + 1}"' in page  # the fresh state, ready for a new decision
    assert reload(session, pending.id).status == ContributionStatus.PUBLISHED
    assert actions(session) == ["publish"]


def test_author_edit_after_the_moderator_opened_it_is_a_conflict(
    client, session, moderator, make_consultation, sign_in
):
    author = User(email="auteur@example.fr", pseudonym="Auteur", role=Role.CITIZEN)
    session.add(author)
    session.commit()
    contribution = add_contribution(session, make_consultation(moderation="pre"), author, status="pending")
    seen = contribution.version
    sign_in(author)
    edited = client.post(
        f"/contributions/{contribution.id}/modifier",
        data={"title": "Un titre changé par l'auteur", "body": "Un texte que le modérateur n'a jamais lu, changé."},
    )
    assert edited.status_code == 303
    sign_in(moderator)
    response = post(client, contribution.id, "publier", seen)
    assert response.status_code == 409 and "jamais lu" in text(response)
    assert reload(session, contribution.id).status == ContributionStatus.PENDING
    assert post(client, contribution.id, "publier", seen + 1).status_code == 303
    assert reload(session, contribution.id).status == ContributionStatus.PUBLISHED


def test_publish_never_overrides_a_withdrawal(client, session, moderator, make_consultation, make_user, sign_in):
    author = make_user()
    contribution = add_contribution(session, make_consultation(moderation="pre"), author, status="pending")
    seen = contribution.version
    sign_in(author)
    assert client.post(f"/contributions/{contribution.id}/retrait").status_code == 303
    sign_in(moderator)
    for version in (seen, reload(session, contribution.id).version):
        response = post(client, contribution.id, "publier", version)
        assert response.status_code == 409
    assert "retirée par son auteur" in text(response)
    assert reload(session, contribution.id).status == ContributionStatus.WITHDRAWN
    assert actions(session) == []


def test_the_version_is_checked_in_the_update_itself(app, session, make_user, pending):
    """Two decisions racing past the version check: the database refuses the second one."""
    moderator = make_user(role=Role.MODERATOR)
    engine = app.extensions["consult.engine"]
    with Session(engine, expire_on_commit=False) as late:
        stale = late.get(Contribution, pending.id)  # loaded at version 1, as the other decision commits
        late.commit()
        with Session(engine) as other:
            services.publish_contribution(
                session=other,
                moderator=other.get(User, moderator.id),
                contribution=other.get(Contribution, pending.id),
                seen_version=stale.version,
            )
            other.commit()
        with pytest.raises(services.StaleItem):
            services.hide_contribution(
                session=late, moderator=late.get(User, moderator.id), contribution=stale, seen_version=stale.version
            )
        late.rollback()
    assert reload(session, pending.id).status == ContributionStatus.PUBLISHED
    assert actions(session) == ["publish"]


def test_flags_hiding_an_item_make_the_moderators_view_stale(client, session, moderator, contribution, make_user):
    seen = contribution.version
    for _ in range(3):
        flag_contribution(
            session=session, contribution=contribution, user=make_user(), reason="spam", details="", hide_threshold=3
        )
    session.commit()
    assert reload(session, contribution.id).version == seen + 1
    assert post(client, contribution.id, "masquer", seen).status_code == 409


# --- Duplicate merge -----------------------------------------------------------------------------------------


def test_merge_moves_votes_unless_the_voter_voted_there_and_counts_are_exact(
    client, session, moderator, make_consultation, make_user, sign_in
):
    consultation = make_consultation()
    author = make_user()
    kept = add_contribution(session, consultation, make_user(), title="La contribution gardée")
    duplicate = add_contribution(session, consultation, author, title="Le doublon à fusionner")
    voters = [make_user() for _ in range(4)]
    for user, contribution, value in [
        (voters[0], kept, 1),
        (voters[1], kept, -1),
        (voters[0], duplicate, -1),  # already voted on the kept one: this vote stays on the duplicate
        (voters[2], duplicate, 1),
        (voters[3], duplicate, 0),
    ]:
        cast_vote(session=session, contribution=contribution, user=user, value=value)
        session.commit()
    seen = reload(session, duplicate.id).version
    for bad in ("", str(duplicate.id), "abc", "99999999"):
        assert post(client, duplicate.id, "fusionner", seen, kept=bad).status_code == 422, bad
    elsewhere = add_contribution(session, make_consultation(), make_user())
    assert post(client, duplicate.id, "fusionner", seen, kept=elsewhere.id).status_code == 422

    response = post(client, duplicate.id, "fusionner", seen, kept=f"#{kept.id}")
    assert response.status_code == 303
    kept, duplicate = reload(session, kept.id), session.get(Contribution, duplicate.id)
    assert (duplicate.status, duplicate.duplicate_of_id) == (ContributionStatus.DUPLICATE, kept.id)
    assert (kept.agree_count, kept.disagree_count, kept.pass_count, kept.vote_count) == (2, 1, 1, 4)
    assert (duplicate.agree_count, duplicate.disagree_count, duplicate.pass_count, duplicate.vote_count) == (0, 1, 0, 1)
    for contribution in (kept, duplicate):
        rows = session.exec(select(func.count()).where(Vote.contribution_id == contribution.id)).one()
        assert rows == contribution.vote_count
    # (2 + 1) / (2 + 1 + 2) * (1 - 1 / 5) and min/max * (agree + disagree) = 1 / 2 * 3
    assert (kept.consensus_score, kept.divisive_score) == (pytest.approx(0.48), pytest.approx(1.5))
    event = session.exec(select(ModerationEvent)).one()
    assert json.loads(event.after) == {
        "status": "duplicate",
        "duplicate_of": kept.id,
        "votes_moved": 2,
        "votes_left": 1,
    }
    # The author is told, and the duplicate points to the kept one.
    sign_in(author)
    page = text(client.get(f"/contributions/{duplicate.id}"))
    assert "fusionnée avec une contribution semblable" in page and "La contribution gardée" in page
    # It is gone from the public list and cannot be merged twice.
    sign_in(moderator)
    assert post(client, duplicate.id, "fusionner", duplicate.version, kept=kept.id).status_code == 409


def test_merge_into_an_unpublished_contribution_is_refused(client, session, moderator, make_consultation, make_user):
    consultation = make_consultation()
    kept = add_contribution(session, consultation, make_user(), status="pending")
    duplicate = add_contribution(session, consultation, make_user())
    response = post(client, duplicate.id, "fusionner", duplicate.version, kept=kept.id)
    assert response.status_code == 422 and "doit être publiée" in text(response)


# --- Redaction and purge -------------------------------------------------------------------------------------


@pytest.fixture
def with_phone(session, make_consultation, make_user):
    return add_contribution(
        session,
        make_consultation(),
        make_user(),
        title="Mon père à l'hôpital de Nantes",
        body=f"Le dossier était incomplet. Appelez-moi au {PHONE} pour monter un collectif de patients.",
    )


def test_redact_a_span_keeps_the_original_for_moderators_only(client, session, moderator, with_phone, runner):
    panel = text(client.get(f"/moderation/contributions/{with_phone.id}"))
    assert f'<mark class="consult-pd" title="numéro de téléphone">{PHONE}</mark>' in panel
    key = next(k for k, f, s in services.redaction_candidates(with_phone) if s.kind == "phone")
    seen = with_phone.version
    assert post(client, with_phone.id, "masquer-donnees", seen).status_code == 422
    assert post(client, with_phone.id, "masquer-donnees", seen, spans="body:99").status_code == 422
    assert post(client, with_phone.id, "masquer-donnees", seen, passage="absent du texte").status_code == 422
    response = post(client, with_phone.id, "masquer-donnees", seen, spans=key, passage="Nantes")
    assert response.status_code == 303
    redacted = reload(session, with_phone.id)
    assert PHONE not in redacted.body and "[téléphone]" in redacted.body
    assert redacted.title == "Mon père à l'hôpital de [masqué]"
    original = session.exec(select(RedactedOriginal)).one()
    assert PHONE in original.body and "Nantes" in original.title
    event = session.exec(select(ModerationEvent)).one()
    assert PHONE not in event.before + event.after + event.reason and "Nantes" not in event.after
    assert json.loads(event.after) == {"masked": 2, "kinds": ["body:phone", "title:manual"]}
    journal = re.sub(r"<[^>]+>", "", text(client.get(f"/moderation/contributions/{with_phone.id}/journal")))
    # in words, not the stored "body:phone, title:manual"
    assert "numéro de téléphone (texte), passage choisi par la modération (titre)" in journal
    public = text(client.get(f"/contributions/{with_phone.id}"))
    assert PHONE not in public
    assert PHONE in text(client.get(f"/moderation/contributions/{with_phone.id}"))  # moderators still see it

    # `consult purge --dry-run` counts without erasing; after the retention period the original goes.
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0 and "originaux des textes masqués par la modération : 0 à traiter" in result.output
    session.exec(update(RedactedOriginal).values(purge_after=utcnow()))
    session.commit()
    result = runner.invoke(args=["purge", "--dry-run"])
    assert "modération : 1 à traiter" in result.output
    assert session.exec(select(func.count()).select_from(RedactedOriginal)).one() == 1
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "modération : 1 traité(s)" in result.output
    session.expire_all()
    assert session.exec(select(func.count()).select_from(RedactedOriginal)).one() == 0
    assert actions(session) == ["redact", "purge"]
    assert PHONE not in text(client.get(f"/moderation/contributions/{with_phone.id}"))


def test_redact_all(client, session, moderator, with_phone):
    assert post(client, with_phone.id, "masquer-donnees", with_phone.version, spans="all").status_code == 303
    assert PHONE not in reload(session, with_phone.id).body


def test_a_purge_name_is_registered_once():
    assert "originaux des textes masqués par la modération" in PURGES
    with pytest.raises(ValueError):
        register_purge("originaux des textes masqués par la modération", lambda **_: 0)


def test_redaction_refreshes_the_automatic_personal_data_label(client, session, moderator, with_phone):
    from consult.models import AutomaticLabel

    spans = [{"field": "body", "start": 0, "end": 3, "type": "phone", "sensitive": False}]
    session.add(AutomaticLabel(contribution_id=with_phone.id, personal_data=spans, has_personal_data=True))
    session.commit()
    assert post(client, with_phone.id, "masquer-donnees", with_phone.version, spans="all").status_code == 303
    session.expire_all()
    label = session.get(AutomaticLabel, with_phone.id)
    assert label.has_personal_data is False and label.personal_data == []
