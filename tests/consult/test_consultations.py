"""Consultation pages: groups by status, context, question, phases, live counts, call to action, read-only closed."""

from datetime import timedelta

import pytest

from consult.consultations.services import count_participation, ensure_open
from consult.errors import Conflict
from consult.models import Comment, ConsultationPhase, utcnow
from tests.consult.contribution_factories import add_contribution, add_vote


def _closed(make_consultation, **fields):
    now = utcnow()
    return make_consultation(opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1), **fields)


def test_list_groups_open_upcoming_closed(client, make_consultation):
    now = utcnow()
    make_consultation(title="Ouverte maintenant")
    make_consultation(title="Bientôt", opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=30))
    _closed(make_consultation, title="Finie")
    html = client.get("/consultations/").get_data(as_text=True)
    assert html.index("Consultations ouvertes") < html.index("Ouverte maintenant") < html.index("Consultations à venir")
    assert html.index("Bientôt") < html.index("Consultations terminées") < html.index("Finie")


def test_open_consultation_page(client, session, make_consultation, make_user):
    consultation = make_consultation(
        title="Éthique et santé",
        question="Que doit garantir le numérique ?",
        description="## Contexte\n\nUn **texte** <b>brut</b>.",
    )
    now = utcnow()
    session.add(
        ConsultationPhase(
            consultation_id=consultation.id,
            position=0,
            title="Contributions",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=10),
        )
    )
    session.add(
        ConsultationPhase(
            consultation_id=consultation.id,
            position=1,
            title="Synthèse publique",
            description="Rapport de la DNS",
            starts_at=now + timedelta(days=10),
            ends_at=now + timedelta(days=40),
        )
    )
    session.commit()
    latest = add_contribution(session, consultation, make_user(), title="La plus récente des propositions")
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "Que doit garantir le numérique ?" in html
    assert "<h2>Contexte</h2>" in html and "<strong>texte</strong>" in html and "<b>brut</b>" not in html
    assert html.index("Contributions</strong>") < html.index("Synthèse publique") and "Rapport de la DNS" in html
    assert f'href="/consultations/{consultation.slug}/contribuer"' in html  # call to action
    assert "La plus récente des propositions" in html and f'id="contribution-{latest.id}"' in html
    assert "Ouverte" in html


def test_closed_consultation_page_is_read_only(client, make_consultation):
    consultation = _closed(make_consultation)
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "Consultation terminée" in html and "plus en proposer" in html
    assert "/contribuer" not in html
    assert f'href="/consultations/{consultation.slug}/contributions"' in html


def test_upcoming_consultation_page(client, make_consultation):
    now = utcnow()
    consultation = make_consultation(opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=9))
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "Consultation à venir" in html and "/contribuer" not in html


def test_moderation_mode_is_shown(client, make_consultation):
    pre = make_consultation(moderation="pre")
    assert "relues avant publication" in client.get(f"/consultations/{pre.slug}").get_data(as_text=True)
    post = make_consultation()
    assert "publiées directement" in client.get(f"/consultations/{post.slug}").get_data(as_text=True)


def test_counts(app, client, session, make_consultation, make_user):
    app.config["COUNTS_CACHE_SECONDS"] = 0
    consultation, other = make_consultation(), make_consultation()
    alice, bob, carol, dan = (make_user() for _ in range(4))
    first = add_contribution(session, consultation, alice, vote_count=2)
    add_contribution(session, consultation, alice, status="pending")  # counted as participant, not as contribution
    add_vote(session, first, bob, 1)
    add_vote(session, first, alice, -1)
    session.add(Comment(contribution_id=first.id, author_id=carol.id, body="Bonne idée"))
    session.commit()
    add_contribution(session, other, dan)  # another consultation
    counts = count_participation(session=session, consultation=consultation)
    assert (counts.contributions, counts.participants, counts.votes) == (1, 3, 2)
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert '<span class="fr-h4">3</span> participants' in html and '<span class="fr-h4">2</span> votes' in html


def test_counts_are_cached_briefly(app, client, session, make_consultation, make_user):
    app.config["COUNTS_CACHE_SECONDS"] = 60
    consultation = make_consultation()
    client.get(f"/consultations/{consultation.slug}")
    add_contribution(session, consultation, make_user())
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert '<span class="fr-h4">0</span> contributions' in html or '<span class="fr-h4">0</span> contribution' in html
    app.config["COUNTS_CACHE_SECONDS"] = 0
    assert '<span class="fr-h4">1</span> contribution' in client.get(f"/consultations/{consultation.slug}").get_data(
        as_text=True
    )


def test_ensure_open(make_consultation):
    ensure_open(make_consultation())
    with pytest.raises(Conflict, match="est close"):
        ensure_open(_closed(make_consultation))
