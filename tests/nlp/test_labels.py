"""Readable labels: lemma terms spelled as the texts write them, noun phrases first."""

from collections import Counter

from nlp.labels import NO_LABEL, is_noun_phrase, label_terms, readable, surface_forms

TEXTS = [
    "Les violences conjugales sont un fléau.",
    "Lutter contre les violences conjugales et psychologiques",
    "violence conjugale, violence psychologique",
    "Développer les transports en commun",
    "des transports en commun gratuits et des Transports en commun fréquents",
    "Il faut développer le vélo.",
]


def test_surface_forms_keep_inflection_and_function_words_between_content_words():
    assert surface_forms("violence conjugal", TEXTS) == Counter({"violences conjugales": 2, "violence conjugale": 1})
    assert surface_forms("transport commun", TEXTS) == Counter({"transports en commun": 2, "Transports en commun": 1})


def test_surface_forms_stop_at_a_content_word_between_the_term_words():
    assert surface_forms("violence psychologique", TEXTS) == Counter({"violence psychologique": 1})


def test_readable_prefers_the_usual_spelling_in_lower_case_unless_mostly_capitalised():
    assert readable(Counter({"violences conjugales": 2, "violence conjugale": 1})) == "violences conjugales"
    assert readable(Counter({"Transports en commun": 1, "transports en commun": 2})) == "transports en commun"
    assert readable(Counter({"TVA": 5, "tva": 1})) == "TVA"
    assert readable(Counter()) is None


def test_a_term_opening_with_a_verb_is_not_a_noun_phrase():
    assert not is_noun_phrase("développer transport")
    assert is_noun_phrase("transport commun")
    assert is_noun_phrase("dossier médical")


def test_label_is_the_first_multi_word_noun_phrase_of_the_top_terms_and_keywords_are_spelled():
    label, keywords = label_terms(["développer transport", "violence", "violence conjugal"], lambda term: TEXTS)
    assert label == "violences conjugales"
    assert keywords[0] == "Développer les transports"  # only written once, capitalised: as written
    assert "violences conjugales" in keywords


def test_label_skips_a_siblings_label_and_falls_back_when_nothing_is_found():
    label, _ = label_terms(
        ["violence conjugal", "transport commun"], lambda term: TEXTS, taken={"violences conjugales"}
    )
    assert label == "transports en commun"
    assert label_terms(["inconnu"], lambda term: TEXTS) == (NO_LABEL, [])


def test_a_phrase_does_not_join_two_things_named_with_a_conjunction():
    texts = ["la santé et le logement", "santé, logement"]
    assert surface_forms("santé logement", texts) == Counter()
