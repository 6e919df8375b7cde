"""The analysis of one consultation by the nlp library, on plain values (no database here).

`analyse(corpus, votes, …)` returns an `Analysis`: themes with ideas and verbatims over the published
contributions, principle and reference-theme labels for every contribution given, duplicate groups, personal data,
and opinion groups from the votes. `progress(step, percent)` is called between steps.
"""

from __future__ import annotations

import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from consult.analysis.labels import LabelModels

# (step, percent reached when it ends): what the progress bar shows.
STEPS = (
    ("lemmas", 25),
    ("embedding", 35),
    ("themes", 55),
    ("principles", 65),
    ("duplicates", 72),
    ("personal_data", 82),
    ("verbatims", 88),
    ("opinions", 95),
)
MIN_OPINION_PARTICIPANTS = 4
MAX_OPINION_STATEMENTS = 1000
N_VERBATIMS = 5


@dataclass
class Item:
    """One contribution to analyse."""

    id: int
    status: str
    title: str
    body: str
    in_corpus: bool  # published: part of themes, duplicates, verbatims and opinions; else labelled only
    principles: frozenset[str] | None = None  # people's labels (None: nobody labelled it)

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"


@dataclass
class ItemResult:
    theme_key: str | None = None
    theme_score: float | None = None
    idea_key: str | None = None
    reference_theme_id: str | None = None
    reference_score: float | None = None
    reference_words: list[str] = field(default_factory=list)
    principles: list[dict] = field(default_factory=list)
    duplicate_of_id: int | None = None
    duplicates: list[dict] = field(default_factory=list)  # [{"id", "score"}] other members of its group
    personal_data: list[dict] = field(default_factory=list)  # spans with their field


@dataclass
class ThemeOut:
    key: str
    parent_key: str | None
    position: int
    label: str
    terms: list[str]
    size: int
    reference_theme_id: str | None
    reference_score: float | None
    summary: list[str] = field(default_factory=list)
    verbatims: list[dict] = field(default_factory=list)


@dataclass
class GroupOut:
    number: int
    size: int
    center: tuple[float, float]
    representative: list[dict]


@dataclass
class Analysis:
    items: dict[int, ItemResult]
    themes: list[ThemeOut]
    groups: list[GroupOut]
    opinions: dict
    summary: dict
    timings: dict
    n_participants: int


class _Steps:
    def __init__(self, progress: Callable[[str, int], None]):
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.memory: dict[str, float] = {}  # peak RSS (MB) reached by the end of each step: which one costs
        self.ends = dict(STEPS)

    @contextmanager
    def step(self, name: str):
        self.progress(name, None)
        start, cpu = time.perf_counter(), time.process_time()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        self.cpu[name] = round(time.process_time() - cpu, 3)
        self.memory[name] = peak_memory_mb()
        self.progress(name, self.ends[name])


def analyse(
    items: Sequence[Item],
    votes: Sequence[tuple[int, int, int]],
    *,
    models: LabelModels,
    taxonomy,
    n_themes: int | str = "auto",
    random_state: int = 0,
    progress: Callable[[str, int | None], None] = lambda step, percent: None,
) -> Analysis:
    """Analyse `items` (and `votes` as (user id, contribution id, value)); see the module docstring."""
    from nlp import find_duplicate_groups, lemma_strings

    steps = _Steps(progress)
    results = {item.id: ItemResult() for item in items}
    corpus = [i for i, item in enumerate(items) if item.in_corpus]
    texts = [item.text for item in items]
    summary: dict = {"n_corpus": len(corpus), "n_labelled_only": len(items) - len(corpus)}
    with steps.step("lemmas"):
        lemmas = lemma_strings(texts, mode="auto")
    embeddings, theme_model = None, None
    with steps.step("embedding"):
        if len(corpus) >= 3:
            from nlp import make_embedder

            embedder = make_embedder("tfidf", random_state=random_state)
            embeddings = embedder.fit_transform([texts[i] for i in corpus], lemmas=[lemmas[i] for i in corpus])
    with steps.step("themes"):
        themes = []
        if embeddings is not None:
            theme_model, themes = _themes(items, corpus, texts, lemmas, embeddings, taxonomy, n_themes, random_state)
            for row, i in enumerate(corpus):
                result = results[items[i].id]
                theme = int(theme_model.assignments_[row])
                if theme >= 0:
                    result.theme_key = str(theme)
                    result.theme_score = round(float(theme_model.scores_[row]), 4)
                    result.idea_key = str(theme_model.idea_assignments_[row]) or None
        else:
            summary["themes_skipped"] = "fewer than 3 published contributions"
    with steps.step("principles"):
        _principles(items, texts, lemmas, results, models, random_state)
    with steps.step("duplicates"):
        groups = find_duplicate_groups([texts[i] for i in corpus]) if len(corpus) > 1 else []
        _duplicates(items, corpus, embeddings, groups, results)
    with steps.step("personal_data"):
        spans = _personal_data(items, results)
    with steps.step("verbatims"):
        if theme_model is not None:
            _verbatims(items, corpus, texts, spans, embeddings, results, themes)
    with steps.step("opinions"):
        published = {items[i].id for i in corpus}
        groups_out, opinions, n_participants = _opinions(votes, published, random_state)
    summary |= _counts(results, themes, groups, groups_out)
    timings = steps.timings | {"cpu": steps.cpu, "peak_memory_mb": steps.memory}
    summary["peak_memory_mb"] = peak_memory_mb()
    return Analysis(results, themes, groups_out, opinions, summary, timings, n_participants)


def peak_memory_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the peak of the process that ran the analysis.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _themes(items, corpus, texts, lemmas, embeddings, taxonomy, n_themes, random_state):
    from nlp import ThemeModel

    model = ThemeModel(n_themes=n_themes, taxonomy=taxonomy, random_state=random_state).fit(
        [texts[i] for i in corpus], lemmas=[lemmas[i] for i in corpus], embeddings=embeddings
    )
    out = []
    for position, theme in enumerate(model.themes_):
        out.append(
            ThemeOut(
                str(theme.id),
                None,
                position,
                theme.label,
                list(theme.terms),
                theme.size,
                theme.reference_theme,
                round(float(theme.reference_score), 4),
            )
        )
        for rank, idea in enumerate(theme.ideas):
            out.append(ThemeOut(idea.id, str(theme.id), rank, idea.label, list(idea.terms), idea.size, None, None))
    return model, out


def _principles(items, texts, lemmas, results, models: LabelModels, random_state):
    """Principles (fitted on this consultation, blended with people's labels) and reference themes of every item."""
    labels = [None if item.principles is None else set(item.principles) for item in items]
    predicted = models.principles_for_run(texts, lemmas, labels, random_state=random_state)
    for item, found in zip(items, predicted, strict=True):
        results[item.id].principles = [{"id": p.id, "score": p.score, "words": list(p.words)} for p in found]
    themes = models.themes(texts, lemmas)
    for item, theme in zip(items, themes, strict=True):
        result = results[item.id]
        result.reference_theme_id, result.reference_score, result.reference_words = theme


def _duplicates(items, corpus, embeddings, groups, results):
    """Group members point to the group's kept (earliest) contribution, with their cosine in the run's embedding.

    The embedding is already in memory; a second similarity index over the corpus only for these scores cost
    about 1 GB at 30,000 contributions.
    """
    for group in groups:
        ids = [items[corpus[r]].id for r in group]
        if embeddings is not None:
            vectors = embeddings[np.asarray(group)]
            cosines = vectors @ vectors.T
        else:
            cosines = np.ones((len(group), len(group)))
        kept = ids[0]
        for a, member in enumerate(ids):
            if member != kept:
                results[member].duplicate_of_id = kept
            results[member].duplicates = [
                {"id": other, "score": round(min(float(cosines[a, b]), 1.0), 3)}
                for b, other in enumerate(ids)
                if other != member
            ]


def _personal_data(items, results) -> dict[int, list]:
    """Spans in the title and in the body of each item; returns them in `Item.text` offsets too, for masking."""
    from nlp import Span, detect_many

    titles = detect_many([item.title for item in items])
    bodies = detect_many([item.body for item in items])
    in_text = {}
    for item, in_title, in_body in zip(items, titles, bodies, strict=True):
        results[item.id].personal_data = spans_json(in_title, "title") + spans_json(in_body, "body")
        shift = len(item.title) + 1
        in_text[item.id] = [
            *in_title,
            *(Span(s.start + shift, s.end + shift, s.type, s.text, s.sensitive) for s in in_body),
        ]
    return in_text


def spans_json(spans, field_name: str) -> list[dict]:
    return [
        {"field": field_name, "start": s.start, "end": s.end, "type": s.type, "sensitive": bool(s.sensitive)}
        for s in spans
    ]


def _verbatims(items, corpus, texts, spans, embeddings, results, themes: list[ThemeOut]):
    """Representative verbatims and summaries per theme and idea: personal data masked, duplicates left out."""
    from nlp import describe_groups, redact

    shown, ids, groups = [], [], {}
    for row, i in enumerate(corpus):
        item = items[i]
        result = results[item.id]
        shown.append(redact(texts[i], spans[item.id]) if spans[item.id] else texts[i])
        ids.append(str(item.id))
        if result.duplicate_of_id is not None or result.theme_key is None:
            continue
        groups.setdefault(result.theme_key, []).append(row)
        if result.idea_key:
            groups.setdefault(result.idea_key, []).append(row)
    described = describe_groups(groups, embeddings, shown, ids, n_verbatims=N_VERBATIMS)
    for theme in themes:
        found = described.get(theme.key)
        if found:
            theme.summary = list(found["summary"])
            theme.verbatims = [
                {"contribution_id": int(v.id), "text": v.text, "score": round(float(v.score), 4)}
                for v in found["verbatims"]
            ]


def _opinions(votes, published: set[int], random_state: int):
    """Pol.is-style groups from the votes on published contributions; nothing when too few people voted."""
    from nlp import OpinionGroups, votes_to_matrix

    counts = Counter(contribution for _, contribution, _ in votes if contribution in published)
    # The vote matrix is dense (participants x statements): keep the most voted statements. One with a couple of
    # votes says nothing about groups, and 30,000 columns would take gigabytes.
    kept = {c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_OPINION_STATEMENTS]}
    events = [(str(user), str(contribution), value) for user, contribution, value in votes if contribution in kept]
    participants = {user for user, _, _ in events}
    if len(participants) < MIN_OPINION_PARTICIPANTS or len({c for _, c, _ in events}) < 2:
        return [], {"skipped": "not enough votes", "n_participants": len(participants)}, len(participants)
    model = OpinionGroups(random_state=random_state).fit(votes_to_matrix(events))
    grouped = model.groups_ >= 0
    points = [
        [round(float(x), 4), round(float(y), 4), int(g)]
        for (x, y), g in zip(model.embedding_[grouped][:, :2], model.groups_[grouped], strict=True)
    ]
    groups = [
        GroupOut(
            number=g,
            size=int(model.group_sizes_[g]),
            center=(round(float(model.group_centers_[g][0]), 4), round(float(model.group_centers_[g][1]), 4)),
            representative=[
                {
                    "contribution_id": int(s.statement),
                    "direction": s.direction,
                    "n_agree": s.n_agree,
                    "n_disagree": s.n_disagree,
                    "n_seen": s.n_seen,
                    "agree_ratio": round(s.agree_ratio, 4),
                    "disagree_ratio": round(s.disagree_ratio, 4),
                    "repness": round(s.repness, 4),
                    "p_value": round(s.p_value, 4),
                }
                for s in model.representative_.get(g, [])
            ],
        )
        for g in range(model.n_groups_)
    ]
    consensus = [
        {
            "contribution_id": int(s.statement),
            "direction": s.direction,
            "n_agree": s.n_agree,
            "n_disagree": s.n_disagree,
            "n_seen": s.n_seen,
            "p_success": round(s.p_success, 4),
            "p_value": round(s.p_value, 4),
            "group_consensus": round(s.group_consensus, 4),
        }
        for direction in ("agree", "disagree")
        for s in model.consensus_.get(direction, [])
    ]
    divisive = [
        {
            "contribution_id": int(s.statement),
            "agree_ratios": [round(r, 4) for r in s.agree_ratios],
            "spread": round(s.spread, 4),
            "most_agree_group": s.most_agree_group,
            "least_agree_group": s.least_agree_group,
            "p_value": round(s.p_value, 4),
        }
        for s in model.divisive_
    ]
    silhouette = {str(k): round(float(v), 4) for k, v in (model.silhouette_ or {}).items()}
    opinions = {
        "n_statements": len(kept),
        "n_participants": len(participants),
        "n_grouped": int(grouped.sum()),
        "silhouette": silhouette,
        "points": points,
        "consensus": consensus,
        "divisive": divisive,
        # Pol.is's per-statement extremity (how far it sets groups apart): the vote routing boosts it.
        "extremity": {
            str(statement): round(float(value), 4)
            for statement, value in zip(model.statements_, model.extremity_, strict=True)
        },
    }
    return groups, opinions, len(participants)


def _counts(results: dict[int, ItemResult], themes, duplicate_groups, groups) -> dict:
    principles = Counter(p["id"] for r in results.values() for p in r.principles)
    references = Counter(r.reference_theme_id for r in results.values() if r.reference_theme_id)
    personal = Counter(s["type"] for r in results.values() for s in r.personal_data)
    return {
        "n_themes": sum(1 for t in themes if t.parent_key is None),
        "n_ideas": sum(1 for t in themes if t.parent_key is not None),
        "principles": dict(sorted(principles.items())),
        "reference_themes": dict(sorted(references.items())),
        "duplicates": {"groups": len(duplicate_groups), "contributions": sum(len(g) - 1 for g in duplicate_groups)},
        "personal_data": dict(sorted(personal.items())),
        "n_opinion_groups": len(groups),
    }
