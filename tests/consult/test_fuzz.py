"""Fuzzing (issue 10): hypothesis drives the test client against every form and query parameter of the HTML site
and every operation of the JSON API, with hostile values (unicode, control characters, NUL, huge strings, HTML
and htmx attributes, numbers and dates out of range, repeated and missing fields).

The forms and links are not listed by hand: each page of the URL map is fetched as a visitor allowed to see it
(the policy of the authorisation matrix), and its forms (with their CSRF token), htmx elements and links are read.
For every request: never a 5xx; HTML never shows the hostile markup unescaped; API answers are JSON; a refused
request changes nothing (every table holds the same rows, value for value).

Bounded and reproducible: a fixed seed (derandomize, no example database), a fixed number of examples per form,
parameter set and API operation; about a minute per database. Runs on PostgreSQL too (scripts/test.sh).
"""

from __future__ import annotations

import json
import os
import re
import time
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from consult.auth.tokens import make_token
from consult.comments.services import create_comment
from consult.models import ContributionStatus, Role
from tests.consult.contribution_factories import add_contribution, add_vote
from tests.consult.fuzz_support import (
    CURSOR_NAMES,
    Field,
    Form,
    crafted_cursor,
    hostile_number,
    hostile_text,
    query_parameters,
    read_page,
    table_digests,
    unescaped_markup,
)
from tests.consult.test_authorisation_matrix import POLICY, PUBLIC, SIGNED_IN

# For a longer hunt by hand: CONSULT_FUZZ_SEED=<n> draws other values, CONSULT_FUZZ_SCALE=<k> k times as many.
# make test keeps the fixed seed and these numbers (about a minute per database).
FUZZ_SEED = os.environ.get("CONSULT_FUZZ_SEED")
SCALE = int(os.environ.get("CONSULT_FUZZ_SCALE", "1"))
FORM_EXAMPLES = 15 * SCALE
PASSWORD_FORM_EXAMPLES = 5 * SCALE
QUERY_EXAMPLES = 10 * SCALE
PATH_EXAMPLES = 6 * SCALE
API_EXAMPLES = 40 * SCALE
# Routes whose accepted POST starts real work (an analysis, model training, an import, a language model call):
# the matrix does not probe them either. Their forms are still read and their pages fuzzed.
# The assistant answers without a language model here (LLM_BASE_URL is empty): its messages are fuzzed.
NOT_POSTED = {endpoint for endpoint, policy in POLICY.items() if not policy.probe_post} - {"assistant.message"}
# Forms shown only deep in a conversation (an anonymous visitor sending a drafted contribution): not reached.
NOT_REACHED = {"assistant.login", "assistant.signup"}
# Said to the assistant before its page is read, so that its draft, vote, sign-in and sign-up cards show.
ASSISTANT_OPENERS = ("Je veux voter", "Je voudrais proposer une idée sur le partage des données de santé")
# Files built on request (PDF, office documents, ZIP): each takes seconds, their filters are tested elsewhere.
NOT_FETCHED = {"reports.download", "opendata.export_zip", "static", "auth.logout"}
# Tables a refused request may still write to, and why.
MAY_CHANGE_WHEN_REFUSED: set[str] = set()
DURATIONS: dict[str, float] = {}
VISITORS = ("anonymous", "citizen", "moderator", "analyst", "admin")
SETTINGS = settings(
    derandomize=FUZZ_SEED is None,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: each failure carries its request, and time is bounded
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def _seeded(test):
    return seed(int(FUZZ_SEED))(test) if FUZZ_SEED is not None else test


# --- the site to fuzz --------------------------------------------------------------------------------------------


@pytest.fixture
def fuzz_app(app):
    app.config["WTF_CSRF_ENABLED"] = True  # forms are sent with the token their page gave
    app.config["CONTRIBUTIONS_PAGE_SIZE"] = 1  # so that the lists have a next page, and its cursor is fuzzed
    return app


@pytest.fixture
def site(fuzz_app, session, make_user, make_consultation):
    consultation = make_consultation(slug="fuzz")
    citizen = make_user(pseudonym="Citoyen fuzz")
    users = {
        "anonymous": None,
        "citizen": citizen,
        "moderator": make_user(Role.MODERATOR),
        "analyst": make_user(Role.ANALYST),
        "admin": make_user(Role.ADMIN),
    }
    other = make_user()
    mine = add_contribution(session, consultation, citizen, title="Ma proposition à fuzzer")
    theirs = add_contribution(session, consultation, other, title="Une autre proposition")
    add_contribution(session, consultation, other, status=ContributionStatus.PENDING)
    # Only a contribution awaiting moderation can be edited by its author.
    draft = add_contribution(session, consultation, citizen, status=ContributionStatus.PENDING, title="En attente")
    add_vote(session, theirs, other, 1)
    comment = create_comment(session=session, contribution=theirs, author=citizen, body="Un commentaire à fuzzer.")
    create_comment(session=session, contribution=theirs, author=other, body="Une réponse.", parent_id=comment.id)
    session.commit()
    unconfirmed = make_user(email_verified_at=None)
    secret = fuzz_app.config["SECRET_KEY"]
    return SimpleNamespace(
        app=fuzz_app,
        engine=fuzz_app.extensions["consult.engine"],
        slug=consultation.slug,
        users=users,
        contribution=mine,
        other_contribution=theirs,
        pending_contribution=draft,
        comment=comment,
        tokens={
            "auth.confirm_email": make_token(unconfirmed, purpose="confirm-email", secret_key=secret),
            "auth.reset_password": make_token(other, purpose="reset-password", secret_key=secret),
        },
        clients={},
        csrf={},
        header_tokens={},
        seeded=_snapshot(session),
    )


def _snapshot(session) -> dict:
    """Statuses and roles to put back before each form, so one accepted withdrawal or role change does not
    leave the next forms with nothing to act on."""
    return {
        "contribution": dict(session.exec(text("SELECT id, status FROM contribution")).all()),
        "comment": dict(session.exec(text("SELECT id, status FROM comment")).all()),
        "user": dict(session.exec(text('SELECT id, role FROM "user"')).all()),
    }


def _restore(site) -> None:
    with site.engine.begin() as connection:
        for table, column in (("contribution", "status"), ("comment", "status"), ('"user"', "role")):
            for row_id, value in site.seeded[table.strip('"')].items():
                connection.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :i"), {"v": value, "i": row_id})


def _client(site, visitor: str):
    """The visitor's browser, signed in again (a fuzzed logout or password change ends its session) with the
    CSRF secret its forms were read with."""
    client = site.clients.setdefault(visitor, site.app.test_client())
    user = site.users[visitor]
    with client.session_transaction() as http_session:
        http_session.pop("user_id", None)
        if user is not None:
            with site.engine.connect() as connection:
                version = connection.execute(
                    text('SELECT session_version FROM "user" WHERE id = :i'), {"i": user.id}
                ).scalar_one()
            http_session["user_id"], http_session["user_version"] = user.id, version
        if visitor in site.csrf:
            http_session["csrf_token"] = site.csrf[visitor]
    return client


def _allowed(policy, visitor: str) -> bool:
    if policy.who == PUBLIC:
        return visitor in ("anonymous", "citizen")
    if policy.who == SIGNED_IN:
        return visitor == "citizen"
    return visitor in policy.who  # admins pass every role check, but visit only their own pages here


def _path(rule, site, **overrides: str) -> str:
    values = _path_values(rule, site) | {name: quote(value, safe="") for name, value in overrides.items()}
    path = rule.rule
    for argument in rule.arguments:
        for pattern in (f"<{argument}>", f"<int:{argument}>", f"<path:{argument}>"):
            path = path.replace(pattern, str(values[argument]))
    return path


def _path_values(rule, site) -> dict:
    return {
        "slug": site.slug,
        "contribution_id": site.contribution.id,
        "comment_id": site.comment.id,
        "user_id": site.users["citizen"].id,
        "lang": "en",
        "action": "masquer",
        "token": site.tokens.get(rule.endpoint, "lien-inconnu"),
        "run_id": 1,
        "fmt": "json",
    }


def _pages(site):
    """Each page of the URL map, with the citizen's contribution and with someone else's."""
    for rule in sorted(site.app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_FETCHED or rule.rule.startswith("/api/"):
            continue
        yield rule, _path(rule, site)
        if "contribution_id" in rule.arguments:
            for other in (site.other_contribution, site.pending_contribution):
                yield rule, _path(rule, site, contribution_id=str(other.id))


def _open_assistant(client) -> None:
    reader = read_page("/assistant/", client.get("/assistant/").get_data(as_text=True))
    (form,) = [f for f in reader.forms if urlsplit(f.action).path == "/assistant/message"][:1]
    for said in ASSISTANT_OPENERS:
        data = {"csrf_token": form.fields["csrf_token"].values[0], "text": said}
        assert client.post(form.action, data=data).status_code < 400


def discover(site):
    """Per visitor: the forms of every page it may see, the query parameters of its links, and its CSRF token.

    A form seen by an earlier visitor (the login form, the logout button) is fuzzed once, as that visitor.
    """
    found: dict[str, tuple[list[Form], dict]] = {}
    seen: set[tuple] = set()
    for visitor in VISITORS:
        forms: dict[tuple, Form] = {}
        links: list[str] = []
        client = _client(site, visitor)
        if visitor in ("anonymous", "citizen"):
            _open_assistant(client)
        for rule, page in _pages(site):
            if not _allowed(POLICY[rule.endpoint], visitor):
                continue
            response = client.get(page)
            assert response.status_code < 500, (visitor, page, response.status_code)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            reader = read_page(page, response.get_data(as_text=True))
            for form in reader.forms:
                # One form per route and set of fields (the role form of each user is the same form).
                key = (form.method, re.sub(r"/\d+", "/N", urlsplit(form.action).path), tuple(sorted(form.fields)))
                if key not in seen:
                    forms.setdefault(key, form)
            links.extend(reader.links)
            if reader.csrf_header:  # what htmx sends for elements outside a form (X-CSRFToken)
                site.header_tokens[visitor] = reader.csrf_header
            links.extend(f.action for f in reader.forms if f.method == "get" and "?" in f.action)
        with client.session_transaction() as http_session:
            site.csrf[visitor] = http_session.get("csrf_token")
        get_forms = [f for f in forms.values() if f.method == "get"]
        parameters = query_parameters(links)
        for form in get_forms:  # a search or filter form: its fields are query parameters of its action
            names = parameters.setdefault(urlsplit(form.action).path, {})
            for name, spec in form.fields.items():
                names.setdefault(name, set()).update(spec.values)
        seen.update(forms)
        found[visitor] = ([f for f in forms.values() if f.method == "post"], parameters)
    return found


# --- drawing requests ----------------------------------------------------------------------------------------


def _looks_numeric(name: str, spec: Field) -> bool:
    return name in ("version", "page", "limit", "kept", "duplicate_of", "parent_id", "value") or (
        bool(spec.values) and all(v.lstrip("-").isdigit() for v in spec.values if v)
    )


def _values(name: str, spec: Field) -> st.SearchStrategy[list[str]]:
    """What to send for one field: nothing, one value or several; offered or hostile."""
    hostile = hostile_number() if _looks_numeric(name, spec) else hostile_text()
    if name in CURSOR_NAMES:
        hostile = st.one_of(hostile, crafted_cursor())
    one = st.one_of(st.sampled_from(spec.values), hostile) if spec.values else hostile
    return st.one_of(one.map(lambda v: [v]), st.just([]), st.lists(one, min_size=2, max_size=3))


def _form_data(form: Form) -> st.SearchStrategy[list[tuple[str, str]]]:
    fields = {
        name: _values(name, spec) for name, spec in form.fields.items() if name != "csrf_token" and spec.kind != "file"
    }
    extra = st.lists(st.tuples(hostile_text(), hostile_text()), max_size=1)  # a field the form does not have

    def flatten(drawn):
        chosen, unknown = drawn
        pairs = [(name, value) for name, values in chosen.items() for value in values]
        return pairs + [(name or "x", value) for name, value in unknown]

    return st.tuples(st.fixed_dictionaries(fields), extra).map(flatten)


def _describe(method: str, url: str, pairs) -> str:
    shown = [(k, v if len(v) < 80 else f"{v[:40]!r}…({len(v)} chars)") for k, v in pairs]
    return f"{method} {url} {shown}"


def _check(site, response, where: str, before: dict | None) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    shown = unescaped_markup(response)
    assert not shown, f"{where}: unescaped {shown}"
    for header in ("Location", "HX-Redirect", "HX-Location"):  # never sent to another site (`next`, Referer…)
        target = response.headers.get(header, "")
        parts = urlsplit(target.replace("\\", "/"))
        assert not target or (parts.netloc in ("", "localhost") and not target.startswith("//")), (
            f"{where}: {header} {target!r}"
        )
    if before is not None and response.status_code >= 400:
        after = table_digests(site.engine)
        changed = {
            t: (before[t], after[t]) for t in before if before[t] != after[t] and t not in MAY_CHANGE_WHEN_REFUSED
        }
        assert not changed, f"{where}: refused with {response.status_code} but changed tables {sorted(changed)}"


def _run(failures: list[str], label: str, test) -> None:
    """Run one hypothesis test, keeping its failure (with the request) and going on with the others."""
    started = time.monotonic()
    try:
        test()
    except Exception as exc:  # noqa: BLE001 - any exception out of the app is a 500 to report
        failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:600]}")
    DURATIONS[label] = time.monotonic() - started


def _endpoint(app, method: str, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method=method.upper())
    except HTTPException:
        return None
    return endpoint


# --- the tests ---------------------------------------------------------------------------------------------------


def _form_test(site, visitor: str, form: Form, stats: dict):
    # A password is checked with argon2, deliberately slow (about half a second here): fewer examples.
    checks_password = any("password" in name for name in form.fields)

    @_seeded
    @settings(SETTINGS, max_examples=PASSWORD_FORM_EXAMPLES if checks_password else FORM_EXAMPLES)
    @given(pairs=_form_data(form), htmx=st.booleans() if form.htmx else st.just(False), extra=_headers())
    def post_form(pairs, htmx, extra):
        client = _client(site, visitor)
        data = MultiDict(pairs)
        token = [v for v in form.fields.get("csrf_token", Field("hidden")).values if v]
        headers = {"HX-Request": "true", "HX-Current-URL": f"http://localhost{form.page}"} if htmx else extra
        if token:
            data.setlist("csrf_token", token[:1])
        elif visitor in site.header_tokens:  # an htmx element outside a form: the token comes as a header
            headers["X-CSRFToken"] = site.header_tokens[visitor]
        before = table_digests(site.engine)
        response = client.post(form.action, data=data, headers=headers)
        stats["requests"] += 1
        stats["statuses"][response.status_code] = stats["statuses"].get(response.status_code, 0) + 1
        # Refused for its token, the request would test nothing past the CSRF check.
        assert not (response.status_code == 400 and "jeton de sécurité" in response.get_data(as_text=True)), (
            f"as {visitor}: POST {form.action} refused for its CSRF token"
        )
        _check(site, response, f"as {visitor}: {_describe('POST', form.action, pairs)}", before)

    return post_form


# What an HTTP client can send in a header: Latin-1 without line breaks (the test client refuses the rest).
NO_LINE_BREAKS = str.maketrans("\r\n", "  ")


def _headers() -> st.SearchStrategy[dict]:
    """Request headers the app reads: htmx's, the language, where the visitor comes from."""
    latin1 = hostile_text().map(
        lambda v: v.encode("latin-1", "ignore").decode("latin-1").translate(NO_LINE_BREAKS)[:8000]
    )
    names = ("HX-Request", "HX-Current-URL", "HX-Target", "HX-Trigger", "Accept-Language", "Referer", "Accept")
    return st.dictionaries(st.sampled_from(names), st.one_of(st.just("true"), latin1), max_size=3)


def _query_test(site, visitor: str, path: str, query, stats: dict):
    @_seeded
    @settings(SETTINGS, max_examples=QUERY_EXAMPLES)
    @given(pairs=query, headers=_headers())
    def get_page(pairs, headers):
        client = _client(site, visitor)
        before = table_digests(site.engine)
        response = client.get(path, query_string=pairs, headers=headers)
        stats["requests"] += 1
        where = f"as {visitor}: {_describe('GET', path, pairs)}"
        _check(site, response, where, None)
        assert table_digests(site.engine) == before, f"{where}: a GET wrote rows"

    return get_page


# A failing example's repr (a huge string) warns; the failure itself is what counts.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")


def _rules_with_text_arguments(site, visitor: str):
    """The pages this visitor may see whose URL holds text (a slug, a token, a language, a format)."""
    for rule in sorted(site.app.url_map.iter_rules(), key=lambda r: r.rule):
        text_arguments = [a for a in rule.arguments if not isinstance(rule._converters[a], IntegerConverter)]
        if "GET" in rule.methods and text_arguments and rule.endpoint not in NOT_FETCHED:
            if not rule.rule.startswith("/api/") and _allowed(POLICY[rule.endpoint], visitor):
                yield rule


def _path_test(site, visitor: str, rule, stats: dict):
    names = [a for a in rule.arguments if not isinstance(rule._converters[a], IntegerConverter)]

    @_seeded
    @settings(SETTINGS, max_examples=PATH_EXAMPLES)
    @given(values=st.fixed_dictionaries({name: hostile_text() for name in names}))
    def get_path(values):
        path = _path(rule, site, **values)
        response = _client(site, visitor).get(path)
        stats["requests"] += 1
        _check(site, response, f"as {visitor}: GET {path[:200]}", None)

    return get_path


def test_fuzz_every_form_and_query_parameter(site, capsys):
    started = time.monotonic()
    found = discover(site)
    failures: list[str] = []
    stats = {"forms": 0, "parameter sets": 0, "paths": 0, "requests": 0, "statuses": {}}
    for visitor in VISITORS:
        forms, parameters = found[visitor]
        for form in forms:
            if _endpoint(site.app, "post", urlsplit(form.action).path) in NOT_POSTED:
                continue
            stats["forms"] += 1
            _restore(site)

            post_form = _form_test(site, visitor, form, stats)
            _run(failures, f"form {form.action} (page {form.page}, as {visitor})", post_form)
        for path, names in sorted(parameters.items()):
            if _endpoint(site.app, "get", path) in NOT_FETCHED:
                continue
            stats["parameter sets"] += 1
            query = st.fixed_dictionaries(
                {name: _values(name, Field("choice", sorted(v for v in values if v))) for name, values in names.items()}
            ).map(lambda chosen: [(n, v) for n, values in chosen.items() for v in values])

            get_page = _query_test(site, visitor, path, query, stats)
            _run(failures, f"query parameters of {path} (as {visitor})", get_page)
        for rule in _rules_with_text_arguments(site, visitor):
            stats["paths"] += 1
            _run(failures, f"path of {rule.rule} (as {visitor})", _path_test(site, visitor, rule, stats))
    posted = {_endpoint(site.app, "post", urlsplit(f.action).path) for forms, _ in found.values() for f in forms}
    post_routes = {rule.endpoint for rule in site.app.url_map.iter_rules() if "POST" in rule.methods}
    assert post_routes - posted - NOT_POSTED - NOT_REACHED == set(), "forms no page showed the fuzzer"
    with capsys.disabled():
        print(f"\nfuzz HTML: {stats} in {time.monotonic() - started:.1f} s")
        for label, seconds in sorted(DURATIONS.items(), key=lambda x: -x[1])[:5]:
            print(f"{seconds:6.2f} {label}")
    assert not failures, f"{len(failures)} failing:\n" + "\n".join(failures)
    assert stats["forms"] >= 25 and stats["parameter sets"] >= 8


# --- the JSON API ------------------------------------------------------------------------------------------------


def _api_value(parameter: dict, site) -> st.SearchStrategy:
    schema = parameter.get("schema", {})
    name = parameter["name"]
    if schema.get("type") == "integer":
        valid = st.integers(schema.get("minimum", 1), schema.get("maximum", 2**31 - 1))
        if name == "contribution_id":
            valid = st.sampled_from([site.contribution.id, site.other_contribution.id, 999_999])
        good = valid.map(str)
        bad = hostile_number()
    else:
        options = schema.get("enum") or ([site.slug] if name == "slug" else [])
        good = st.sampled_from(options) if options else st.text(max_size=schema.get("maxLength", 30))
        bad = st.one_of(hostile_text(), crafted_cursor()) if name in CURSOR_NAMES else hostile_text()
    return st.one_of(good, bad)


def _api_test(client, site, base, template, method, draw_path, draw_query, draw_body, stats):
    @_seeded
    @settings(SETTINGS, max_examples=API_EXAMPLES)
    @given(path_values=draw_path, query=draw_query, body=draw_body)
    def call(path_values, query, body):
        path = template
        for name, value in path_values.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        url = base + path
        before = table_digests(site.engine)
        kwargs = {"json": body} if body is not None else {}
        response = client.open(url, method=method.upper(), query_string=query, **kwargs)
        stats["requests"] += 1
        where = _describe(method.upper(), url, query)
        assert response.status_code < 500, f"{where}: {response.status_code}"
        assert table_digests(site.engine) == before, f"{where} wrote rows"
        if 300 <= response.status_code < 400:  # Werkzeug's redirect of an empty slug's "//": not an error
            assert urlsplit(response.location).path.startswith(base + "/"), f"{where}: to {response.location}"
            return
        assert response.mimetype == "application/json", f"{where}: {response.status_code} {response.mimetype}"
        json.loads(response.get_data(as_text=True))

    return call


def test_fuzz_every_api_operation(site, client, capsys):
    started = time.monotonic()
    document = client.get("/api/v1/openapi.json").get_json()
    base = urlsplit(document["servers"][0]["url"]).path.rstrip("/")
    failures: list[str] = []
    stats = {"operations": 0, "requests": 0}
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            stats["operations"] += 1
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            path_parameters = [p for p in parameters if p["in"] == "path"]
            query_parameters_ = [p for p in parameters if p["in"] == "query"]
            draw_path = st.fixed_dictionaries({p["name"]: _api_value(p, site) for p in path_parameters})
            draw_query = st.fixed_dictionaries(
                {
                    p["name"]: st.one_of(
                        st.just([]),
                        _api_value(p, site).map(lambda v: [v]),
                        st.lists(_api_value(p, site), min_size=2, max_size=3),
                    )
                    for p in query_parameters_
                }
            ).map(lambda chosen: [(n, v) for n, values in chosen.items() for v in values])
            draw_body = (
                st.recursive(
                    st.one_of(st.none(), st.booleans(), hostile_number(), hostile_text()),
                    lambda children: st.one_of(
                        st.lists(children, max_size=3), st.dictionaries(hostile_text(), children, max_size=3)
                    ),
                    max_leaves=8,
                )
                if "requestBody" in operation
                else st.just(None)
            )

            call = _api_test(client, site, base, template, method, draw_path, draw_query, draw_body, stats)
            _run(failures, f"{method.upper()} {template}", call)
    with capsys.disabled():
        print(f"\nfuzz API: {stats} in {time.monotonic() - started:.1f} s")
    assert not failures, f"{len(failures)} failing:\n" + "\n".join(failures)
    assert stats["operations"] >= 8


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ("<p>&lt;img src=x onerror=alert(1)&gt; ![x](x onerror=alert(3))</p>", False),
        (
            '<input value="&#34; hx-get=&#34;/fz-attr">'
            "<textarea>&lt;/textarea&gt;&lt;svg onload=alert(1)&gt;</textarea>",
            False,
        ),
        ("<p><img src=x onerror=alert(1)></p>", True),
        ('<input value="" hx-get="/fz-attr" hx-trigger="load">', True),
        ('<a href="javascript:alert(1)">cliquez</a>', True),
        ("<script>alert('fz')</script>", True),
    ],
)
def test_unescaped_markup_is_told_from_escaped_text(html, found):
    response = SimpleNamespace(mimetype="text/html", get_data=lambda as_text: html)
    assert bool(unescaped_markup(response)) is found


def test_the_page_reader_finds_forms_fields_and_htmx_posts():
    html = """<body hx-headers='{"X-CSRFToken": "tok"}'><form method="post" action="/a?x=1">
    <input type="hidden" name="csrf_token" value="c"><input name="title" value="t"><textarea name="body"></textarea>
    <select name="theme"><option value="">Tous</option><option value="sante">Santé</option></select>
    <div hx-post="/similar">…</div><button name="action" value="publier">Publier</button></form>
    <button hx-post="/vote" hx-vals='{"value": 1}'>+</button><a href="/list?sort=recent&page=2">2</a></body>"""
    reader = read_page("/page", html)
    form, similar, vote = reader.forms
    assert (form.method, form.action) == ("post", "/a?x=1")
    assert set(form.fields) == {"csrf_token", "title", "body", "theme", "action"}
    assert form.fields["theme"].values == ["", "sante"] and form.fields["action"].values == ["publier"]
    assert similar.action == "/similar" and similar.fields is form.fields
    assert vote.fields["value"].values == ["1"]
    assert reader.csrf_header == "tok"
    assert query_parameters(reader.links) == {"/list": {"sort": {"recent"}, "page": {"2"}}}
