"""Principles stay quiet on off-topic text: the domain gate, specific vs generic cues, explanations."""

import pytest

from nlp.principles import PrincipleClassifier, surface_tokens

# Written for this test (none is a real contribution): citizen-style answers about taxes, transport
# and ecology full of the lexicon's generic words ("limites", "pollution", "loi", "contrôle",
# "accessible", "batterie", "recyclage", "supprimer", "avantages"...). None is about digital health.
OFF_TOPIC = [
    "Il faut fixer des limites à la pollution des usines et renforcer le contrôle des rejets.",
    "Les transports en commun doivent être accessibles à tous et moins chers, surtout pour les personnes âgées.",
    "Supprimer les avantages fiscaux des plus riches, c'est simple et juste.",
    "La loi doit imposer le recyclage des batteries de voitures électriques en fin de vie.",
    "Je refuse de payer plus d'impôts tant que les dépenses ne sont pas maîtrisées.",
    "Il faudrait former les agriculteurs et accompagner la transition vers le bio.",
    "Les étrangers qui travaillent ici doivent pouvoir apprendre la langue.",
    "Réparer plutôt que jeter : la durée de vie des appareils ménagers est trop courte.",
    "On devrait consulter les habitants avant de construire une autoroute.",
    "Les risques de la sécheresse sont sous-estimés, il faut des preuves et une information fiable.",
]


@pytest.fixture(scope="module")
def fitted(taxonomy):
    return PrincipleClassifier(taxonomy, random_state=0).fit(OFF_TOPIC)


def test_off_topic_texts_get_no_principle(fitted):
    assert fitted.predict(OFF_TOPIC) == [[] for _ in OFF_TOPIC]


def test_without_the_domain_gate_the_same_generic_words_would_label_them(taxonomy):
    ungated = PrincipleClassifier(taxonomy, domain_gate=False, random_state=0).fit(OFF_TOPIC)
    assert sum(bool(labels) for labels in ungated.predict(OFF_TOPIC)) >= 5


def test_generic_cues_count_in_a_digital_health_text(fitted):
    text = "Les limites et les risques de l'application de santé ne sont jamais dits aux patients."
    (label,) = [lab for lab in fitted.predict([text])[0] if lab.id == "P02"]
    assert {"limites", "risques"} <= set(label.words)


def test_generic_cues_weigh_less_in_a_digital_text_not_about_health(fitted):
    digital, health = fitted.predict_scores(
        ["Je refuse que le site garde mes données.", "Je refuse que le site de l'hôpital garde mes données."]
    )[:, 7]  # P08
    assert 0 < digital < health
    assert digital < fitted.threshold <= health


def test_specific_cues_count_anywhere(fitted):
    # No digital word at all, but "obsolescence" is generic while "déchets électroniques" is specific.
    (scores,) = fitted.predict_scores(["Les déchets électroniques s'accumulent dans les décharges."])
    assert scores[14] >= fitted.threshold  # P15


def test_predictions_are_deterministic(taxonomy):
    texts = OFF_TOPIC + ["Je veux savoir qui a accès à mon dossier médical en ligne.", "L'IA doit être explicable."]
    first = PrincipleClassifier(taxonomy, random_state=0).fit(texts)
    second = PrincipleClassifier(taxonomy, random_state=0).fit(texts)
    assert first.predict(texts) == second.predict(texts) == first.predict(texts)
    assert (first.predict_scores(texts) == second.predict_scores(texts)).all()


def test_every_label_carries_its_score_and_the_words_found_in_the_text(fitted):
    texts = [
        "Je veux savoir qui a accès à mon dossier médical en ligne et pouvoir refuser le partage.",
        "Les data centers des hôpitaux consomment trop, il faut une application plus sobre.",
        "Personne ne m'explique le fonctionnement de l'algorithme qui trie les patients.",
    ]
    predictions = fitted.predict(texts)
    assert all(predictions)
    for text, labels in zip(texts, predictions, strict=True):
        folded = " ".join(surface_tokens(text))
        for label in labels:
            assert fitted.threshold <= label.score <= 1
            assert label.words and all(isinstance(word, str) and word for word in label.words)
            # At least the strongest word is in the text (as written or as a lemma of it).
            assert any(" ".join(surface_tokens(word))[:5] in folded for word in label.words)
