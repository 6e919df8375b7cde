"""Ethical principles: zero-shot lexicon, explanations, dimensions, supervised blending."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from nlp.principles import DimensionLabel, PrincipleClassifier, PrincipleLabel, surface_tokens

CORPUS = [
    "Je veux pouvoir refuser que mes données de santé soient partagées.",
    "L'algorithme doit être explicable.",
    "Les serveurs des hôpitaux consomment trop d'énergie.",
    "Il faudrait des ateliers pour apprendre à utiliser les outils.",
    "Je voudrais parler à une vraie personne au téléphone, pas à un robot.",
    "Le prix du pain augmente.",
    "",
]


@pytest.fixture(scope="module")
def fitted(taxonomy):
    return PrincipleClassifier(taxonomy, random_state=0).fit(CORPUS)


def _ids(labels):
    return {label.id for label in labels}


def test_the_analyze_call_returns_one_label_list_per_text(taxonomy):
    predictions = PrincipleClassifier(taxonomy, random_state=0).fit(CORPUS, labels=None).predict(CORPUS)
    assert len(predictions) == len(CORPUS)
    assert all(isinstance(label, PrincipleLabel) for labels in predictions for label in labels)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je veux pouvoir refuser que mes données de santé soient partagées.", {"P08"}),
        ("L'algorithme doit être explicable.", {"P04"}),
        ("Les serveurs des hôpitaux consomment trop d'énergie.", {"P16"}),
        ("Il faudrait des ateliers pour apprendre à utiliser les outils.", {"P11"}),
    ],
)
def test_zero_shot_finds_the_principle(fitted, text, expected):
    assert expected <= _ids(fitted.predict([text])[0])


def test_off_topic_and_empty_texts_get_no_principle(fitted):
    assert fitted.predict(["Le prix du pain augmente.", "", "   "]) == [[], [], []]


def test_explanations_carry_the_driving_words(fitted):
    (label,) = [lab for lab in fitted.predict(["L'algorithme doit être explicable."])[0] if lab.id == "P04"]
    assert {"algorithme", "explicable"} <= set(label.words)


def test_matching_is_accent_and_inflection_insensitive(fitted):
    accented = fitted.predict_scores(["Je refuse : l'algorithme du médecin doit être explicable."])
    plain = fitted.predict_scores(["je REFUSE, les algorithmes des medecins doivent etre explicables"])
    assert plain[0, 3] == pytest.approx(accented[0, 3])  # P04
    assert plain[0, 7] > 0.5  # P08: "refuse" matches "refuser" through lemmas


def test_multi_word_expressions_win_over_their_parts(fitted):
    # "consultation physique" (P01) must not also count as "consultation" (P05)
    scores = fitted.predict_scores(["Je tiens à la consultation physique."])[0]
    assert scores[0] > 0.5
    assert scores[4] == 0


def test_a_phrase_keyword_does_not_shrink_to_one_lemma(fitted):
    # "au téléphone" (P10) must not fire on any "téléphone"
    assert fitted.predict_scores(["Mon téléphone est neuf."])[0, 9] == 0


def test_scores_are_in_unit_interval_and_labels_sorted(fitted):
    scores = fitted.predict_scores(CORPUS)
    assert scores.shape == (len(CORPUS), 16)
    assert ((scores >= 0) & (scores <= 1)).all()
    for labels in fitted.predict(CORPUS):
        assert [lab.score for lab in labels] == sorted((lab.score for lab in labels), reverse=True)
        assert all(lab.score >= fitted.threshold for lab in labels)


def test_more_evidence_gives_a_higher_score(fitted):
    one, two = fitted.predict_scores(["Un algorithme.", "Un algorithme biaisé, une boîte noire."])[:, 3]
    assert 0 < one < two <= 1


def test_keywords_frequent_in_the_corpus_weigh_less(taxonomy):
    corpus = ["les avantages du site"] * 60 + ["je refuse"]
    clf = PrincipleClassifier(taxonomy).fit(corpus)
    weight = {kw.text: w for kw, w in zip(clf.keywords_, clf.keyword_weights_, strict=True)}
    assert weight["avantages"] < weight["refuser"]


def test_dimensions_aggregate_their_principles(fitted):
    dims = fitted.predict_dimensions(["Les serveurs des hôpitaux consomment trop d'énergie.", "Le prix du pain."])
    assert [d.id for d in dims[0]] == ["D4"]
    assert isinstance(dims[0][0], DimensionLabel) and "P16" in dims[0][0].principles
    assert dims[1] == []
    scores = fitted.predict_scores(["Les serveurs des hôpitaux consomment trop d'énergie."])
    assert fitted.dimension_scores(scores)[0, 3] == pytest.approx(scores[0, 12:16].max())


def test_precomputed_lemmas_give_the_same_result(fitted):
    from nlp.text import lemma_strings

    lemmas = lemma_strings(CORPUS, mode="model")
    assert fitted.predict(CORPUS, lemmas=lemmas) == fitted.predict(CORPUS)


def test_deterministic_and_clonable(taxonomy):
    texts, labels = _supervised_fixture()
    a = PrincipleClassifier(taxonomy, random_state=0).fit(texts, labels).predict_scores(texts)
    b = clone(PrincipleClassifier(taxonomy, random_state=0)).fit(texts, labels).predict_scores(texts)
    np.testing.assert_array_equal(a, b)


def _supervised_fixture():
    """A principle the lexicon cannot see (P02 taught with 'lunettes'), and negatives."""
    positives = [f"Le remboursement des lunettes {w} est insuffisant." for w in "abcdefghijkl"]
    negatives = [f"La cantine {w} sert des repas chauds." for w in "abcdefghijkl"]
    return positives + negatives, [{"P02"}] * 12 + [set()] * 12


def test_supervised_labels_change_predictions_and_explain_them(taxonomy):
    texts, labels = _supervised_fixture()
    probe = ["Les lunettes coûtent trop cher."]
    zero_shot = PrincipleClassifier(taxonomy, blend_halfway=2).fit(texts)
    blended = PrincipleClassifier(taxonomy, blend_halfway=2).fit(texts, labels)
    assert "P02" not in _ids(zero_shot.predict(probe)[0])
    (label,) = [lab for lab in blended.predict(probe)[0] if lab.id == "P02"]
    assert "lunette" in " ".join(label.words)
    assert blended.alpha_[1] == pytest.approx(12 / (12 + 2))
    assert blended.alpha_[0] == 0  # no labels for P01: zero-shot only


def test_few_labels_weigh_little_by_default(taxonomy):
    texts, labels = _supervised_fixture()
    clf = PrincipleClassifier(taxonomy).fit(texts, labels)
    assert clf.alpha_[1] == pytest.approx(12 / (12 + 20))
    assert "P02" not in _ids(clf.predict(["Les lunettes coûtent trop cher."])[0])


def test_unlabelled_texts_are_ignored_by_supervision(taxonomy):
    texts, labels = _supervised_fixture()
    partial = labels[:6] + [None] * 6 + labels[12:]
    clf = PrincipleClassifier(taxonomy).fit(texts, partial)
    assert clf.n_labels_[1].tolist() == [12, 6]


def test_too_few_labels_keep_zero_shot(taxonomy):
    clf = PrincipleClassifier(taxonomy, min_labels_for_supervised=5).fit(["a b", "c d", "e f"], [{"P04"}, set(), set()])
    assert not clf.models_ and not clf.alpha_.any()


def test_unknown_principle_ids_are_rejected(taxonomy):
    with pytest.raises(ValueError, match="P99"):
        PrincipleClassifier(taxonomy).fit(["a"], [{"P99"}])


def test_surface_tokens_fold_and_singularise():
    assert surface_tokens("Données  d'ÉNERGIE") == ["donnee", "d", "energie"]


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_any_text_gets_scores_in_unit_interval(fitted, text):
    scores = fitted.predict_scores([text])
    assert scores.shape == (1, 16) and ((scores >= 0) & (scores <= 1)).all()


def test_predict_before_fit_raises(taxonomy):
    with pytest.raises(NotFittedError):
        PrincipleClassifier(taxonomy).predict(["texte"])
