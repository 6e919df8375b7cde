"""A disk cache of the fitted models, so a fresh process (CLI, web worker) replies without retraining.

The key hashes what the fit depends on: the training files, the thresholds, the code of the models and
of the normaliser, and the versions of the libraries that pickle them. Training is deterministic, so a
cached model and a freshly fitted one are the same; a corrupt or unreadable file is ignored and refitted.
Only files this process writes into the instance folder are ever loaded (pickles are code).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy
import scipy
import sklearn

from consult.assistant import models, text

log = logging.getLogger(__name__)
TRAINING_FILES = ("intents.yaml", "knowledge.yaml", "normalization.yaml", "thresholds.yaml")


def cache_key(config_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in TRAINING_FILES:
        path = config_dir / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    for module in (models, text):
        digest.update(Path(module.__file__).read_bytes())
    versions = (sys.version_info[:2], sklearn.__version__, numpy.__version__, scipy.__version__, joblib.__version__)
    digest.update(repr(versions).encode())
    return digest.hexdigest()[:24]


def cached(cache_dir: Path | None, config_dir: Path, fit: Callable[[], object]) -> object:
    """`fit()`'s result, read from `cache_dir` when a file for the same inputs exists, else fitted and saved."""
    if cache_dir is None:
        return fit()
    path = cache_dir / f"assistant-{cache_key(config_dir)}.joblib"
    if path.exists():
        try:
            return joblib.load(path)
        except Exception:  # noqa: BLE001 - a truncated or stale file is refitted, never trusted
            log.warning("assistant model cache %s unreadable: refitting", path)
    fitted = fit()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: concurrent workers never read a half-written file.
        handle, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".assistant-", suffix=".tmp")
        os.close(handle)
        joblib.dump(fitted, tmp)
        os.replace(tmp, path)
        for old in cache_dir.glob("assistant-*.joblib"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:  # a read-only instance folder only costs the refit
        log.warning("assistant model cache not written (%s)", error)
    return fitted
