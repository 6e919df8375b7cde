"""Automatic labels at submission: theme, principles with scores and words, duplicates, personal data; apart."""

from __future__ import annotations

from sqlmodel import select

from consult.analysis import automatic
from consult.analysis.automatic import read_contribution
from consult.contributions.services import principles_by_contribution
from consult.models import AutomaticLabel, Contribution, ContributionPrinciple, LabelSource
from tests.consult.contribution_factories import add_contribution

SHARING = {
    "title": "Refuser le partage de mes données avec les assureurs",
    "body": "Je veux pouvoir refuser que mes données de santé soient partagées avec des assureurs sans mon "
    "consentement explicite, et savoir qui les consulte dans Mon espace santé.",
}


def _submit(client, consultation, **data):
    return client.post(f"/consultations/{consultation.slug}/contribuer", data=SHARING | data)


def _nlp_principles(session, contribution_id):
    return session.exec(
        select(ContributionPrinciple).where(
            ContributionPrinciple.contribution_id == contribution_id, ContributionPrinciple.source == LabelSource.NLP
        )
    ).all()


def test_submission_stores_automatic_labels_apart_from_the_authors(
    client, session, sign_in, make_user, make_consultation
):
    consultation = make_consultation()
    sign_in(make_user())

    response = _submit(client, consultation, principles=["P01"])

    assert response.status_code in (302, 303)
    contribution = session.exec(select(Contribution)).one()
    label = session.get(AutomaticLabel, contribution.id)
    assert label is not None and label.run_id is None and label.model_version.startswith("principles:")
    assert label.theme_id and 0 < label.theme_score <= 1 and label.theme_words
    principles = _nlp_principles(session, contribution.id)
    assert principles, "a text about consent and data sharing gets a principle"
    assert all(0 < row.score <= 1 and row.words for row in principles)
    assert label.confidence == min([row.score for row in principles] + [label.theme_score])
    # The author's label stays the only one shown as theirs.
    shown = principles_by_contribution(session=session, contribution_ids=[contribution.id])
    assert [p.id for p in shown[contribution.id]] == ["P01"]


def test_editing_refreshes_the_automatic_labels(client, session, sign_in, make_user, make_consultation):
    consultation = make_consultation(moderation="pre")
    sign_in(make_user())
    _submit(client, consultation)
    contribution = session.exec(select(Contribution)).one()
    before = session.get(AutomaticLabel, contribution.id).labelled_at

    response = client.post(
        f"/contributions/{contribution.id}/modifier",
        data={
            "title": "Des écrans trop compliqués pour les personnes âgées",
            "body": "Les personnes âgées et éloignées du numérique n'arrivent pas à utiliser les services en ligne : "
            "il faut un accompagnement humain et des guichets physiques.",
        },
    )

    assert response.status_code in (302, 303)
    session.expire_all()
    after = session.get(AutomaticLabel, contribution.id)
    assert after.labelled_at > before
    assert "consentement" not in {w for row in _nlp_principles(session, contribution.id) for w in row.words}


def test_a_near_copy_of_a_published_contribution_is_a_duplicate_candidate(
    client, session, sign_in, make_user, make_consultation
):
    consultation = make_consultation()
    original = add_contribution(session, consultation, make_user(), **SHARING)
    sign_in(make_user())

    _submit(client, consultation, title=SHARING["title"] + " !")

    contribution = session.exec(select(Contribution).where(Contribution.id != original.id)).one()
    label = session.get(AutomaticLabel, contribution.id)
    assert label.has_duplicates
    assert label.duplicate_candidates[0]["id"] == original.id and label.duplicate_candidates[0]["score"] > 0.8


def test_personal_data_spans_are_located_in_title_and_body(session, make_user, make_consultation):
    contribution = add_contribution(
        session,
        make_consultation(),
        make_user(),
        title="Un numéro à rappeler",
        body="Appelez-moi au 06 12 34 56 78 pour en parler.",
    )
    result = read_contribution(session=session, contribution=contribution)
    [span] = [s for s in result.personal_data if s["type"] == "phone"]
    assert span["field"] == "body"
    assert contribution.body[span["start"] : span["end"]] == "06 12 34 56 78"


def test_a_labelling_failure_does_not_cost_the_citizen_their_contribution(
    client, session, sign_in, make_user, make_consultation, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(automatic, "read_contribution", broken)
    consultation = make_consultation()
    sign_in(make_user())

    response = _submit(client, consultation)

    assert response.status_code in (302, 303)
    contribution = session.exec(select(Contribution)).one()
    assert session.get(AutomaticLabel, contribution.id) is None


def test_the_preload_also_loads_the_personal_data_detectors_pipeline(app):
    """Production preloads beside the first request: the NER pipeline included, so no panel or submission waits."""
    from consult.analysis import _preload
    from nlp.text import load_ner_pipeline

    load_ner_pipeline.cache_clear()
    _preload(app)
    assert load_ner_pipeline.cache_info().currsize == 1
