"""`python -m nlp opinions`: Pol.is-style opinion groups from a participants-votes.csv export."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from nlp.commands import InputError, run_command
from nlp.opinions import OpinionGroups, PolisFormatError, read_polis


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nlp opinions",
        description="Opinion groups, representative, consensus and divisive statements from votes "
        "(the Pol.is method). Input: a Pol.is participants-votes.csv (participant, optional "
        "metadata columns, then one column per statement holding 1 / -1 / 0 / empty).",
    )
    parser.add_argument("votes", type=Path, help="participants-votes.csv in the Pol.is layout")
    parser.add_argument("--comments", type=Path, help="Pol.is comments.csv: texts, moderation")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="output CSV: participant,group")
    parser.add_argument("--report", type=Path, help="JSON report: groups, statements, timings")
    parser.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    return parser


def main(argv: list[str]) -> int:
    """Run the command; user errors give exit code 2 and a one-line message on stderr."""
    return run_command(build_parser(), run, argv)


def run(args: argparse.Namespace) -> int:
    """Read, fit, write; return the exit code."""
    say = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    started = time.perf_counter()
    conversation = _read(args.votes, args.comments)
    matrix = conversation.matrix
    read_seconds = time.perf_counter() - started
    say(
        f"read {len(matrix.participants)} participants x {len(matrix.statements)} statements "
        f"({len(matrix.moderated_out)} moderated out) in {read_seconds:.2f} s"
    )
    model = OpinionGroups(random_state=args.random_state)
    fit_started = time.perf_counter()
    try:
        model.fit(matrix)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    fit_seconds = time.perf_counter() - fit_started
    say(
        f"{model.n_groups_} groups of {', '.join(map(str, model.group_sizes_))} participants "
        f"({int((model.groups_ < 0).sum())} left out: too few votes) in {fit_seconds:.2f} s"
    )
    _write_groups(args.out, model)
    if args.report:
        timings = {"read": read_seconds, "fit": fit_seconds, "total": time.perf_counter() - started}
        report = build_report(model, conversation.statement_texts, timings)
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    say(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""))
    return 0


def _read(votes: Path, comments: Path | None):
    for path in (votes, comments):
        if path is not None and not path.is_file():
            raise InputError(f"input file not found: {path}")
    try:
        conversation = read_polis(votes, comments)
    except PolisFormatError as exc:
        raise InputError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{votes} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise InputError(f"{votes} is not a readable CSV file: {exc}") from None
    values = conversation.matrix.values
    if values.size == 0 or np.isnan(values).all():
        raise InputError(f"empty vote matrix in {votes}: no participant, statement or vote")
    return conversation


def _write_groups(path: Path, model: OpinionGroups) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["participant", "group"])
        for participant, group in zip(model.participants_, model.groups_, strict=True):
            writer.writerow([participant, "" if group < 0 else int(group)])


def build_report(model: OpinionGroups, texts: dict[str, str], timings: dict[str, float]) -> dict:
    """JSON-ready summary of a fitted model; statement texts added where known."""

    def with_text(item) -> dict:
        data = asdict(item)
        if item.statement in texts:
            data["text"] = texts[item.statement]
        return data

    order = np.argsort(-model.group_consensus_, kind="stable")
    group_consensus = [
        {
            "statement": model.statements_[j],
            "group_consensus": float(model.group_consensus_[j]),
            **({"text": texts[model.statements_[j]]} if model.statements_[j] in texts else {}),
        }
        for j in order
        if not model.moderated_out_[j]
    ][: model.n_consensus]
    return {
        "parameters": model.get_params(),
        "n_participants": len(model.participants_),
        "n_statements": len(model.statements_),
        "n_moderated_out": int(model.moderated_out_.sum()),
        "n_grouped": int((model.groups_ >= 0).sum()),
        "n_groups": model.n_groups_,
        "silhouette_by_k": {str(k): round(v, 4) for k, v in model.silhouette_.items()},
        "vote_accuracy_by_k": {str(k): round(v, 4) for k, v in model.vote_accuracy_.items()},
        "groups": [
            {
                "group": g,
                "size": int(model.group_sizes_[g]),
                "representative": [with_text(s) for s in model.representative_[g]],
            }
            for g in range(model.n_groups_)
        ],
        "consensus": {d: [with_text(s) for s in model.consensus_[d]] for d in model.consensus_},
        "group_informed_consensus": group_consensus,
        "divisive": [with_text(s) for s in model.divisive_],
        "timing_seconds": {name: round(seconds, 3) for name, seconds in timings.items()},
    }
