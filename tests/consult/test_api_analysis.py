"""Open data includes the machine's reading, marked automatic: labels of each contribution, the latest run."""

from __future__ import annotations

import pytest

from consult.api.openapi import build_document
from consult.models import (
    AnalysisRun,
    AutomaticLabel,
    ContributionPrinciple,
    ContributionStatus,
    LabelSource,
    RunContribution,
    RunOpinionGroup,
    RunStatus,
    RunTheme,
    utcnow,
)
from tests.consult.contribution_factories import add_contribution
from tests.consult.openapi_check import check_response


@pytest.fixture
def document():
    return build_document(server_url="http://localhost/api/v1")


def _get(client, document, path: str, status: int = 200):
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    check_response(document, path, status, response.get_json())
    return response.get_json()


def test_contributions_carry_their_automatic_labels_apart(client, session, document, make_consultation, make_user):
    consultation = make_consultation()
    labelled = add_contribution(session, consultation, make_user(), principles=["P01"])
    unlabelled = add_contribution(session, consultation, make_user())
    session.add_all(
        [
            AutomaticLabel(
                contribution_id=labelled.id, theme_id="T08", theme_score=0.71, theme_words=["donnée"], confidence=0.6
            ),
            ContributionPrinciple(
                contribution_id=labelled.id, principle_id="P08", source=LabelSource.NLP, score=0.9, words=["refus"]
            ),
        ]
    )
    session.commit()

    body = _get(client, document, f"/api/v1/contributions/{labelled.id}")

    assert [p["id"] for p in body["principles"]] == ["P01"]  # people's labels only
    assert body["automatic"]["theme"] == {
        "id": "T08",
        "label": body["automatic"]["theme"]["label"],
        "score": 0.71,
        "words": ["donnée"],
    }
    assert body["automatic"]["principles"][0] | {"label": None} == {
        "id": "P08",
        "label": None,
        "score": 0.9,
        "words": ["refus"],
    }
    listing = _get(client, document, f"/api/v1/consultations/{consultation.slug}/contributions")
    by_id = {item["id"]: item for item in listing["data"]}
    assert by_id[labelled.id]["automatic"]["principles"][0]["id"] == "P08"
    assert by_id[unlabelled.id]["automatic"] is None


def test_analysis_of_a_consultation_without_run_is_404(client, document, make_consultation):
    consultation = make_consultation()
    body = _get(client, document, f"/api/v1/consultations/{consultation.slug}/analysis", 404)
    assert "Aucune analyse" in body["error"]["message"]
    _get(client, document, "/api/v1/consultations/inconnue/analysis", 404)


def test_latest_run_shows_published_contributions_only_with_their_current_text(
    client, session, document, make_consultation, make_user
):
    consultation = make_consultation()
    author = make_user()
    kept = add_contribution(session, consultation, author, title="Un titre publié", body="Un texte publié assez long.")
    hidden = add_contribution(session, consultation, author, title="Bientôt masquée", body="Un texte masqué ensuite.")
    run = AnalysisRun(
        consultation_id=consultation.id,
        status=RunStatus.SUCCEEDED,
        finished_at=utcnow(),
        fingerprint="f" * 64,
        versions={"scikit-learn": "1.9.1", "label_models": {"principles": None}},
        opinions={
            "points": [[0.5, -0.1, 0], [-0.4, 0.2, 1]],
            "consensus": [{"contribution_id": hidden.id, "direction": "agree"}],
            "divisive": [{"contribution_id": kept.id}],
        },
    )
    session.add(run)
    session.commit()
    verbatims = [
        {"contribution_id": kept.id, "text": "texte lu par l'analyse", "score": 0.9},
        {"contribution_id": hidden.id, "text": "Bientôt masquée", "score": 0.8},
    ]
    session.add_all(
        [
            RunTheme(run_id=run.id, key="0", label="texte, publié", terms=["texte"], size=2, verbatims=verbatims),
            RunContribution(run_id=run.id, contribution_id=kept.id, status="published", theme_key="0"),
            RunContribution(run_id=run.id, contribution_id=hidden.id, status="published", theme_key="0"),
            RunOpinionGroup(
                run_id=run.id,
                number=0,
                size=1,
                center_x=0.5,
                center_y=-0.1,
                representative=[{"contribution_id": hidden.id, "direction": "agree", "agree_ratio": 1.0}],
            ),
        ]
    )
    hidden.status = ContributionStatus.HIDDEN  # hidden after the run
    session.add(hidden)
    session.commit()

    body = _get(client, document, f"/api/v1/consultations/{consultation.slug}/analysis")

    assert body["automatic"] is True and body["run"]["id"] == run.id and body["run"]["fingerprint"] == "f" * 64
    [theme] = body["themes"]
    assert theme["verbatims"] == [{"contribution_id": kept.id, "text": "Un titre publié\nUn texte publié assez long."}]
    assert body["opinion_groups"][0]["representative"] == []
    assert body["consensus"] == [] and body["divisive"] == [{"contribution_id": kept.id}]
    assert body["map"][0] == {"x": 0.5, "y": -0.1, "group": 0}
    assert "Bientôt masquée" not in str(body)
