"""The assistant's fitted models are cached on disk: a fresh process replies without retraining."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from consult.assistant import cache
from consult.assistant.engine import Assistant
from consult.assistant.models import IntentModel

CONFIG = Path(__file__).resolve().parents[2] / "config" / "assistant"


@pytest.fixture
def config_copy(tmp_path):
    target = tmp_path / "assistant"
    shutil.copytree(CONFIG, target)
    return target


def test_second_build_reads_the_cache_instead_of_fitting(config_copy, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    first = Assistant.build(config_copy, cache_dir=cache_dir)
    [saved] = cache_dir.glob("assistant-*.joblib")

    def refuse(*args, **kwargs):
        raise AssertionError("the cached model should have been read")

    monkeypatch.setattr(IntentModel, "fit", refuse)
    second = Assistant.build(config_copy, cache_dir=cache_dir)
    text = first.normalize("c koi l'ins")
    assert second.intents.probabilities(text) == first.intents.probabilities(text)
    assert second.retriever.rank(text) == first.retriever.rank(text)
    assert saved.exists()


def test_changed_training_file_changes_the_key_and_replaces_the_old_file(config_copy, tmp_path):
    cache_dir = tmp_path / "cache"
    Assistant.build(config_copy, cache_dir=cache_dir)
    before = cache.cache_key(config_copy)
    intents = config_copy / "intents.yaml"
    intents.write_text(intents.read_text(encoding="utf-8").replace("- coucou\n", "- coucou\n    - kikou\n", 1))
    assert cache.cache_key(config_copy) != before
    Assistant.build(config_copy, cache_dir=cache_dir)
    assert [path.name for path in cache_dir.glob("assistant-*.joblib")] == [
        f"assistant-{cache.cache_key(config_copy)}.joblib"
    ]


def test_corrupt_cache_file_is_refitted(config_copy, tmp_path):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    path = cache_dir / f"assistant-{cache.cache_key(config_copy)}.joblib"
    path.write_bytes(b"not a pickle")
    engine = Assistant.build(config_copy, cache_dir=cache_dir)
    assert engine.retriever.rank(engine.normalize("a quoi sert l'ins"))[0][0] == "ins"
    assert path.stat().st_size > 1000  # rewritten with the real fit
