"""Similarity index and near-duplicate grouping on small generated French texts."""

import random

import numpy as np
import pytest

from nlp.similar import SimilarityIndex, _leaders, find_duplicate_groups, prepare

TEXTS = [
    "Il faut développer les transports en commun dans les zones rurales pour réduire la voiture.",
    "Taxer le kérosène des avions et investir dans le train de nuit partout en France.",
    "Les données de santé doivent rester confidentielles et ne jamais être vendues aux assureurs.",
    "Isoler les logements anciens avec des aides simples pour les propriétaires modestes.",
    "Baisser la TVA sur les produits de première nécessité et augmenter l'impôt sur la fortune.",
    "La téléconsultation évite des déplacements mais ne remplace pas un examen par le médecin.",
    "Interdire le plastique à usage unique et encourager la consigne des bouteilles en verre.",
    "Réduire le train de vie de l'État et des élus avant de demander des efforts aux citoyens.",
    "Développer les pistes cyclables sécurisées entre les villages et les gares.",
    "Créer des maisons de santé pluridisciplinaires dans les déserts médicaux.",
]


def typo(text: str, rng: random.Random, n: int = 3) -> str:
    chars = list(text)
    for _ in range(n):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("aeiourstln")
    return "".join(chars)


def shuffle_words(text: str, rng: random.Random) -> str:
    words = text.split()
    rng.shuffle(words)
    return " ".join(words)


def test_prepare_folds_case_accents_and_punctuation():
    assert prepare("  L'État, c'est NOUS ! ") == "l etat c est nous"


@pytest.mark.parametrize("perturb", ["typo", "shuffle", "truncate"])
def test_perturbed_copy_is_found_first(perturb):
    rng = random.Random(0)
    index = SimilarityIndex().fit(TEXTS, ids=[f"c{i}" for i in range(len(TEXTS))])
    for i, text in enumerate(TEXTS):
        query = {
            "typo": lambda t: typo(t, rng),
            "shuffle": lambda t: shuffle_words(t, rng),
            "truncate": lambda t: t[: int(len(t) * 0.6)],
        }[perturb](text)
        (best, score), *_ = index.query(query, k=3)
        assert best == f"c{i}", (query, best)
        assert 0.0 < score <= 1.0 + 1e-9


def test_query_returns_k_sorted_scores_and_self_scores_one():
    index = SimilarityIndex().fit(TEXTS)
    hits = index.query(TEXTS[2], k=4)
    assert hits[0] == (2, pytest.approx(1.0))
    assert len(hits) <= 4
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_add_grows_the_index():
    index = SimilarityIndex().fit(TEXTS[:5])
    index.add(TEXTS[5:], ids=list(range(5, len(TEXTS))))
    assert index.query(typo(TEXTS[9], random.Random(1)), k=1)[0][0] == 9
    with pytest.raises(ValueError):
        index.add(["un texte"], ids=[])


def test_query_is_deterministic():
    first = SimilarityIndex().fit(TEXTS).query("train de nuit et vélo", k=5)
    second = SimilarityIndex().fit(TEXTS).query("train de nuit et vélo", k=5)
    assert first == second


def test_unknown_analyzer_is_rejected():
    with pytest.raises(ValueError):
        SimilarityIndex(analyzer="bert").fit(TEXTS)


@pytest.mark.parametrize("analyzer", ["char", "word"])
def test_single_block_analyzers_work(analyzer):
    index = SimilarityIndex(analyzer=analyzer).fit(TEXTS)
    assert index.query(TEXTS[3], k=1)[0][0] == 3


def test_duplicate_groups_keep_the_earliest_first():
    rng = random.Random(2)
    texts = TEXTS + [typo(TEXTS[4], rng, 2), TEXTS[1].upper() + " !", shuffle_words(TEXTS[4], rng)]
    groups = find_duplicate_groups(texts)
    assert groups == [[1, 11], [4, 10, 12]]


def test_duplicate_threshold_controls_grouping():
    texts = [TEXTS[0], TEXTS[0][: len(TEXTS[0]) // 2]]
    assert find_duplicate_groups(texts, threshold=0.99) == []
    assert find_duplicate_groups(texts, threshold=0.5) == [[0, 1]]


def test_duplicate_groups_handle_empty_and_tiny_inputs():
    assert find_duplicate_groups([]) == []
    assert find_duplicate_groups(["seul"]) == []
    assert find_duplicate_groups(["", "...", "Oui", "oui."]) == [[0, 1], [2, 3]]


def test_duplicate_groups_are_deterministic():
    rng = random.Random(3)
    texts = TEXTS + [typo(t, rng, 1) for t in TEXTS]
    groups = find_duplicate_groups(texts)
    assert groups == find_duplicate_groups(texts)
    assert groups == [[i, i + len(TEXTS)] for i in range(len(TEXTS))]


def test_groups_do_not_chain():
    # 0~1 and 1~2 but not 0~2: 2 stays alone rather than joining 0 through 1.
    rows, cols = np.array([0, 1]), np.array([1, 2])
    assert _leaders(rows, cols, 3).tolist() == [0, 0, 2]
