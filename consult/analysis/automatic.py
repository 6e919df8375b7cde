"""Automatic labels of one contribution, computed when it is submitted or edited (synchronously, kept fast).

Reference theme and principles come from the label models in use (consult.analysis.labels), duplicate
candidates from the consultation's similarity index, personal-data spans from nlp. They replace the
contribution's previous automatic labels and never touch the author's or a moderator's.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from consult.analysis.labels import label_models
from consult.analysis.pipeline import ItemResult, spans_json
from consult.analysis.runs import replace_automatic_labels
from consult.analysis.services import similar_contributions
from consult.models import Contribution

log = logging.getLogger(__name__)

# Cosine above which a published contribution is shown to moderators as a possible duplicate. Lower than the
# threshold at which an analysis run groups duplicates: a candidate is for a person to check.
DUPLICATE_CANDIDATE = 0.5
N_CANDIDATES = 5


def read_contribution(*, session: Session, contribution: Contribution) -> ItemResult:
    """What the label models, the similarity index and the personal-data detector read in a contribution."""
    from nlp import detect_many, lemma_strings

    label_models.refresh(session)
    text = f"{contribution.title}\n{contribution.body}"
    lemmas = lemma_strings([text], mode="model")
    result = ItemResult()
    [principles] = label_models.principles([text], lemmas)
    result.principles = [{"id": p.id, "score": p.score, "words": list(p.words)} for p in principles]
    [(result.reference_theme_id, result.reference_score, result.reference_words)] = label_models.themes([text], lemmas)
    hits = similar_contributions(
        session=session,
        consultation_id=contribution.consultation_id,
        text=text,
        k=N_CANDIDATES,
        exclude_id=contribution.id,
    )
    result.duplicates = [{"id": c.id, "score": round(score, 3)} for c, score in hits if score >= DUPLICATE_CANDIDATE]
    in_title, in_body = detect_many([contribution.title, contribution.body])
    result.personal_data = spans_json(in_title, "title") + spans_json(in_body, "body")
    return result


def label_contribution(*, session: Session, contribution: Contribution) -> bool:
    """Store fresh automatic labels for `contribution`; False (and nothing stored) if the analysis failed.

    A failure here must not cost a citizen their contribution: it is logged, and the next analysis run labels it.
    """
    try:
        with session.begin_nested():
            result = read_contribution(session=session, contribution=contribution)
            replace_automatic_labels(
                session=session, labels={contribution.id: result}, run_id=None, model_version=label_models.version
            )
    except Exception:
        log.exception("automatic labels of contribution %s failed", contribution.id)
        return False
    return True
