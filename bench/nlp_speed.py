"""Speed and memory of `python -m nlp analyze` on the Grand débat sample (30k) and a perturbed 10x copy (300k)."""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# ../shared next to the checkout; CONSULT_SHARED points elsewhere (e.g. from a git worktree).
SHARED = Path(os.environ.get("CONSULT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data" / "granddebat-2019-sample"


def run_analyze(path: Path, workdir: Path, themes: str) -> dict:
    """Run the CLI in a child process; return wall/CPU time, peak memory and the report's step timings."""
    out, report = workdir / "out.csv", workdir / "report.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nlp",
            "analyze",
            str(path),
            "--text-column",
            "text",
            "--id-column",
            "id",
            "--themes",
            themes,
            "--out",
            str(out),
            "--report",
            str(report),
            "--quiet",
        ],
        check=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    steps = json.loads(report.read_text(encoding="utf-8"))
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        # ru_maxrss of RUSAGE_CHILDREN is the largest child so far (kilobytes on Linux).
        "peak_rss_mb": round(after.ru_maxrss / 1024),
        "steps_s": steps["timings"],
        "steps_cpu_s": steps["cpu_timings"],
        "n_themes": steps["n_themes"],
    }


def tokenizer_only(texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds for spaCy's French tokenizer alone over the texts (the floor of any spaCy pipeline)."""
    from nlp.text import load_pipeline, normalize

    nlp = load_pipeline("blank")
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in nlp.pipe((normalize(t) for t in texts), batch_size=256):
        pass
    return time.perf_counter() - start, time.process_time() - cpu_start


def perturb(text: str, rng: random.Random) -> str:
    """Drop or swap a word now and then so that copies are near, not exact, duplicates."""
    words = text.split()
    if len(words) > 3 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
    if len(words) > 3 and rng.random() < 0.5:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def write_scaled(source: Path, target: Path, factor: int) -> int:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(0)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for copy in range(factor):
            for row in rows:
                text = row["text"] if copy == 0 else perturb(row["text"], rng)
                writer.writerow([f"{row['id']}-{copy}", text])
    return len(rows) * factor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--themes", default="20")
    parser.add_argument("--scale", type=int, default=0, help="also run on N copies (10 gives 300,000 texts)")
    parser.add_argument("--scaled-only", action="store_true", help="skip the 30,000-text run")
    args = parser.parse_args()
    source = DATA / "responses_sample.csv"
    if not source.exists():
        print(f"no data at {source}: nothing to measure", file=sys.stderr)
        return 0
    with open("/proc/loadavg") as handle:
        print("load average before:", handle.read().split()[:3], "(2 cores; shared machine: timings are noisy)")
    with source.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.scaled_only:
            result = run_analyze(source, workdir, args.themes)
            print(f"analyze 30,000 texts (--themes {args.themes}):", json.dumps(result))
            wall, cpu = tokenizer_only(texts)
            print(
                f"spaCy tokenizer alone on the same texts: {wall:.1f} s wall, {cpu:.1f} s CPU; analyze / tokenizer "
                f"= {result['wall_s'] / wall:.1f}x wall, {result['cpu_s'] / cpu:.1f}x CPU"
            )
        if args.scale > 1:
            scaled = workdir / "scaled.csv"
            n = write_scaled(source, scaled, args.scale)
            result = run_analyze(scaled, workdir, args.themes)
            print(f"analyze {n:,} texts (--themes {args.themes}):", json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
