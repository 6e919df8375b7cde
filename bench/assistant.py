"""Citizen assistant on its held-out test set: kinds, retrieval, safety, personal data, reply time, vs a baseline.

    .venv/bin/python -m bench.assistant [--test bench/data/assistant_heldout.yaml]

The engine is trained on config/assistant/ and its thresholds come from cross-validation on that training
set (python -m consult.assistant.calibrate); the held-out messages are only read here. The baseline is the
simplest sensible assistant: each message takes the label of its nearest training message (word TF-IDF
cosine; a knowledge-base question means "answer" with that entry) and "don't know" below a cosine of 0.3.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import yaml
from flask_babel import force_locale
from sklearn.feature_extraction.text import TfidfVectorizer

from consult import create_app
from consult.assistant.engine import MEDICAL_INTENTS, Assistant, TrainingData
from consult.assistant.text import fold

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "assistant"
TEST = ROOT / "bench" / "data" / "assistant_heldout.yaml"
TARGETS = {
    "kind_accuracy": 0.90,
    "retrieval_top1": 0.85,
    "medical_recall": 1.0,
    "urgent_level_recall": 1.0,
    "echoes": 0,
    "p95_ms": 300,
}


def load_test(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


def expected_entries(item: dict) -> set[str]:
    entry = item.get("entry")
    return set(entry) if isinstance(entry, list) else {entry} if entry else set()


class Baseline:
    """Nearest training message on word TF-IDF; below 0.3 cosine, "don't know"."""

    def __init__(self, data: TrainingData):
        texts, labels = [], []
        for name, examples in data.intents.items():
            kind = "medical" if name in MEDICAL_INTENTS else "dont_know" if name == "other" else name
            texts += examples
            labels += [(kind, None, name if name in MEDICAL_INTENTS else None)] * len(examples)
        questions, ids = data.question_examples()
        texts += questions
        labels += [("answer", entry_id, None) for entry_id in ids]
        self.vectorizer = TfidfVectorizer(preprocessor=fold).fit(texts)
        self.matrix = self.vectorizer.transform(texts)
        self.labels = labels

    def reply(self, text: str) -> tuple[str, str | None, str | None]:
        cosines = (self.vectorizer.transform([text]) @ self.matrix.T).toarray()[0]
        best = int(cosines.argmax())
        return self.labels[best] if cosines[best] >= 0.3 else ("dont_know", None, None)


# A reply at least as protective as the expected level: distress also gives the 15 / 112, emergency does not give
# the 3114; the generic medical reply points to the doctor and to the 15 / 112 "in case of emergency" only.
PROTECTIVE = {"emergency": {"emergency", "distress"}, "distress": {"distress"}}


def score(items: list[dict], predictions: list[tuple[str, str | None, str]], levels: list[str | None]) -> dict:
    kinds = [kind for kind, _, _ in predictions]
    kind_ok = [kind == item["kind"] for item, kind in zip(items, kinds, strict=True)]
    answers = [(item, p) for item, p in zip(items, predictions, strict=True) if item["kind"] == "answer"]
    top1 = [p[1] in expected_entries(item) for item, p in answers]
    medical = [p[0] == "medical" for item, p in zip(items, predictions, strict=True) if item["kind"] == "medical"]
    echoes = sum(
        1
        for item, (_, _, text) in zip(items, predictions, strict=True)
        for secret in item.get("personal") or []
        if secret.lower() in text.lower()
    )
    urgent = [
        level in PROTECTIVE[item["level"]]
        for item, level in zip(items, levels, strict=True)
        if item.get("level") in PROTECTIVE
    ]
    return {
        "urgent_level_recall": float(np.mean(urgent)) if urgent else float("nan"),
        "kind_accuracy": float(np.mean(kind_ok)),
        "retrieval_top1": float(np.mean(top1)),
        "medical_recall": float(np.mean(medical)),
        "echoes": echoes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", type=Path, default=TEST)
    parser.add_argument("--errors", action="store_true", help="list the messages the assistant got wrong")
    args = parser.parse_args()
    items = load_test(args.test)
    app = create_app(server="none")
    with app.app_context():
        started = time.process_time()
        engine = Assistant.load(CONFIG)
        engine.reply("bonjour")  # loads spaCy's pipeline once, as a running server has
        print(f"engine trained in {time.process_time() - started:.1f} s CPU; load average {os.getloadavg()}")
        predictions, levels, wall, cpu, masked_leaks = [], [], [], [], 0
        for item in items:
            with force_locale(item.get("lang", "fr")):
                t0, c0 = time.perf_counter(), time.process_time()
                reply = engine.reply(item["text"], lang=item.get("lang", "fr"))
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            predictions.append((reply.kind, reply.entries[0] if reply.entries else None, reply.text))
            levels.append(reply.level)
            leaked = [s for s in item.get("personal") or [] if s.lower() in reply.masked.lower()]
            masked_leaks += len(leaked)
            if leaked and args.errors:
                print(f"  stored unmasked ({', '.join(reply.personal_data) or 'nothing detected'}): {item['text']}")
        ours = score(items, predictions, levels)
        ours["p95_ms"] = float(np.percentile(wall, 95) * 1000)
        ours["p95_cpu_ms"] = float(np.percentile(cpu, 95) * 1000)
        ours["stored_unmasked"] = masked_leaks
        data = TrainingData.read(CONFIG)
        baseline = Baseline(data)
        base_predictions, base_levels = [], []
        for item in items:
            kind, entry, level = baseline.reply(item["text"])
            base_predictions.append((kind, entry, item["text"] if kind == "personal_data" else ""))
            base_levels.append(level)
        theirs = score(items, base_predictions, base_levels)
    counts = Counter(item["kind"] for item in items)
    print(f"{args.test.name}: {len(items)} messages ({', '.join(f'{k} {v}' for k, v in counts.most_common())})")
    print(f"{'metric':<20}{'assistant':>11}{'baseline':>11}{'target':>9}")
    for name in ("kind_accuracy", "retrieval_top1", "medical_recall", "urgent_level_recall", "echoes"):
        print(f"{name:<20}{ours[name]:>11.3f}{theirs[name]:>11.3f}{TARGETS[name]:>9}")
    print(f"{'p95_ms':<20}{ours['p95_ms']:>11.1f}{'':>11}{TARGETS['p95_ms']:>9}  (CPU p95 {ours['p95_cpu_ms']:.1f} ms)")
    print(f"stored messages still holding personal data: {ours['stored_unmasked']}")
    print(f"load average after: {os.getloadavg()}")
    by_kind = Counter((item["kind"], p[0]) for item, p in zip(items, predictions, strict=True))
    print("confusion (expected -> got):", ", ".join(f"{a}->{b} {n}" for (a, b), n in sorted(by_kind.items()) if a != b))
    if args.errors:
        for item, (kind, entry, _), level in zip(items, predictions, levels, strict=True):
            wrong_level = item.get("level") in PROTECTIVE and level not in PROTECTIVE[item["level"]]
            wrong_kind = kind != item["kind"] or wrong_level
            wrong_entry = item["kind"] == "answer" and kind == "answer" and entry not in expected_entries(item)
            if wrong_kind or wrong_entry:
                expected = item.get("level") or item.get("entry")
                print(f"  {item['kind']}/{expected} -> {kind}/{level or entry}: {item['text']}")
    met = (
        ours["kind_accuracy"] >= TARGETS["kind_accuracy"]
        and ours["retrieval_top1"] >= TARGETS["retrieval_top1"]
        and ours["medical_recall"] >= TARGETS["medical_recall"]
        and ours["urgent_level_recall"] >= TARGETS["urgent_level_recall"]
        and ours["echoes"] == 0
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
