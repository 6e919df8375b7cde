"""Similar contributions while writing: the right ones, published only, refreshed as contributions change."""

import pytest

from consult.analysis.services import similar_contributions, similar_indexes
from consult.models import ContributionStatus


@pytest.fixture(autouse=True)
def fresh_cache():
    similar_indexes.clear()
    yield
    similar_indexes.clear()


@pytest.fixture
def corpus(make_consultation, make_contribution):
    consultation = make_consultation()
    texts = [
        (
            "Interdire la revente des données de santé",
            "Les données de santé des patients ne doivent jamais être vendues à des entreprises privées.",
        ),
        (
            "Garder un accueil humain à l'hôpital",
            "Il faut toujours pouvoir parler à une personne au guichet, pas seulement à une borne.",
        ),
        (
            "Réduire la consommation des serveurs",
            "Les centres de données de santé consomment beaucoup d'électricité, il faut les rendre sobres.",
        ),
        (
            "Former les seniors au numérique",
            "Des ateliers gratuits pour apprendre à utiliser Mon espace santé dans chaque mairie.",
        ),
    ]
    made = [make_contribution(consultation=consultation, title=t, body=b) for t, b in texts]
    return consultation, made


def test_similar_finds_the_close_contribution(session, corpus):
    consultation, made = corpus
    hits = similar_contributions(
        session=session,
        consultation_id=consultation.id,
        text="On ne doit pas vendre les données de santé des patients aux entreprises",
    )
    assert hits and hits[0][0].id == made[0].id
    assert 0 < hits[0][1] <= 1


def test_similar_ignores_short_text_and_unrelated(session, corpus):
    consultation, _ = corpus
    assert similar_contributions(session=session, consultation_id=consultation.id, text="bonjour") == []
    assert (
        similar_contributions(
            session=session,
            consultation_id=consultation.id,
            text="Quelle belle journée ensoleillée pour une promenade en forêt",
        )
        == []
    )


def test_index_follows_new_and_withdrawn_contributions(session, corpus, make_contribution):
    consultation, made = corpus
    query = "Installer des bornes de recharge pour vélos électriques devant les pharmacies"
    assert similar_contributions(session=session, consultation_id=consultation.id, text=query) == []
    new = make_contribution(
        consultation=consultation,
        title="Des bornes de recharge vélo",
        body="Installer des bornes de recharge pour vélos électriques devant chaque pharmacie.",
    )
    assert similar_contributions(session=session, consultation_id=consultation.id, text=query)[0][0].id == new.id
    from consult.models import utcnow

    new.status = ContributionStatus.WITHDRAWN
    new.updated_at = utcnow()
    session.add(new)
    session.commit()
    assert similar_contributions(session=session, consultation_id=consultation.id, text=query) == []


def test_similar_route_full_page_and_htmx_partial(client, corpus):
    consultation, made = corpus
    params = {
        "title": "Vente des données",
        "body": "Je refuse que mes données de santé soient vendues à des entreprises",
    }
    page = client.post(f"/consultations/{consultation.slug}/similaires", data=params)
    assert page.status_code == 200
    assert "<html" in page.get_data(as_text=True) and made[0].title in page.get_data(as_text=True)
    partial = client.post(f"/consultations/{consultation.slug}/similaires", data=params, headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert "<html" not in html and made[0].title in html
    assert 'id="similar-contributions"' in html


def test_similar_route_excludes_the_contribution_being_edited(client, corpus):
    consultation, made = corpus
    html = client.post(
        f"/consultations/{consultation.slug}/similaires?exclude={made[0].id}",
        data={"title": made[0].title, "body": made[0].body},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert made[0].title not in html


def test_similar_route_unknown_consultation_404(client):
    assert client.post("/consultations/inconnue/similaires", data={"body": "abc"}).status_code == 404


def test_the_draft_never_travels_in_the_url(app, client, corpus):
    """The text may hold health data: it is sent in the body (issue 10, defect 6)."""
    consultation, made = corpus
    params = {"title": made[0].title, "body": made[0].body}
    assert client.get(f"/consultations/{consultation.slug}/similaires", query_string=params).status_code == 405
    long_body = "Les données de santé des patients ne doivent jamais être vendues. " * 2000  # ~130 kB
    response = client.post(
        f"/consultations/{consultation.slug}/similaires",
        data={"title": made[0].title, "body": long_body},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and made[0].title in response.get_data(as_text=True)


def test_similar_needs_the_csrf_token(make_app, corpus):
    consultation, _ = corpus
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post(f"/consultations/{consultation.slug}/similaires", data={"body": "x" * 40})
    assert response.status_code == 400
