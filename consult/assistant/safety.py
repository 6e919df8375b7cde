"""Safety rules read before anything else: medical questions, emergencies and suicidal distress."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

# Most severe first: a message matching several levels gets the most protective reply.
LEVELS = ("distress", "emergency", "medical")


@dataclass(frozen=True)
class SafetyRules:
    patterns: dict[str, tuple[re.Pattern[str], ...]]
    # Words of a question ABOUT digital-health tools ("l'IA d'aide au diagnostic est-elle fiable ?"): the
    # intent model alone then needs more confidence to call it medical. The rules above are never relaxed.
    about_tools: tuple[re.Pattern[str], ...] = ()

    def is_about_tools(self, normalized: str) -> bool:
        return any(pattern.search(normalized) for pattern in self.about_tools)

    def assess(self, normalized: str) -> tuple[str | None, list[str]]:
        """Return the most severe level whose rules match the normalised message, and the words that did."""
        for level in LEVELS:
            hits = [m.group(0) for pattern in self.patterns.get(level, ()) if (m := pattern.search(normalized))]
            if hits:
                return level, hits
        return None, []


def _compile(pattern: str) -> re.Pattern[str]:
    # The normaliser turns hyphens into spaces and may split elisions ("j' ai"): let the rule match both.
    source = pattern.strip().replace("-", " ")
    source = re.sub(r"\s+", r"\\s+", source)
    source = re.sub(r"'(?:\\s\+)?", r"'\\s*", source)
    return re.compile(rf"(?<![a-z0-9])(?:{source})(?![a-z0-9])")


@cache
def load_safety(path: str | Path) -> SafetyRules:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return SafetyRules(
        {level: tuple(_compile(p) for p in data.get(level) or ()) for level in LEVELS},
        about_tools=tuple(_compile(p) for p in data.get("about_tools") or ()),
    )
