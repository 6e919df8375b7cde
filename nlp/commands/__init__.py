"""Subcommands of `python -m nlp`; each module has build_parser(), run(args) and main(argv)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


class InputError(Exception):
    """A problem with the user's input, reported without a traceback."""


def run_command(parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int], argv: list[str]) -> int:
    """Parse `argv` and run; user errors give exit code 2 and a one-line message on stderr."""
    args = parser.parse_args(argv)
    try:
        return run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. an output directory that does not exist
        print(f"error: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2
