"""French first, English translation: locale from the user's choice, else the browser's, else French."""

from flask import Flask, current_app, g, has_request_context, session
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from consult.extensions import babel


class EscapingLazyString(LazyString):
    """A lazy translation whose interpolated values are escaped when it is rendered in HTML.

    flask-babel's LazyString declares its whole text safe (`__html__` returns it as is), so a value
    interpolated into it (a pseudonym, a submitted text) would reach the page unescaped. Here the
    translated sentence is escaped as text and the values are escaped by Markup's `%`; `str()` is
    unchanged (plain text for the JSON API, the CLI and logs).
    """

    def __html__(self) -> Markup:
        (string,) = self._args
        template = escape(gettext(string))  # the sentence alone, its %(name)s placeholders intact
        return template % self._kwargs if self._kwargs else template


def lazy_gettext(string: str, **variables) -> EscapingLazyString:
    """Translate `string` when it is used, with `variables` escaped in HTML (use as `_l`)."""
    return EscapingLazyString(gettext, string, **variables)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs speak French
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    user = g.get("user")
    if user is not None and user.locale in languages:
        return user.locale
    # French first: English only when chosen, so a visitor never lands on a half-translated page.
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["content_lang"] = content_lang
    app.jinja_env.filters["localized_label"] = localized_label


def localized_label(item) -> str:
    """A theme's, principle's or dimension's wording in the interface's language (the English UI showed French)."""
    from flask_babel import get_locale

    return item.label(str(get_locale() or "fr"))


def content_lang() -> Markup:
    """` lang="fr"` on citizens' French text when the interface is in another language (RGAA 8.7), else nothing."""
    from flask_babel import get_locale

    return Markup("") if str(get_locale()) == "fr" else Markup(' lang="fr"')
