"""Verbatims: MMR picks central yet different texts; summaries pick typical sentences."""

import numpy as np

from nlp.verbatims import describe_groups, mmr, representative, split_sentences, summarize

TEXTS = [
    "Les bus doivent passer plus souvent dans les villages.",  # 0: centre of the group
    "Les bus doivent passer plus souvent dans les villages !",  # 1: copy of 0
    "Il faut des bus plus fréquents et des trains le soir.",  # 2: central, different wording
    "Des pistes cyclables sûres pour aller au travail.",  # 3: farther, different idea
    "ok",  # 4: too short to quote
]
IDS = ["a", "b", "c", "d", "e"]
VECTORS = np.array(
    [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.5, 0.0, 0.87], [1.0, 0.0, 0.0]],
    dtype=np.float32,
)


def test_mmr_without_diversity_is_ranking_by_relevance():
    relevance = np.array([0.2, 0.9, 0.5])
    assert mmr(np.eye(3), relevance, 3, diversity=0.0) == [1, 2, 0]


def test_mmr_skips_a_copy_of_what_it_already_picked():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8]])
    assert mmr(vectors, np.array([0.9, 0.9, 0.7]), 2, diversity=0.5) == [0, 2]


def test_representative_points_to_ids_and_prefers_diverse_quotable_texts():
    chosen = representative(VECTORS, [0, 1, 2, 3, 4], TEXTS, IDS, n=2, diversity=0.5)
    assert [v.id for v in chosen][0] in {"a", "b"}
    assert {v.id for v in chosen} & {"c", "d"}  # not the copy
    assert "e" not in {v.id for v in chosen}
    assert all(TEXTS[v.index] == v.text and IDS[v.index] == v.id for v in chosen)


def test_representative_of_a_group_only_uses_its_members():
    chosen = representative(VECTORS, [2, 3], TEXTS, IDS, n=5)
    assert sorted(v.id for v in chosen) == ["c", "d"]
    assert representative(VECTORS, [], TEXTS, IDS) == []


def test_split_sentences_on_punctuation_lines_and_choices():
    text = "Première phrase assez longue. Deuxième phrase assez longue !\nAutre|Choix multiple assez long"
    parts = split_sentences(text)
    assert parts == ["Première phrase assez longue.", "Deuxième phrase assez longue !", "Choix multiple assez long"]


def test_summary_takes_typical_sentences_without_repeating_itself():
    texts = [
        "Il faut plus de bus dans les villages. Mon voisin a un chien très bruyant.",
        "Plus de bus dans les villages le soir serait utile.",
        "Des bus dans les villages, et plus souvent.",
        "Les trains régionaux doivent revenir dans les villages.",
    ]
    summary = summarize(texts, n_sentences=2)
    assert len(summary) == 2
    assert any("bus" in sentence for sentence in summary)
    assert not any("chien" in sentence for sentence in summary)
    assert summarize(["court"]) == []


def test_describe_groups_gives_verbatims_and_summary_per_group():
    described = describe_groups({"0": [0, 2, 3], "0.1": [3]}, VECTORS, TEXTS, IDS, n_verbatims=2)
    assert set(described) == {"0", "0.1"}
    assert len(described["0"]["verbatims"]) == 2
    assert [v.id for v in described["0.1"]["verbatims"]] == ["d"]
    assert described["0.1"]["summary"] == ["Des pistes cyclables sûres pour aller au travail."]
