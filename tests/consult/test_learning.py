"""Learning from moderators: quality by cross-validation on human labels, retraining, pending labels refreshed."""

from __future__ import annotations

from sqlmodel import select

from consult.analysis.labels import label_models
from consult.analysis.learning import evaluate_themes, training_data
from consult.models import AutomaticLabel, LabelModel, Role

URL = "/analyse/apprentissage"


def test_staff_see_the_page_citizens_do_not(client, sign_in, make_user):
    sign_in(make_user(Role.CITIZEN))
    assert client.get(URL).status_code == 403
    sign_in(make_user(Role.ANALYST))
    page = client.get(URL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "zéro exemple" in text and "Réentraîner" not in text  # analysts read, moderators retrain


def test_only_moderators_retrain(client, session, sign_in, make_user):
    sign_in(make_user(Role.ANALYST))
    assert client.post(URL).status_code == 403
    sign_in(make_user(Role.CITIZEN))
    assert client.post(URL).status_code == 403
    assert session.exec(select(LabelModel)).all() == []


def test_retraining_needs_enough_human_labels(client, session, sign_in, make_user):
    sign_in(make_user(Role.MODERATOR))
    response = client.post(URL)
    assert response.status_code == 303
    assert "Pas assez d" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert session.exec(select(LabelModel)).all() == []


def test_retraining_saves_measured_models_and_refreshes_pending_labels(
    app, client, session, sign_in, make_user, corpus
):
    sign_in(make_user(Role.MODERATOR))
    try:
        response = client.post(URL)
        assert response.status_code == 303
        assert app.extensions["consult.jobs"].wait(timeout=600)
        models = {row.kind: row for row in session.exec(select(LabelModel))}
        assert set(models) == {"principles", "themes"}
        for row in models.values():
            assert row.n_labels == len(corpus.published) + len(corpus.pending)
            assert row.metrics["folds"] == 3 and "baseline" in row.metrics and row.metrics["per_label"]
            assert 0 <= row.metrics["macro_f1"] <= 1
        pending = [session.get(AutomaticLabel, c.id) for c in corpus.pending]
        assert all(label is not None for label in pending)
        assert all(f"themes:{models['themes'].id}" in label.model_version for label in pending)
        page = client.get(URL).get_data(as_text=True)
        assert f"Modèle n° {models['themes'].id}" in page
    finally:
        label_models.clear()  # other tests expect the zero-shot models


def test_theme_quality_is_measured_against_the_zero_shot_baseline(session, corpus):
    data = training_data(session=session)
    metrics = evaluate_themes(label_models.taxonomy, data.theme_texts, data.theme_labels)
    assert metrics["n_labels"] == len(data.theme_texts)
    assert sum(row["support"] for row in metrics["per_label"].values()) == len(data.theme_texts)
    # Deterministic: the same labels give the same figures.
    assert evaluate_themes(label_models.taxonomy, data.theme_texts, data.theme_labels) == metrics
