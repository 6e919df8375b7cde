"""Command line of the nlp library: `python -m nlp analyze …` and `python -m nlp opinions …`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "analyze": "nlp.commands.analyze",
    "opinions": "nlp.commands.opinions",
}

USAGE = """usage: python -m nlp {analyze,opinions} [options]

  analyze   themes, ethical principles, duplicates and personal data of a CSV of French texts
  opinions  Pol.is-style opinion groups from a participants x statements vote matrix

`python -m nlp COMMAND --help` for the options of a command."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr if argv and argv[0] not in {"-h", "--help"} else sys.stdout)
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return module.main(argv[1:])
