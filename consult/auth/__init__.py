"""Accounts and roles: sign-up, login, password change, and the guards of protected routes."""

from flask import Flask

from consult.auth.access import load_current_user, role_label


def init_app(app: Flask) -> None:
    app.before_request(load_current_user)
    app.add_template_global(role_label)

    @app.context_processor
    def inject_user():
        from flask import g

        return {"current_user": g.get("user")}
