"""The rejection reasons moderators choose from, read from config/moderation.yaml (edited by the team)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from consult.config import PROJECT_ROOT


@dataclass(frozen=True)
class RejectionReason:
    key: str
    label: str  # French, shown to moderators
    label_en: str
    text: str  # shown to the author
    details_required: bool = False

    def label_for(self, locale: str) -> str:
        return self.label_en if locale == "en" and self.label_en else self.label


def load_reasons(path: str) -> dict[str, RejectionReason]:
    """Read the reasons, keyed by their stable key; a malformed file fails loudly at first use."""
    return _load(str(PROJECT_ROOT / path if not Path(path).is_absolute() else Path(path)))


@cache
def _load(path: str) -> dict[str, RejectionReason]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    reasons = [RejectionReason(**entry) for entry in data["rejection_reasons"]]
    if not reasons or len({r.key for r in reasons}) != len(reasons):
        raise ValueError(f"{path}: rejection_reasons must be a non-empty list with unique keys")
    return {reason.key: reason for reason in reasons}
