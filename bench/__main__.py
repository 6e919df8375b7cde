"""`python -m bench` (`make bench`): list the benchmarks and how to run each; running them all would take hours."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    print("Benchmarks (figures recorded in bench/RESULTS.md); run one with the command shown:\n")
    for path in sorted(HERE.glob("*.py")):
        if path.stem.startswith("_") or path.stem == "servers":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        print(f"  .venv/bin/python -m bench.{path.stem}")
        print(f"      {doc.splitlines()[0] if doc else ''}")


if __name__ == "__main__":
    main()
