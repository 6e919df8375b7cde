"""Values interpolated into translated messages are escaped in pages (issue 10, defect 8)."""

import ast
from html import unescape
from pathlib import Path

from flask import render_template_string

from consult.i18n import lazy_gettext as _l

PAYLOAD = '<img src=x onerror="alert(1)">'
CONSULT = Path(__file__).resolve().parents[2] / "consult"


def test_lazy_string_escapes_its_values_in_html_and_not_in_text(app):
    message = _l("Votre texte « %(text)s » fait %(n)d caractères (100 %%).", text=PAYLOAD, n=3)
    with app.test_request_context():
        html = render_template_string("<p>{{ message }}</p>", message=message)
        assert PAYLOAD not in html
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html and "100 %" in html
        assert str(message) == f"Votre texte « {PAYLOAD} » fait 3 caractères (100 %)."


def test_lazy_string_without_values_keeps_its_text(app):
    with app.test_request_context():
        html = render_template_string("{{ m }}", m=_l("Accès refusé"))
    assert html == "Accès refusé"


def test_lazy_string_is_translated_before_escaping(app, client):
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        message = _l("Le mot de passe doit contenir au moins %(n)s caractères.", n="<12>")
        assert (
            render_template_string("{{ m }}", m=message) == "The password must contain at least &lt;12&gt; characters."
        )


def test_comment_refused_for_personal_data_does_not_echo_html(client, make_user, sign_in, contribution):
    sign_in(make_user())
    body = f"{PAYLOAD} Appelez ma voisine Marie Dupont au 06 12 34 56 78, elle est diabétique."
    for headers in (None, {"HX-Request": "true"}):
        response = client.post(f"/contributions/{contribution.id}/commentaires", data={"body": body}, headers=headers)
        html = response.get_data(as_text=True)
        assert "données personnelles" in unescape(html)
        assert PAYLOAD not in html and "<img" not in html


def test_no_module_uses_flask_babels_unescaped_lazy_strings():
    """Every lazy translation goes through consult.i18n.lazy_gettext, which escapes its values."""
    offenders = []
    for path in CONSULT.rglob("*.py"):
        if path.name == "i18n.py" and path.parent == CONSULT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flask_babel"):
                names = {alias.name for alias in node.names}
                if names & {"lazy_gettext", "lazy_ngettext", "lazy_pgettext", "lazy_npgettext", "LazyString"}:
                    offenders.append(f"{path.relative_to(CONSULT.parent)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr.startswith("lazy_") and _is_flask_babel(node.value):
                offenders.append(f"{path.relative_to(CONSULT.parent)}:{node.lineno}")
    assert offenders == []


def _is_flask_babel(node) -> bool:
    return isinstance(node, ast.Name) and node.id == "flask_babel"
