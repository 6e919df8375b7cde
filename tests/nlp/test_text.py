"""Text preparation: normalisation, folding, lemmas in both modes, the lookup override table."""

import pytest

from nlp.text import LOOKUP_OVERRIDES, fold, lemma_strings, lemmatize, normalize


def test_normalize_drops_urls_unifies_quotes_and_spaces():
    assert normalize("L\u2019État  https://example.org/x\u00a0agit\n") == "L'État agit"
    assert normalize(None) == ""


def test_fold_strips_accents_and_case():
    assert fold("Éthique Numérique") == "ethique numerique"


@pytest.mark.parametrize(
    ("form", "lemma"),
    [("données", "donnée"), ("aides", "aide"), ("Ressources", "ressource"), ("financières", "financier")],
)
def test_lookup_mode_fixes_frequent_bad_lemmas(form, lemma):
    assert lemmatize([form], mode="lookup") == [[lemma]]


def test_overrides_are_lower_case_and_unambiguous():
    assert all(form == form.lower() for form in LOOKUP_OVERRIDES)
    assert "été" not in LOOKUP_OVERRIDES  # summer or "been": the table must not guess


def test_lemmatize_removes_stop_words_punctuation_and_numbers():
    lemmas = lemmatize(["Les Médecins lisent-ils 3 dossiers, etc. !"], mode="lookup")[0]
    assert lemmas == ["médecin", "lire", "dossier"]


def test_lookup_mode_lemmatises_capitalised_words_and_splits_multiple_choices():
    assert lemmatize(["Transports en commun|Données"], mode="lookup") == [["transport", "commun", "donnée"]]


def test_keep_stop_words_keeps_them():
    assert "le" in lemmatize(["le train"], mode="lookup", keep_stop_words=True)[0]


def test_model_and_lookup_agree_on_plain_nouns():
    text = ["Les patients veulent des téléconsultations et des ordonnances numériques."]
    model = set(lemmatize(text, mode="model")[0])
    lookup = set(lemmatize(text, mode="lookup")[0])
    assert {"patient", "téléconsultation", "ordonnance"} <= model & lookup


def test_lemma_strings_joins_and_handles_empty_texts():
    assert lemma_strings(["", "Les trains."], mode="lookup") == ["", "train"]
