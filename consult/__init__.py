"""The consultation platform of the Délégation au numérique en santé."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

from consult.config import PROJECT_ROOT, Server, load_config

# One blueprint per feature (each module exposes `bp`), in the order of a visitor's path through the site.
FEATURES = (
    "consult.pages.views",
    "consult.auth.views",
    "consult.account.views",
    "consult.consultations.views",
    "consult.contributions.views",
    "consult.analysis.views",
    "consult.votes.views",
    "consult.comments.views",
    "consult.flags.views",
    "consult.moderation.views",
    "consult.taxonomy.views",
    "consult.assistant.views",
    "consult.api.views",
    "consult.admin.views",
    "consult.admin.consultations",
    "consult.dashboard.views",
    "consult.reports.views",
    "consult.opendata.views",
)


def create_app(test_config: dict | None = None, *, server: Server | None = None) -> Flask:
    """Create and configure an instance of the Flask application.

    `server` says how the process uses it ("wsgi", "development" or "none"); by default it is detected
    and, failing closed, anything but the `consult` command line is a WSGI server (see config.check_config).
    """
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    load_config(app, test_config, server=server)

    from consult import analysis, auth, db, errors, i18n, inputs, jobs, mail, outages, security
    from consult.cli import register_commands
    from consult.extensions import csrf, htmx, limiter

    inputs.init_app(app)  # converters first: the blueprints' routes use them
    db.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    outages.init_app(app)
    jobs.init_app(app)
    mail.init_app(app)
    analysis.init_app(app)

    for module in FEATURES:
        app.register_blueprint(import_module(module).bp)
    csrf.exempt(app.blueprints["api"])  # read-only GET API, no cookies needed

    register_commands(app)
    return app
