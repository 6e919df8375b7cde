"""Syntheses and open data at scale (issue 8), each step a `consult` command in its own process.

    python -m bench.reports grand-debat [--url URL] [--themes auto] [--voters 300]
        import the 30,000 Grand débat answers (consult import), analyse them (consult analyse --wait), then write
        the PDF, DOCX and XLSX syntheses (consult report): time, CPU time and peak memory of each process
    python -m bench.reports opendata [--url URL] [--sizes 10000:100000,100000:1000000]
        open data export (consult export-opendata) of generated consultations of N contributions and M votes
        (bench.participation's generator): time and peak memory at each size, to show memory stays flat
    (from a worktree add --data /work/shared/data/granddebat-2019-sample)

The Grand débat sample (../shared/data, read in place, never copied) has no votes: `--voters` adds seeded synthetic
votes (two camps) so that the syntheses have opinion groups. Figures are noisy on a shared machine: the load
average is printed beside them; CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "granddebat-2019-sample"
OUT = ROOT / "bench" / "out"
SLUG = "grand-debat-echantillon"
SEED = 8


def run_step(label: str, args: list[str], url: str) -> dict:
    """Run `consult ARGS` in a fresh process; return its wall time, CPU time and peak resident memory."""
    env = {**os.environ, "CONSULT_DATABASE_URL": url, "HF_HUB_OFFLINE": "1"}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "consult"), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{label} failed ({process.returncode}):\n{output}")
    result = {
        "step": label,
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "load": round(load, 1),
        "output": output.strip().splitlines()[-1] if output.strip() else "",
    }
    print(
        f"{label:<28} {result['wall_s']:>8.1f} s wall {result['cpu_s']:>8.1f} s CPU {result['peak_mb']:>6} MB peak"
        f"   (load {result['load']})  {result['output'][:160]}",
        flush=True,
    )
    return result


def in_child(function, *args):
    """Run `function(*args)` in a fresh interpreter and return its result.

    The steps' peak memory is read from their process's rusage, and a child forked from a big parent starts with
    the parent's resident pages (Linux keeps that high-water mark across exec): the set-up work that loads the
    app and generates rows must not grow this process, or every later step's peak would include it.
    """
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def _fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def add_votes(url: str, voters: int, per_voter: int) -> int:  # run in a child: see in_child
    """Seeded votes in two camps (each agrees with one half of the answers), counters kept exact."""
    from sqlalchemy import insert, text
    from sqlmodel import Session, select

    from consult import create_app
    from consult.models import Contribution, User, Vote, utcnow

    app = create_app({"DATABASE_URL": url}, server="none")
    engine = app.extensions["consult.engine"]
    rng = random.Random(SEED)
    with Session(engine) as session:
        ids = list(session.exec(select(Contribution.id).order_by(Contribution.id)))
        now = utcnow()
        session.execute(
            insert(User),
            [{"pseudonym": f"Votant banc {n}", "role": "citizen", "created_at": now} for n in range(voters)],
        )
        users = list(session.exec(select(User.id).where(User.pseudonym.like("Votant banc %"))))
        rows = []
        for user in users:
            for cid in rng.sample(ids, per_voter):
                agrees = (cid % 2 == user % 2) == (rng.random() < 0.8)
                rows.append(
                    {
                        "contribution_id": cid,
                        "user_id": user,
                        "value": 1 if agrees else -1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        session.execute(insert(Vote), rows)
        count = "(SELECT count(*) FROM vote WHERE vote.contribution_id = contribution.id{})"
        session.execute(
            text(
                f"UPDATE contribution SET agree_count = {count.format(' AND value = 1')}, "
                f"disagree_count = {count.format(' AND value = -1')}, vote_count = {count.format('')}"
            )
        )
        session.commit()
    engine.dispose()
    return len(rows)


def grand_debat(url: str, themes: str, voters: int) -> None:
    answers = DATA / "responses_sample.csv"
    if not answers.is_file():
        sys.exit(f"needs the shared data: {answers} not found (--data DIR)")
    _fresh_database(url)
    OUT.mkdir(parents=True, exist_ok=True)
    run_step("migrate", ["db", "upgrade"], url)
    run_step("create consultation", [
        "consultation", "create", "--slug", SLUG, "--title", "Grand débat national (échantillon)",
        "--summary", "30 000 réponses du Grand débat national de 2019 (transition écologique, fiscalité).",
        "--question", "La transition écologique ; la fiscalité et les dépenses publiques.",
        "--opens", "2019-01-15", "--closes", "2019-03-18",
    ], url)  # fmt: skip
    results = [
        run_step("import 30,000 answers", ["import", str(answers), "--consultation", SLUG, "--format", "csv"], url)
    ]
    if voters:
        started = time.perf_counter()
        n = in_child(add_votes, url, voters, 60)
        print(f"{'synthetic votes':<28} {time.perf_counter() - started:>8.1f} s   {n} votes by {voters} voters")
    results.append(run_step("analyse", ["analyse", SLUG, "--wait", "--themes", themes, "--timeout", "7200"], url))
    for fmt in ("pdf", "docx", "xlsx"):
        results.append(run_step(f"report {fmt}", ["report", SLUG, "--format", fmt, "--out", str(OUT)], url))
    print("\n| step | wall (s) | CPU (s) | peak memory (MB) | load |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['step']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_mb']} | {r['load']} |")


def generate(url: str, contributions: int, votes: int) -> None:
    """A consultation of `contributions` and `votes` made by bench.participation's generator."""
    from bench.participation import Sizes, load
    from consult import create_app

    app = create_app({"DATABASE_URL": url}, server="none")
    load(app.extensions["consult.engine"], Sizes(contributions, votes, max(2_000, votes // 50)))
    app.extensions["consult.engine"].dispose()


def opendata(url: str, sizes: list[tuple[int, int]]) -> None:
    from bench.participation import SLUG as PARTICIPATION_SLUG

    rows = []
    for contributions, votes in sizes:
        _fresh_database(url)
        started = time.perf_counter()
        in_child(generate, url, contributions, votes)
        print(f"generated {contributions} contributions, {votes} votes in {time.perf_counter() - started:.0f} s")
        with tempfile.TemporaryDirectory() as folder:
            result = run_step(
                f"export {contributions}/{votes}", ["export-opendata", PARTICIPATION_SLUG, "--out", folder], url
            )
            files = {p.name: p.stat().st_size for p in Path(folder).iterdir()}
        result["files"] = files
        rows.append((contributions, votes, result))
    print("\n| contributions | votes | wall (s) | CPU (s) | peak memory (MB) | files (MB) | load |")
    print("|---:|---:|---:|---:|---:|---|---:|")
    for contributions, votes, r in rows:
        files = ", ".join(f"{name} {size / 1e6:.1f}" for name, size in sorted(r["files"].items()) if size > 100_000)
        print(
            f"| {contributions:,} | {votes:,} | {r['wall_s']} | {r['cpu_s']} | {r['peak_mb']} | {files} | {r['load']} |"
        )


def main(argv: list[str] | None = None) -> None:
    global DATA
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["grand-debat", "opendata"])
    parser.add_argument("--url", default=None, help="database URL (a SQLite file in /tmp by default)")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the Grand débat sample")
    parser.add_argument("--themes", default="auto", help="themes of the analysis: a number or auto")
    parser.add_argument("--voters", type=int, default=300, help="synthetic voters (60 votes each); 0 for none")
    parser.add_argument("--sizes", default="10000:100000,100000:1000000", help="contributions:votes,…")
    args = parser.parse_args(argv)
    DATA = args.data
    if args.part == "grand-debat":
        grand_debat(args.url or "sqlite:////tmp/consult-bench-reports.db", args.themes, args.voters)
    else:
        sizes = [tuple(int(n) for n in size.split(":")) for size in args.sizes.split(",")]
        opendata(args.url or "sqlite:////tmp/consult-bench-opendata.db", sizes)


if __name__ == "__main__":
    main()
