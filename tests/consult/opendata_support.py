"""Small Pol.is folders and helpers for the open data tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlmodel import select

from consult.models import Vote
from consult.votes.services import consensus_score, divisive_score

_ROOT = Path(__file__).resolve().parents[2]
# ../shared/data beside the checkout (a worktree under wt/ looks one level higher).
SHARED_DATA = next(
    (p / "shared" / "data" for p in (_ROOT.parent, _ROOT.parent.parent) if (p / "shared" / "data").is_dir()),
    _ROOT.parent / "shared" / "data",
)

COMMENTS_HEADER = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"


def write_polis(folder: Path, comments: list[tuple], votes: list[tuple] | None = None) -> Path:
    """comments: (comment-id, author-id, moderated, body); votes: (timestamp ms, comment-id, voter-id, vote)."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COMMENTS_HEADER.strip().split(","))
    for cid, author, moderated, body in comments:
        writer.writerow([1500000000000 + int(cid), "", cid, author, 0, 0, moderated, body])
    (folder / "comments.csv").write_text(buffer.getvalue(), encoding="utf-8")
    if votes is not None:
        lines = ["timestamp,datetime,comment-id,voter-id,vote"] + [f"{t},,{c},{v},{x}" for t, c, v, x in votes]
        (folder / "votes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def refresh_counters(session, contributions) -> None:
    """Set the vote counters and scores from the vote rows (the factories insert votes directly)."""
    for contribution in contributions:
        values = session.exec(select(Vote.value).where(Vote.contribution_id == contribution.id)).all()
        agree, disagree = values.count(1), values.count(-1)
        contribution.agree_count, contribution.disagree_count = agree, disagree
        contribution.pass_count, contribution.vote_count = values.count(0), len(values)
        contribution.consensus_score = consensus_score(agree, disagree, len(values))
        contribution.divisive_score = divisive_score(agree, disagree)
        session.add(contribution)
    session.commit()
