"""Supervised theme classifier: predictions, calibrated scores, explanations, determinism."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from nlp.classify import TextClassifier
from nlp.text import lemma_strings

TRAIN = {
    "T17": [
        "Impossible d'obtenir un rendez-vous chez un médecin avant trois mois.",
        "Les délais d'attente aux urgences sont beaucoup trop longs.",
        "Dans ma région il n'y a plus de médecin traitant disponible.",
        "Trouver un rendez-vous chez le dentiste relève du miracle.",
        "Les déserts médicaux s'étendent, il faut plus de médecins.",
        "J'attends depuis des mois un rendez-vous chez l'ophtalmologue.",
    ],
    "T12": [
        "Les centres de données consomment énormément d'énergie.",
        "Il faut réduire l'empreinte carbone du numérique en santé.",
        "Les appareils connectés finissent vite à la poubelle, quel gaspillage d'énergie.",
        "Le recyclage des équipements informatiques des hôpitaux est indispensable.",
        "La pollution liée au stockage des données est sous-estimée.",
        "Privilégier le matériel reconditionné réduirait l'empreinte carbone.",
    ],
    "T05": [
        "Mes données de santé ne doivent pas être vendues à des assurances.",
        "Je crains le piratage de mon dossier médical.",
        "Qui peut consulter mes données de santé ? Je veux le savoir.",
        "La confidentialité de mon dossier médical doit être garantie.",
        "Une fuite de données médicales serait catastrophique.",
        "Je refuse que mes données soient partagées sans mon accord.",
    ],
}
TEXTS = [t for texts in TRAIN.values() for t in texts]
LABELS = [label for label, texts in TRAIN.items() for _ in texts]


@pytest.fixture(scope="module")
def fitted():
    return TextClassifier(random_state=0).fit(TEXTS, LABELS)


def test_predicts_the_theme_of_new_texts(fitted):
    probes = [
        "Aucun rendez-vous possible chez un médecin, les délais sont énormes.",
        "L'énergie consommée par les serveurs et l'empreinte carbone m'inquiètent.",
        "Mes données médicales pourraient être piratées et vendues.",
    ]
    assert fitted.predict(probes).tolist() == ["T17", "T12", "T05"]


def test_scores_are_probabilities(fitted):
    proba = fitted.predict_proba(TEXTS + ["", "bonjour"])
    assert proba.shape == (len(TEXTS) + 2, 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.calibrated_ is not None


def test_explain_returns_the_driving_words(fitted):
    words = fitted.explain("Les délais pour un rendez-vous sont trop longs.")
    assert words and set(words) & {"délai", "rendez-vous", "long"}
    assert "énergie" in fitted.explain("La consommation d'énergie des serveurs.", "T12")


def test_explain_of_an_unrelated_text_may_be_empty(fitted):
    assert fitted.explain("", "T17") == []


def test_precomputed_lemmas_give_the_same_scores(fitted):
    lemmas = lemma_strings(TEXTS)
    np.testing.assert_allclose(fitted.predict_proba(TEXTS, lemmas=lemmas), fitted.predict_proba(TEXTS))


def test_deterministic_and_clonable():
    a = TextClassifier(random_state=0).fit(TEXTS, LABELS).predict_proba(TEXTS)
    b = clone(TextClassifier(random_state=0)).fit(TEXTS, LABELS).predict_proba(TEXTS)
    np.testing.assert_array_equal(a, b)


def test_a_class_with_one_example_falls_back_to_softmax_scores():
    clf = TextClassifier(char_ngrams=True).fit(TEXTS + ["Un seul texte sur la formation."], LABELS + ["T11"])
    assert clf.calibrated_ is None
    proba = clf.predict_proba(["formation"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_binary_problem_explains_both_classes():
    clf = TextClassifier().fit(TRAIN["T17"] + TRAIN["T12"], ["T17"] * 6 + ["T12"] * 6)
    assert "énergie" in clf.explain("énergie des serveurs", "T12")
    assert "rendez-vous" in clf.explain("un rendez-vous", "T17")


def test_rejects_misaligned_or_single_class_labels():
    with pytest.raises(ValueError):
        TextClassifier().fit(TEXTS, LABELS[:-1])
    with pytest.raises(ValueError):
        TextClassifier().fit(TEXTS[:2], ["T17", "T17"])


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError):
        TextClassifier().predict(["texte"])
