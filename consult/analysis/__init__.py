"""The bridge to the nlp library: automatic labels, analysis runs, learning from moderators' labels."""

from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from consult.analysis.labels import label_models
    from consult.config import PROJECT_ROOT

    label_models.configure(str(PROJECT_ROOT / app.config["TAXONOMY_PATH"]))
    if app.config["ANALYSIS_PRELOAD"] and not app.testing:
        started = threading.Event()

        @app.before_request
        def preload_label_models() -> None:
            # spaCy and the classifiers take seconds to load: do it once, beside the first request, not in it.
            if not started.is_set():
                started.set()
                threading.Thread(target=_preload, args=(app,), name="label-models-preload", daemon=True).start()


def _preload(app: Flask) -> None:
    from consult.analysis.labels import label_models
    from consult.analysis.services import find_personal_data
    from consult.db import get_session

    try:
        with app.app_context():
            label_models.refresh(get_session())
            # The personal-data detector loads its own spaCy pipeline (NER) for the first text that names someone:
            # ~2 s that the first submission or moderation panel of each process would otherwise pay.
            find_personal_data("Bonjour, je suis Camille Martin et j'habite à Lyon.")
    except Exception:  # the first submission will load them instead
        log.exception("preloading the label models failed")
