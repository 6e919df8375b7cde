"""ThemeModel: recovers known topics, labels them, maps them to the taxonomy, is deterministic."""

import random

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import normalized_mutual_info_score

from nlp.taxonomy import load_taxonomy
from nlp.text import lemma_strings, normalize
from nlp.themes import UNASSIGNED, ThemeModel, _class_tfidf, _pick_k, _top_terms
from tests.nlp.corpus import TOPICS, make_corpus

TEXTS, TOPIC_NAMES = make_corpus(15)
LEMMAS = lemma_strings(TEXTS, mode="lookup")


@pytest.fixture(scope="module")
def model():
    return ThemeModel(n_themes=4, min_idea_size=4, taxonomy=load_taxonomy(), lemma_mode="lookup", random_state=0).fit(
        TEXTS, lemmas=LEMMAS
    )


def test_recovers_the_generated_topics(model):
    assert normalized_mutual_info_score(TOPIC_NAMES, model.assignments_) > 0.8
    assert len(model.themes_) == 4
    assert sum(theme.size for theme in model.themes_) == len(TEXTS)


def test_themes_are_ordered_by_size_and_every_text_has_a_score(model):
    sizes = [theme.size for theme in model.themes_]
    assert sizes == sorted(sizes, reverse=True)
    assert [theme.id for theme in model.themes_] == list(range(4))
    assert model.scores_.shape == (len(TEXTS),)
    assert ((model.scores_ > 0) & (model.scores_ <= 1)).all()


def _theme_of(model, topic):
    members = [i for i, name in enumerate(TOPIC_NAMES) if name == topic]
    return model.themes_[np.bincount(model.assignments_[members]).argmax()]


def test_labels_use_the_topics_distinctive_words(model):
    data = _theme_of(model, "donnees")
    assert data.label == "données de santé"
    assert "donnée santé" in data.lemma_terms
    assert any("train" in term or "bus" in term for term in _theme_of(model, "transport").terms)
    assert len({theme.label for theme in model.themes_}) == len(model.themes_)


def _in_texts(phrase):
    folded = " ".join(phrase.lower().split())
    return any(folded in " ".join(normalize(text).lower().split()) for text in TEXTS)


def test_labels_and_keywords_of_themes_and_ideas_are_phrases_of_the_texts(model):
    for theme in model.themes_:
        assert _in_texts(theme.label), theme.label
        assert all(_in_texts(term) for term in theme.terms), theme.terms
        for idea in theme.ideas:
            assert _in_texts(idea.label), idea.label
            assert idea.label != theme.label


def test_exactly_k_non_empty_themes_and_every_text_assigned():
    for k in (2, 3, 6, 9):
        fitted = ThemeModel(n_themes=k, n_ideas=1, lemma_mode="lookup").fit(TEXTS, lemmas=LEMMAS)
        assert len(fitted.themes_) == k
        assert sorted(set(fitted.assignments_)) == list(range(k))
        assert all(theme.size > 0 for theme in fitted.themes_)


def test_maps_health_data_to_the_reference_theme_and_leaves_taxes_unmapped(model):
    data = _theme_of(model, "donnees")
    assert data.reference_theme == TOPICS["donnees"][0]
    assert data.reference_score >= model.reference_threshold
    taxes = _theme_of(model, "impots")
    assert taxes.reference_theme is None


def test_ideas_partition_each_theme(model):
    for theme in model.themes_:
        assert theme.ideas, theme
        assert sum(idea.size for idea in theme.ideas) == theme.size
        members = model.idea_assignments_[model.assignments_ == theme.id]
        assert {str(m).split(".")[0] for m in members} == {str(theme.id)}
    assert len(model.themes_[0].ideas) >= 2  # 15 texts from 5 templates: more than one idea
    assert ((model.idea_scores_ >= 0) & (model.idea_scores_ <= 1)).all()


def test_same_seed_same_result_and_clone_keeps_params(model):
    again = clone(model).fit(TEXTS, lemmas=LEMMAS)
    assert np.array_equal(again.assignments_, model.assignments_)
    assert np.array_equal(again.idea_assignments_, model.idea_assignments_)
    assert [t.label for t in again.themes_] == [t.label for t in model.themes_]


def test_texts_without_content_words_go_to_the_largest_theme_with_a_zero_score():
    texts = TEXTS + ["", "le la les"]
    fitted = ThemeModel(n_themes=4, lemma_mode="lookup").fit(texts)
    assert UNASSIGNED not in fitted.assignments_
    assert list(fitted.assignments_[-2:]) == [0, 0]
    assert list(fitted.scores_[-2:]) == [0.0, 0.0]
    assert all(idea.startswith("0.") for idea in fitted.idea_assignments_[-2:])


def test_other_theme_only_when_asked_holds_the_texts_without_content_words():
    texts = TEXTS + ["", "le la les"]
    fitted = ThemeModel(n_themes=4, other_theme=True, lemma_mode="lookup").fit(texts)
    assert len(fitted.themes_) == 5
    other = fitted.themes_[-1]
    assert (other.id, other.label, other.size) == (4, "autres", 2)
    assert list(fitted.assignments_[-2:]) == [4, 4]
    assert (fitted.assignments_[:-2] < 4).all()


def test_labels_are_lemma_terms_without_the_raw_texts():
    fitted = ThemeModel(n_themes=4, n_ideas=1, lemma_mode="lookup").fit(None, lemmas=LEMMAS)
    assert all(theme.label == ", ".join(theme.lemma_terms[:3]) for theme in fitted.themes_)


def test_auto_picks_the_number_of_topics_of_a_corpus_without_sub_topics():
    # Texts drawn as bags of 5 words from 5 disjoint vocabularies: 5 topics and nothing finer.
    vocabularies = [
        "train bus gare vélo covoiturage navette tramway métro ligne horaire",
        "impôt taxe tva revenu fiscalité niche fraude capital tranche csg",
        "donnée confidentialité consentement cnil rgpd secret vie privée dossier partage",
        "téléconsultation médecin visio spécialiste rendez-vous ordonnance cabinet attente distance soin",
        "pesticide agriculture bio abeille sol eau forêt biodiversité climat canicule",
    ]
    rng = random.Random(0)
    texts, topics = [], []
    for _ in range(40):
        for topic, words in enumerate(vocabularies):
            texts.append(" ".join(rng.sample(words.split(), 5)))
            topics.append(topic)
    fitted = ThemeModel(n_themes="auto", lemma_mode="lookup").fit(texts)
    assert fitted.n_themes_ == 5
    assert normalized_mutual_info_score(topics, fitted.assignments_) > 0.9


def test_predict_places_new_texts_in_the_matching_theme(model):
    predicted = model.predict(["Je veux que mes données de santé restent confidentielles."])
    assert predicted[0] == _theme_of(model, "donnees").id


def test_kmeans_method_clusters_given_embeddings():
    onehot = np.eye(4)[[list(TOPICS).index(name) for name in TOPIC_NAMES]]
    fitted = ThemeModel(n_themes=4, method="kmeans", lemma_mode="lookup").fit(TEXTS, lemmas=LEMMAS, embeddings=onehot)
    assert normalized_mutual_info_score(TOPIC_NAMES, fitted.assignments_) == pytest.approx(1.0)


def test_empty_input_is_rejected():
    with pytest.raises(ValueError, match="at least"):
        ThemeModel(lemma_mode="lookup").fit([])


def test_class_tfidf_prefers_terms_specific_to_a_class():
    presence = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1]], dtype=np.float32)
    from scipy import sparse

    profiles = _class_tfidf(sparse.csr_matrix(presence), np.array([0, 0, 1, 1]), 2)
    assert profiles[0].argmax() == 1 and profiles[1].argmax() == 2


def test_top_terms_drop_words_covered_by_a_bigram():
    vocabulary = np.array(["transport", "transport commun", "commun", "gratuit"])
    assert _top_terms(np.array([0.9, 0.8, 0.7, 0.5]), vocabulary, 3) == ["transport commun", "gratuit"]


def test_pick_k_stops_where_the_separation_gain_reaches_the_threshold():
    # Real answers: the gain grows slowly with k; the first k at the threshold is taken.
    rising = {2: 0.01, 3: 0.02, 4: 0.04, 5: 0.05, 6: 0.06, 8: 0.08}
    assert _pick_k(rising, threshold=0.035) == 4
    assert _pick_k(rising, threshold=0.055) == 6
    assert _pick_k(rising, threshold=0.5) == 8  # never reached: the largest k tried


def test_pick_k_follows_a_steep_gain_up_to_the_number_of_distinct_vocabularies():
    steep = {2: 0.04, 3: 0.08, 4: 0.13, 5: 0.19, 6: 0.18, 7: 0.18, 8: 0.20}
    assert _pick_k(steep, threshold=0.035) == 5


def test_embeddings_must_have_one_row_per_text():
    with pytest.raises(ValueError, match="rows"):
        ThemeModel(n_themes=2, lemma_mode="lookup").fit(TEXTS, lemmas=LEMMAS, embeddings=np.ones((3, 2)))
