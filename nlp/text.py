"""French text preparation: normalisation, stop words and lemmas with spaCy, loaded once per process."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

import spacy
from spacy.language import Language

LemmaMode = Literal["auto", "model", "lookup"]
# Token pattern for vectorizers fed with `lemma_strings`: lemmas are space-joined and may hold "'" or "-".
LEMMA_TOKEN = r"\S+"

# Above this many texts the POS-free lookup lemmatizer is used in "auto" mode: it is ~15x faster than
# fr_core_news_sm's rule lemmatizer (which needs the tagger) and the lemmas are good enough for TF-IDF.
LOOKUP_THRESHOLD = 5_000

# Frequent forms the POS-free lookup table gets wrong (plural nouns read as verbs, feminine adjectives left
# as is), found by comparing it with fr_core_news_sm's rule lemmatizer on 3,000 Grand débat answers plus
# health vocabulary. Only unambiguous forms: "été" (summer / been) or "sommes" are left alone.
LOOKUP_OVERRIDES = {
    "données": "donnée",
    "aides": "aide",
    "ressources": "ressource",
    "contrôle": "contrôle",
    "contrôles": "contrôle",
    "nécessité": "nécessité",
    "fraude": "fraude",
    "fraudes": "fraude",
    "retraités": "retraité",
    "députés": "député",
    "salariés": "salarié",
    "employés": "employé",
    "lignes": "ligne",
    "type": "type",
    "types": "type",
    "terre": "terre",
    "terres": "terre",
    "route": "route",
    "routes": "route",
    "catastrophes": "catastrophe",
    "amendes": "amende",
    "pompe": "pompe",
    "pompes": "pompe",
    "bases": "base",
    "démarches": "démarche",
    "gares": "gare",
    "voies": "voie",
    "marchés": "marché",
    "lobbies": "lobby",
    "impots": "impôt",
    "nationale": "national",
    "nationales": "national",
    "internationale": "international",
    "financière": "financier",
    "financières": "financier",
    "familiale": "familial",
    "générale": "général",
    "locale": "local",
    "locales": "local",
    "totale": "total",
    "chère": "cher",
    "forte": "fort",
    "longue": "long",
    "verte": "vert",
    "claire": "clair",
    "privés": "privé",
    "mis": "mettre",
    "mise": "mettre",
    "mises": "mettre",
    "pris": "prendre",
    "prises": "prendre",
    "soumis": "soumettre",
    "paie": "payer",
    "paye": "payer",
    "médicale": "médical",
    "médicales": "médical",
    "personnelles": "personnel",
    "personnelle": "personnel",
}

_SPACES = re.compile(r"\s+")
_URL = re.compile(r"https?://\S+|www\.\S+")


def normalize(text: str) -> str:
    """Return `text` with unicode normalised (NFC), URLs dropped, quotes unified, `|` split, spaces collapsed."""
    text = unicodedata.normalize("NFC", text or "")
    text = _URL.sub(" ", text)
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    # Multiple-choice answers arrive `|`-joined ("Réduire la dépense|Autre"); the tokenizer keeps "commun|le".
    text = text.replace("|", " | ")
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case and strip accents, for accent-insensitive matching ("Éthique" -> "ethique")."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def load_pipeline(mode: Literal["model", "lookup", "blank"] = "model") -> Language:
    """Load a French spaCy pipeline once per process.

    "model": fr_core_news_sm without parser and NER (tagger + rule lemmatizer, ~10k words/s on 2 cores).
    "lookup": blank French + lookup lemmatizer from spacy-lookups-data (~140k words/s, no POS).
    "blank": tokenizer only.
    """
    if mode == "model":
        return spacy.load("fr_core_news_sm", disable=["parser", "ner"])
    nlp = spacy.blank("fr")
    if mode == "lookup":
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        # Patch the table itself (keyed by exact token text) so every caller of the pipeline benefits.
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        for form, lemma in LOOKUP_OVERRIDES.items():
            table[form] = lemma
    return nlp


@functools.cache
def load_ner_pipeline() -> Language:
    """fr_core_news_sm with only what its NER needs (for person names)."""
    return spacy.load("fr_core_news_sm", disable=["parser", "lemmatizer", "attribute_ruler", "morphologizer"])


def resolve_mode(n_texts: int, mode: LemmaMode = "auto") -> Literal["model", "lookup"]:
    """The lemmatizer `lemmatize` uses for `n_texts` texts in `mode`."""
    if mode == "auto":
        return "lookup" if n_texts > LOOKUP_THRESHOLD else "model"
    return mode


def lemmatize(
    texts: Sequence[str],
    *,
    mode: LemmaMode = "auto",
    batch_size: int = 256,
    keep_stop_words: bool = False,
) -> list[list[str]]:
    """Return, for each text, its lower-case lemmas without punctuation, numbers, stop words and 1-letter tokens."""
    resolved = resolve_mode(len(texts), mode)
    if resolved == "lookup":
        return _lookup_lemmas(texts, keep_stop_words)
    pipeline = load_pipeline(resolved)
    stop_words = pipeline.Defaults.stop_words
    # The lookup table is keyed by exact text: "Transports" at a sentence start would stay unlemmatised.
    prepare = (lambda t: normalize(t).lower()) if resolved == "lookup" else normalize
    out: list[list[str]] = []
    for doc in pipeline.pipe((prepare(t) for t in texts), batch_size=batch_size):
        lemmas = []
        for token in doc:
            if token.is_punct or token.is_space or token.like_num or token.like_url:
                continue
            # Strip inversion hyphens ("faut-il" gives "-il") and abbreviation dots ("etc.").
            lemma = (token.lemma_ or token.text).lower().strip().strip("-.")
            if len(lemma) < 2 or not any(c.isalpha() for c in lemma):
                continue
            if not keep_stop_words and (token.is_stop or lemma in stop_words):
                continue
            lemmas.append(lemma)
        out.append(lemmas)
    return out


# Words (letters and digits, with inner apostrophes or hyphens), as the lookup path splits texts.
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
# Elided articles and conjunctions ("l'État", "qu'il"); "aujourd'hui" or "presqu'île" stay whole.
_ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"})
# Pronouns hyphenated to a verb by inversion ("faut-il", "a-t-on"), dropped like spaCy's "-il".
_CLITICS = frozenset({"il", "ils", "elle", "elles", "on", "je", "tu", "nous", "vous", "t", "ce", "y", "en", "moi"})


def _lookup_lemmas(texts: Sequence[str], keep_stop_words: bool) -> list[list[str]]:
    """The "lookup" mode without spaCy's Doc objects: a regex for French words, then one table look-up
    per distinct word (cached), which is 5-10x faster than the pipeline for the same lemmas."""
    table = load_pipeline("lookup").get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    stop_words = load_pipeline("blank").Defaults.stop_words
    cache: dict[str, str | None] = {}

    def lemma_of(word: str) -> str | None:
        form = word
        head, _, tail = form.partition("'")
        if tail and head in _ELISIONS:
            form = tail
        parts = form.split("-")
        while len(parts) > 1 and parts[-1] in _CLITICS:
            parts.pop()
        form = "-".join(parts)
        if not keep_stop_words and (form in stop_words or all(part in stop_words for part in parts)):
            return None
        found = table.get(form, form)
        lemma = (found[0] if isinstance(found, list) else found).strip("-.")
        if len(lemma) < 2 or not any(c.isalpha() for c in lemma):
            return None
        if not keep_stop_words and lemma in stop_words:
            return None
        return lemma

    out = []
    for text in texts:
        lemmas = []
        for word in _WORD.findall(normalize(text).lower()):
            if word not in cache:
                cache[word] = lemma_of(word)
            if cache[word] is not None:
                lemmas.append(cache[word])
        out.append(lemmas)
    return out


def lemma_strings(texts: Iterable[str], **kwargs) -> list[str]:
    """`lemmatize` joined with spaces: the input scikit-learn vectorizers expect."""
    return [" ".join(lemmas) for lemmas in lemmatize(list(texts), **kwargs)]
