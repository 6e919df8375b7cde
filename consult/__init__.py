"""The consultation platform of the Délégation au numérique en santé."""

from __future__ import annotations

from flask import Flask

from consult.config import PROJECT_ROOT, load_config


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    load_config(app, test_config)

    from consult import auth, db, errors, i18n, security
    from consult.extensions import csrf, htmx, limiter

    db.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)

    from consult.account.views import bp as account_bp
    from consult.admin.consultations import bp as admin_consultations_bp
    from consult.admin.views import bp as admin_bp
    from consult.analysis.views import bp as analysis_bp
    from consult.api.views import bp as api_bp
    from consult.auth.views import bp as auth_bp
    from consult.comments.views import bp as comments_bp
    from consult.consultations.views import bp as consultations_bp
    from consult.contributions.views import bp as contributions_bp
    from consult.flags.views import bp as flags_bp
    from consult.pages.views import bp as pages_bp
    from consult.taxonomy.views import bp as taxonomy_bp
    from consult.votes.views import bp as votes_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(contributions_bp)
    app.register_blueprint(taxonomy_bp)
    app.register_blueprint(admin_consultations_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # read-only GET API, no cookies needed
    app.register_blueprint(votes_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(flags_bp)
    app.register_blueprint(analysis_bp)

    from consult.cli import register_commands

    register_commands(app)
    return app
