"""Moderation workspace: permissions, each decision with its audit event, flags, comments, bulk, journal."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from consult.comments import services as comments
from consult.flags.services import flag_comment, flag_contribution
from consult.models import (
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    Flag,
    LabelSource,
    ModerationEvent,
    Role,
)
from tests.consult.contribution_factories import add_contribution

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def table_text(page: str) -> str:
    """The text of a page's table body, tags removed."""
    return re.sub(r"<[^>]+>", "", page[page.find("<tbody") : page.find("</tbody>")])


def reload(session, model, item_id):
    session.expire_all()
    return session.get(model, item_id)


def events(session, **where) -> list[ModerationEvent]:
    session.expire_all()
    statement = select(ModerationEvent).order_by(ModerationEvent.id)
    for name, value in where.items():
        statement = statement.where(getattr(ModerationEvent, name) == value)
    return list(session.exec(statement))


@pytest.fixture
def moderator(make_user, sign_in):
    return sign_in(make_user(role=Role.MODERATOR, pseudonym="Modé Rateur"))


@pytest.fixture
def pending(session, make_consultation, make_user):
    return add_contribution(session, make_consultation(moderation="pre"), make_user(), status="pending")


def act(client, contribution, action, headers=None, **data):
    data.setdefault("version", contribution.version)
    return client.post(f"/moderation/contributions/{contribution.id}/{action}", data=data, headers=headers or {})


# --- Permissions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.ANALYST])
def test_citizens_and_analysts_get_403_everywhere(client, session, make_user, sign_in, pending, role):
    sign_in(make_user(role=role))
    comment_id = 1
    for path in (
        "/moderation/",
        f"/moderation/contributions/{pending.id}",
        f"/moderation/contributions/{pending.id}/journal",
        f"/moderation/commentaires/{comment_id}",
        "/moderation/journal",
        "/moderation/journal.csv",
    ):
        assert client.get(path).status_code == 403, path
    for action in ("publier", "refuser", "fusionner", "masquer", "masquer-donnees", "etiquettes", "titre"):
        assert act(client, pending, action).status_code == 403, action
    assert client.post("/moderation/lot", data={"action": "publish"}).status_code == 403
    assert client.post(f"/moderation/commentaires/{comment_id}/publier", data={"version": 1}).status_code == 403
    assert reload(session, Contribution, pending.id).status == ContributionStatus.PENDING
    assert events(session) == []


def test_anonymous_visitors_are_sent_to_login(client, pending):
    response = client.get("/moderation/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert act(client, pending, "publier").status_code == 302


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_moderators_and_admins_see_the_workspace(client, make_user, sign_in, pending, role):
    sign_in(make_user(role=role))
    page = text(client.get("/moderation/"))
    assert "Espace de modération" in page and pending.title in page
    assert "Raccourcis clavier" in page and "<kbd>j</kbd>" in page


def test_unknown_items_and_actions(client, moderator, pending):
    assert client.get("/moderation/contributions/999999").status_code == 404
    assert client.get("/moderation/commentaires/999999").status_code == 404
    assert act(client, pending, "supprimer").status_code == 404
    assert act(client, pending, "publier", version="abc").status_code == 400
    assert client.post(f"/moderation/contributions/{pending.id}/publier", data={}).status_code == 400


# --- Decisions, each with its event --------------------------------------------------------------------------


def test_rejection_details_are_screened_and_length_limited_keeping_the_moderators_text(
    client, session, moderator, pending
):
    health = "Madame Jeanne Durand, votre voisine, est sous dialyse : appelez-la au 06 12 34 56 78."
    response = act(client, pending, "refuser", reason="autre", details=health)
    assert response.status_code == 422
    assert "données personnelles" in text(response) and "reformulez" in text(response)
    assert "06 12 34 56 78" in unescape(text(response))  # kept in the form for the moderator to rewrite
    too_long = "Votre texte reprend une publicité. " * 40  # 1,400 characters
    response = act(client, pending, "refuser", reason="autre", details=too_long)
    assert response.status_code == 422
    assert f"Le texte fait {len(too_long.strip())} caractères : 1000 au plus." in unescape(text(response))
    assert too_long.strip() in unescape(text(response))
    assert events(session) == [] and reload(session, Contribution, pending.id).status == "pending"
    assert reload(session, Contribution, pending.id).rejection_reason is None
    response = act(client, pending, "refuser", reason="autre", details="x" * 1000)
    assert response.status_code == 303 and reload(session, Contribution, pending.id).status == "rejected"


def test_publish_pending(client, session, moderator, pending):
    seen = pending.version
    response = act(client, pending, "publier")
    assert response.status_code == 303
    contribution = reload(session, Contribution, pending.id)
    assert contribution.status == ContributionStatus.PUBLISHED and contribution.published_at is not None
    assert contribution.version == seen + 1
    (event,) = events(session)
    assert (event.action, event.moderator_id, event.contribution_id) == ("publish", moderator.id, pending.id)
    assert json.loads(event.before) == {"status": "pending"} and json.loads(event.after) == {"status": "published"}


def test_publish_with_htmx_answers_the_panel_and_reloads_the_queue(client, session, moderator, pending):
    response = act(client, pending, "publier", headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "queue-changed"
    assert "La contribution est publiée." in text(response) and "<html" not in text(response)


def test_reject_needs_a_listed_reason_and_shows_it_to_the_author(client, session, moderator, pending, sign_in):
    response = act(client, pending, "refuser", reason="", details="Texte gardé")
    assert response.status_code == 422 and "Choisissez le motif du refus" in text(response)
    assert "Texte gardé" in text(response)
    assert act(client, pending, "refuser", reason="inconnu").status_code == 422
    response = act(client, pending, "refuser", reason="autre", details="")
    assert response.status_code == 422 and "Précisez le motif" in text(response)
    response = act(client, pending, "refuser", reason="autre", details="Appelez le 06 12 34 56 78")
    assert response.status_code == 422 and "données personnelles" in text(response)
    assert events(session) == [] and reload(session, Contribution, pending.id).status == "pending"

    response = act(client, pending, "refuser", reason="hors_sujet", details="La consultation porte sur l'éthique.")
    assert response.status_code == 303
    contribution = reload(session, Contribution, pending.id)
    assert contribution.status == ContributionStatus.REJECTED
    assert contribution.rejection_reason.startswith("Votre contribution ne porte pas sur la question posée")
    assert contribution.rejection_reason.endswith("La consultation porte sur l'éthique.")
    (event,) = events(session)
    assert event.action == "reject" and json.loads(event.after)["reason"] == "hors_sujet"
    assert event.reason == contribution.rejection_reason
    author = session.get(type(moderator), pending.author_id)
    sign_in(author)
    assert "La consultation porte sur l" in text(client.get(f"/contributions/{pending.id}"))


def test_hide_and_restore(client, session, moderator, contribution):
    assert act(client, contribution, "masquer").status_code == 303
    hidden = reload(session, Contribution, contribution.id)
    assert hidden.status == ContributionStatus.HIDDEN
    assert act(client, hidden, "masquer").status_code == 409
    assert act(client, hidden, "publier").status_code == 303
    assert reload(session, Contribution, contribution.id).status == ContributionStatus.PUBLISHED
    assert [e.action for e in events(session)] == ["hide", "restore"]


def test_edit_title_is_visible_to_the_author(client, session, moderator, pending, sign_in):
    original = pending.title
    assert act(client, pending, "titre", title="court").status_code == 422
    assert act(client, pending, "titre", title=pending.title).status_code == 422
    response = act(client, pending, "titre", title="Un titre reformulé pour être plus clair")
    assert response.status_code == 303
    assert reload(session, Contribution, pending.id).title == "Un titre reformulé pour être plus clair"
    (event,) = events(session)
    assert json.loads(event.before) == {"title": original}
    sign_in(session.get(type(moderator), pending.author_id))
    page = text(client.get(f"/contributions/{pending.id}"))
    assert "titre reformulé pour plus de clarté" in page and original in page


def test_correct_labels_are_stored_as_moderator_labels(client, session, moderator, make_consultation, make_user):
    contribution = add_contribution(
        session, make_consultation(), make_user(), theme_id="T01", principles=["P01", "P02"]
    )
    assert act(client, contribution, "etiquettes", theme="T99").status_code == 422
    assert act(client, contribution, "etiquettes", theme="T02", principles=["P99"]).status_code == 422
    response = act(client, contribution, "etiquettes", theme="T02", principles=["P03"])
    assert response.status_code == 303
    corrected = reload(session, Contribution, contribution.id)
    assert corrected.theme_id == "T02" and corrected.theme_source == LabelSource.MODERATOR
    rows = session.exec(select(ContributionPrinciple).where(ContributionPrinciple.contribution_id == contribution.id))
    assert sorted((r.principle_id, r.source) for r in rows) == [
        ("P01", "author"),
        ("P02", "author"),
        ("P03", "moderator"),
    ]
    (event,) = events(session)
    assert json.loads(event.before) == {"theme": "T01", "principles": []}
    assert json.loads(event.after) == {"theme": "T02", "principles": ["P03"]}
    # The public page shows the moderator's correction, not the author's labels it replaced.
    page = text(client.get(f"/contributions/{contribution.id}"))
    assert "Principe 3" in page and "Principe 1 :" not in page


def test_withdrawn_or_merged_contribution_takes_no_decision(client, session, moderator, make_consultation, make_user):
    consultation = make_consultation()
    withdrawn = add_contribution(session, consultation, make_user(), status="withdrawn")
    for action, data in (
        ("publier", {}),
        ("masquer", {}),
        ("refuser", {"reason": "hors_sujet"}),
        ("titre", {"title": "Un autre titre bien long"}),
    ):
        response = act(client, withdrawn, action, **data)
        assert response.status_code == 409 and "retirée par son auteur" in text(response), action
    assert events(session) == []


# --- Flags ---------------------------------------------------------------------------------------------------


def test_any_decision_resolves_the_flags_and_a_republished_item_needs_new_flags(
    client, session, moderator, contribution, make_user
):
    for _ in range(3):
        flag_contribution(
            session=session, contribution=contribution, user=make_user(), reason="spam", details="", hide_threshold=3
        )
    session.commit()
    hidden = reload(session, Contribution, contribution.id)
    assert hidden.status == ContributionStatus.HIDDEN
    assert "3 signalements" in text(client.get(f"/moderation/contributions/{contribution.id}"))
    assert act(client, hidden, "publier").status_code == 303
    assert all(flag.resolved_at is not None for flag in session.exec(select(Flag)))
    # One more flag no longer hides it: the reviewed flags do not count.
    flag_contribution(
        session=session,
        contribution=reload(session, Contribution, contribution.id),
        user=make_user(),
        reason="spam",
        details="",
        hide_threshold=3,
    )
    session.commit()
    assert reload(session, Contribution, contribution.id).status == ContributionStatus.PUBLISHED


def test_publishing_a_published_flagged_item_dismisses_its_flags(client, session, moderator, contribution, make_user):
    flag_contribution(
        session=session, contribution=contribution, user=make_user(), reason="hors_sujet", details="", hide_threshold=3
    )
    session.commit()
    response = act(client, reload(session, Contribution, contribution.id), "publier")
    assert response.status_code == 303
    assert [e.action for e in events(session)] == ["dismiss_flags"]
    assert act(client, reload(session, Contribution, contribution.id), "publier").status_code == 409


# --- Comments ------------------------------------------------------------------------------------------------


@pytest.fixture
def flagged_comment(session, contribution, make_user):
    comment = comments.create_comment(session=session, contribution=contribution, author=make_user(), body="Douteux")
    flag_comment(session=session, comment=comment, user=make_user(), reason="spam", details="Pub", hide_threshold=3)
    session.commit()
    return comment


def test_comment_triage(client, session, moderator, flagged_comment, contribution):
    page = text(client.get("/moderation/?state=comments"))
    assert "Douteux" in page and "1 signalement" in page
    panel = text(client.get(f"/moderation/commentaires/{flagged_comment.id}"))
    assert "Spam ou publicité" in panel and "Pub" in panel
    path = f"/moderation/commentaires/{flagged_comment.id}"
    assert client.post(f"{path}/supprimer", data={"version": 1}).status_code == 404
    assert client.post(f"{path}/masquer", data={}).status_code == 400
    seen = flagged_comment.version
    response = client.post(f"{path}/masquer", data={"version": seen}, headers=HTMX)
    assert response.status_code == 200 and "Le commentaire est masqué." in text(response)
    comment = reload(session, Comment, flagged_comment.id)
    assert comment.status == CommentStatus.HIDDEN and comment.version == seen + 1
    assert reload(session, Contribution, contribution.id).comment_count == 0
    assert all(flag.resolved_at for flag in session.exec(select(Flag)))
    (event,) = events(session)
    assert (event.action, event.comment_id, event.contribution_id) == ("hide", comment.id, contribution.id)
    # A decision made on the version shown before is refused, the fresh state shown.
    response = client.post(f"{path}/publier", data={"version": seen})
    assert response.status_code == 409 and "a changé depuis que vous l" in text(response)
    assert client.post(f"{path}/publier", data={"version": comment.version}).status_code == 303
    assert reload(session, Comment, comment.id).status == CommentStatus.PUBLISHED


def test_deleted_comment_cannot_be_moderated(client, session, moderator, flagged_comment):
    comments.delete_comment(session=session, comment=flagged_comment)
    session.commit()
    comment = reload(session, Comment, flagged_comment.id)
    response = client.post(f"/moderation/commentaires/{comment.id}/publier", data={"version": comment.version})
    assert response.status_code == 409 and "supprimé par son auteur" in text(response)


# --- Queue ---------------------------------------------------------------------------------------------------


def test_queue_lists_pending_first_then_flagged_then_comments(
    client, session, moderator, make_consultation, make_user, flagged_comment
):
    consultation = make_consultation()
    flagged = add_contribution(session, consultation, make_user(), title="Contribution signalée ici")
    flag_contribution(
        session=session, contribution=flagged, user=make_user(), reason="spam", details="", hide_threshold=3
    )
    older = add_contribution(session, consultation, make_user(), status="pending", title="En attente ancienne")
    add_contribution(session, consultation, make_user(), title="Publiée sans souci")
    session.commit()
    page = text(client.get("/moderation/"))
    assert page.index("En attente ancienne") < page.index("Contribution signalée ici") < page.index("Douteux")
    assert "Publiée sans souci" not in page
    assert "À traiter (3)" in page and "En attente (1)" in page and "Signalées (1)" in page
    assert "Commentaires (1)" in page
    published = text(client.get("/moderation/?state=published"))
    assert "Publiée sans souci" in published and "En attente ancienne" not in published
    fragment = text(client.get(f"/moderation/?fragment=queue&consultation={consultation.id}", headers=HTMX))
    assert "<html" not in fragment and 'id="queue"' in fragment and "En attente ancienne" in fragment
    assert older.title in text(client.get("/moderation/?state=bogus&sort=bogus&page=abc&consultation=x"))


def test_queue_filters_by_theme_and_principle(client, session, moderator, make_consultation, make_user):
    consultation = make_consultation()
    add_contribution(session, consultation, make_user(), status="pending", title="Sur le thème un", theme_id="T01")
    add_contribution(
        session, consultation, make_user(), status="pending", title="Sur le principe trois", principles=["P03"]
    )
    by_theme = text(client.get("/moderation/?theme=T01"))
    assert "Sur le thème un" in by_theme and "Sur le principe trois" not in by_theme
    by_principle = text(client.get("/moderation/?principle=P03"))
    assert "Sur le principe trois" in by_principle and "Sur le thème un" not in by_principle
    flagged_only = text(client.get("/moderation/?flagged=1"))
    assert "Sur le thème un" not in flagged_only


# --- Bulk ----------------------------------------------------------------------------------------------------


def test_bulk_publish_and_reject(client, session, moderator, make_consultation, make_user):
    consultation = make_consultation(moderation="pre")
    items = [add_contribution(session, consultation, make_user(), status="pending") for _ in range(3)]
    keys = [f"contribution:{c.id}:{c.version}" for c in items]
    response = client.post("/moderation/lot", data={"action": "publish", "items": keys[:2]})
    assert response.status_code == 303
    assert [reload(session, Contribution, c.id).status for c in items] == ["published", "published", "pending"]
    assert [e.action for e in events(session)] == ["publish", "publish"]
    response = client.post("/moderation/lot", data={"action": "reject", "items": keys[2:]}, headers=HTMX)
    assert response.status_code == 200 and "Choisissez le motif du refus" in text(response)
    response = client.post("/moderation/lot", data={"action": "reject", "reason": "commercial", "items": keys[2:]})
    assert reload(session, Contribution, items[2].id).status == "rejected"
    assert client.post("/moderation/lot", data={"action": "publish", "items": ["contribution:x:1"]}).status_code == 400
    assert "Sélectionnez au moins" in text(
        client.post("/moderation/lot", data={"action": "hide"}, follow_redirects=True)
    )


def test_bulk_is_all_or_nothing_when_an_item_changed(client, session, moderator, make_consultation, make_user):
    consultation = make_consultation(moderation="pre")
    first, second = (add_contribution(session, consultation, make_user(), status="pending") for _ in range(2))
    keys = [f"contribution:{first.id}:{first.version}", f"contribution:{second.id}:{second.version}"]
    second.body = "Le texte a changé entre-temps, modifié par son auteur."
    session.add(second)
    session.commit()
    response = client.post("/moderation/lot", data={"action": "publish", "items": keys}, follow_redirects=True)
    assert "Rien n&#39;a été enregistré" in text(response) or "Rien n'a été enregistré" in text(response)
    assert f"n° {second.id}" in text(response)
    assert [reload(session, Contribution, c.id).status for c in (first, second)] == ["pending", "pending"]
    assert events(session) == []


def test_bulk_hides_comments_but_does_not_reject_them(client, session, moderator, flagged_comment):
    key = f"comment:{flagged_comment.id}:{flagged_comment.version}"
    client.post("/moderation/lot", data={"action": "reject", "reason": "charte", "items": [key]})
    assert reload(session, Comment, flagged_comment.id).status == CommentStatus.PUBLISHED
    client.post("/moderation/lot", data={"action": "hide", "items": [key]})
    assert reload(session, Comment, flagged_comment.id).status == CommentStatus.HIDDEN


# --- Audit ---------------------------------------------------------------------------------------------------


def test_events_are_immutable_in_the_database(client, session, moderator, pending):
    act(client, pending, "publier")
    (event,) = events(session)
    event.reason = "réécrit"
    session.add(event)
    with pytest.raises(DatabaseError):
        session.commit()
    session.rollback()
    session.delete(session.get(ModerationEvent, event.id))
    with pytest.raises(DatabaseError):
        session.commit()
    session.rollback()
    assert len(events(session)) == 1


def test_contribution_journal_and_global_journal_with_filters_and_csv(
    client, session, moderator, pending, make_user, contribution
):
    act(client, pending, "publier")
    act(client, contribution, "masquer")
    page = text(client.get(f"/moderation/contributions/{pending.id}/journal"))
    # Field and statuses in words, not the internal names ("status : pending → published")
    rows = table_text(page)
    assert "Publication" in rows and "Modé Rateur" in rows and "Statut : En attente de modération → Publiée" in rows
    assert "pending" not in rows and "published" not in rows
    journal = table_text(text(client.get("/moderation/journal")))
    assert "Publication" in journal and "Masquage" in journal and "Statut : Publiée → Masquée" in journal
    only_hide = table_text(text(client.get("/moderation/journal?action=hide")))
    assert "Masquage" in only_hide and "En attente de modération → Publiée" not in only_hide
    assert "Aucun événement" in text(client.get("/moderation/journal?since=2100-01-01&until=bad&moderator=x"))
    client.get("/langue/en")
    english = table_text(text(client.get(f"/moderation/contributions/{pending.id}/journal")))
    assert "Status : Awaiting moderation → Published" in english
    client.get("/langue/fr")
    consultation = session.get(Consultation, pending.consultation_id)
    rejected = add_contribution(session, consultation, make_user(), status="pending")
    act(client, rejected, "refuser", reason="hors_sujet")
    rows = table_text(text(client.get(f"/moderation/contributions/{rejected.id}/journal")))
    assert "Motif : — → Hors sujet" in rows and "hors_sujet" not in rows
    response = client.get(f"/moderation/journal.csv?contribution={pending.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert [(r["action"], r["moderator"], r["contribution_id"]) for r in rows] == [
        ("publish", "Modé Rateur", str(pending.id))
    ]


def test_csv_export_neutralises_formulas(client, session, moderator, pending):
    from consult.models import ModerationAction
    from consult.moderation.audit import record_event

    record_event(
        session=session, moderator=moderator, action=ModerationAction.REJECT, contribution=pending, reason="=1+1"
    )
    session.commit()
    rows = list(csv.DictReader(io.StringIO(text(client.get("/moderation/journal.csv")).lstrip("\ufeff"))))
    assert rows[0]["reason"] == "'=1+1"


# --- Automatic labels (written by consult.analysis) ----------------------------------------------------------


def test_automatic_labels_in_the_panel_and_the_queue_filters(client, session, moderator, make_consultation, make_user):
    from consult.models import AutomaticLabel

    consultation = make_consultation()
    kept = add_contribution(session, consultation, make_user(), title="Celle qui existait déjà")
    sure = add_contribution(session, consultation, make_user(), status="pending", title="Lecture sûre")
    doubtful = add_contribution(session, consultation, make_user(), status="pending", title="Lecture douteuse")
    session.add(
        AutomaticLabel(
            contribution_id=doubtful.id,
            theme_id="T02",
            theme_score=0.42,
            theme_words=["dossier", "médical"],
            confidence=0.21,
            duplicate_candidates=[{"id": kept.id, "score": 0.91}],
            has_duplicates=True,
            personal_data=[{"field": "body", "start": 0, "end": 4, "type": "phone", "sensitive": False}],
            has_personal_data=True,
        )
    )
    session.add(AutomaticLabel(contribution_id=sure.id, confidence=0.9))
    session.add(
        ContributionPrinciple(
            contribution_id=doubtful.id, principle_id="P06", source=LabelSource.NLP, score=0.37, words=["accès"]
        )
    )
    session.commit()
    panel = text(client.get(f"/moderation/contributions/{doubtful.id}"))
    assert "Lecture automatique" in panel and "confiance 0.21" in panel
    assert "score 0.42" in panel and "mots : dossier, médical" in panel
    assert "Principe 6" in panel and "score 0.37" in panel and "mots : accès" in panel
    assert "Celle qui existait déjà" in panel and "Similarité 0.91" in panel
    for query in ("personal_data=1", "duplicates=1", "confidence=faible", "confidence=moyenne"):
        page = text(client.get(f"/moderation/?{query}"))
        assert "Lecture douteuse" in page and "Lecture sûre" not in page, query
    assert "Lecture sûre" in text(client.get("/moderation/?confidence=bogus"))
