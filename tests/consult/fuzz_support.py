"""What the fuzz tests share: hostile values, reading the forms and links of a page, counting rows.

The values are drawn by hypothesis from a fixed seed (derandomize): a failure is the same on every run.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

# Markup that must never come back as markup: HTML answers are parsed and searched for the elements and
# attributes these would create (see InjectedMarkup). An escaped copy (&lt;img …) is text, and fine.
MARKUP = (
    "<img src=x onerror=alert(1)>",
    "<script>alert('fz')</script>",
    '" hx-get="/fz-attr" hx-trigger="load',
    "' hx-post='/fz-attr2' x='",
    "<div hx-get=/fz-div hx-trigger=load>",
    "</textarea><svg onload=alert(1)>",
)
# Written raw so the Markdown renderer (consultation descriptions) sees them; it must not emit them as links.
MARKDOWN = ("[cliquez](javascript:alert(1))", "<a href=javascript:alert(2)>lien</a>", "![x](x onerror=alert(3))")
NUMBERS = (
    "-1",
    "0",
    "1.5",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "1" * 40,
    "1e309",
    "NaN",
    "inf",
    "²",
    "١٢",
    "0x10",
    " 7 ",
    "",
)
DATES = ("9999-12-31", "0001-01-01", "2024-02-30", "2026-13-01T25:61", "10000-01-01T00:00:00+99:00", "-1")
CONTROL = ("\x00", "\x01\x02\x1b[31m", "\x7f\x85\x9f", "\u202e\u200b\ufeff", "\r\n\r\n", "\t")
UNICODE = ("𝕮𝖔𝖓𝖘𝖚𝖑𝖙", "Ǆemain", "ﷺ" * 20, "é\u0301\u0301\u0301", "😷🏥" * 10, "İıß", "\u0000é\u0000")


def _huge() -> st.SearchStrategy[str]:
    # Over every field limit but under MAX_CONTENT_LENGTH (1 MiB) once several fields are sent.
    return st.sampled_from(("a" * 70_000, "é " * 20_000, MARKUP[0] * 1_500, "\x00" * 5_000, "9" * 5_000))


def hostile_text() -> st.SearchStrategy[str]:
    """Text a careless or malicious visitor may send."""
    atoms = st.one_of(
        st.sampled_from(MARKUP + MARKDOWN + NUMBERS + DATES + CONTROL + UNICODE),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    )
    joined = st.lists(atoms, min_size=1, max_size=4).map("".join)
    return st.one_of(joined, _huge())


CURSOR_NAMES = ("after", "before", "cursor")
SORT_NAMES = ("recent", "agree", "agreed", "divisive", "consensus", "least_voted", "relevance")


def crafted_cursor() -> st.SearchStrategy[str]:
    """A pagination cursor as the site encodes them (base64url of "key|id" or of a JSON array), with keys out of
    range, of the wrong type, nested, or a document nested beyond the JSON decoder's recursion limit."""
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**80), 2**80),
        st.floats(),
        st.sampled_from((*DATES, "2026-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00")),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=10),
    )
    tree = st.recursive(
        scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=2), max_leaves=6
    )
    raw = st.one_of(
        st.tuples(st.sampled_from(SORT_NAMES), scalar, scalar).map(lambda v: json.dumps(list(v))),
        tree.map(json.dumps),
        st.tuples(scalar, scalar).map(lambda v: f"{v[0]}|{v[1]}"),
        st.just("[" * 50_000 + "]" * 50_000),
    )
    return raw.map(lambda text: base64.urlsafe_b64encode(text.encode()).decode().rstrip("="))


def hostile_number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
    )


@dataclass
class Field:
    kind: str  # "text" (any free input), "choice" (select, radio, checkbox, button), "hidden", "file"
    values: list[str] = field(default_factory=list)  # the values the page offers (options, hidden values)


@dataclass
class Form:
    page: str  # where it was found
    method: str  # "get" or "post"
    action: str  # path with its query string
    htmx: bool
    fields: dict[str, Field] = field(default_factory=dict)

    def key(self) -> tuple:
        return (self.method, urlsplit(self.action).path, tuple(sorted(self.fields)))


class PageReader(HTMLParser):
    """Forms (with htmx elements that post their enclosing form or their hx-vals), links and the CSRF token."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.csrf_header: str | None = None
        self._form: Form | None = None
        self._select: str | None = None

    def _url(self, value: str) -> str:
        parts = urlsplit(urljoin("http://localhost" + self.page, value))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def handle_starttag(self, tag, attrs):  # noqa: C901 - one branch per kind of element, read in order
        a = {name: (value or "") for name, value in attrs}
        if tag == "body" and "hx-headers" in a:
            self.csrf_header = json.loads(a["hx-headers"]).get("X-CSRFToken")
        if tag == "a" and a.get("href") and not a["href"].startswith(("#", "mailto:", "http")):
            self.links.append(self._url(a["href"]))
        if a.get("hx-get") and tag != "form":
            self.links.append(self._url(a["hx-get"]))
        if tag == "form":
            method = "post" if a.get("method", "get").lower() == "post" or a.get("hx-post") else "get"
            action = a.get("hx-post") or a.get("action") or a.get("hx-get") or self.page
            self._form = Form(self.page, method, self._url(action), any(k.startswith("hx-") for k in a))
            self.forms.append(self._form)
            return
        if a.get("hx-post"):
            # An htmx element posting on its own: the enclosing form's fields (shared dict), or its hx-vals.
            fields = self._form.fields if self._form else {}
            for name, value in (json.loads(a["hx-vals"]) if a.get("hx-vals", "").startswith("{") else {}).items():
                fields[name] = Field("choice", [str(value)])
            self.forms.append(Form(self.page, "post", self._url(a["hx-post"]), True, fields))
        if self._form is None or not a.get("name") and tag != "option":
            return
        fields, name = self._form.fields, a.get("name")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio", "submit"):
                fields.setdefault(name, Field("choice")).values.append(a.get("value", "on"))
            elif kind == "hidden":
                fields.setdefault(name, Field("hidden")).values.append(a.get("value", ""))
            else:
                fields.setdefault(name, Field("file" if kind == "file" else "text")).values.append(a.get("value", ""))
        elif tag == "button" and "value" in a:
            fields.setdefault(name, Field("choice")).values.append(a["value"])
        elif tag == "textarea":
            fields.setdefault(name, Field("text"))
        elif tag == "select":
            self._select = name
            fields.setdefault(name, Field("choice"))
        elif tag == "option" and self._select:
            fields[self._select].values.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def read_page(page: str, html: str) -> PageReader:
    reader = PageReader(page)
    reader.feed(html)
    return reader


def query_parameters(links: list[str]) -> dict[str, dict[str, set[str]]]:
    """For each path, the query parameters its links use and the values seen."""
    found: dict[str, dict[str, set[str]]] = {}
    for link in links:
        parts = urlsplit(link)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            found.setdefault(parts.path, {}).setdefault(name, set()).add(value)
    return found


def table_digests(engine) -> dict[str, int]:
    """Each table's rows, as a digest of their values (the fuzzed database holds a few dozen rows): a request that
    changes nothing leaves every digest as it was, whether it would have added, removed or edited a row."""
    with engine.connect() as connection:
        return {
            table.name: hash(tuple(sorted(map(repr, connection.execute(select(table)).all()))))
            for table in SQLModel.metadata.sorted_tables
        }


class InjectedMarkup(HTMLParser):
    """Elements and attributes in a page that only the hostile values can have put there."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._tag = ""

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") and "alert(" in value:
                self.found.append(f"<{tag} {name}={value[:40]}>")
            elif name.startswith("hx-") and "/fz" in value:
                self.found.append(f"<{tag} {name}={value[:40]}>")
            elif name in ("href", "src", "action", "formaction") and value.startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value[:40]}>")
        if tag == "svg" and any(name == "onload" for name, _ in attrs):
            self.found.append("<svg onload>")

    def handle_data(self, data):
        if self._tag == "script" and "alert('fz')" in data:
            self.found.append("<script>alert('fz')</script>")


def unescaped_markup(response) -> list[str]:
    """The hostile markup an HTML answer shows as markup (not escaped)."""
    if response.mimetype != "text/html":
        return []
    parser = InjectedMarkup()
    parser.feed(response.get_data(as_text=True))
    return parser.found
