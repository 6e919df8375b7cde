"""Readable labels: a lemma term ("violence conjugal") shown as citizens wrote it ("violences conjugales")."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence

from spacy.lang.fr.stop_words import STOP_WORDS

from .text import normalize

# Words of letters (hyphens inside); apostrophes split elisions ("l'environnement" gives "l", "environnement").
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
MAX_GAP = 3  # function words allowed between two content words of a term ("transports en commun")
MAX_TEXTS = 30  # texts read per term: enough to find the usual wording (3.5 s of labels on 30k texts at 100)
# A phrase never spans punctuation ("santé, éducation" or a multiple-choice "commun | vélo" are two things).
_COORDINATION = frozenset({"et", "ou", "ni", "mais"})  # "santé et logement" names two things, not one
_BREAK = re.compile(r"[^\w\s'-]")
NO_LABEL = "(sans mot distinctif)"


@functools.cache
def _table():
    from .text import load_pipeline

    return load_pipeline("lookup").get_pipe("lemmatizer").lookups.get_table("lemma_lookup")


@functools.lru_cache(maxsize=100_000)
def lookup(word: str) -> str | None:
    """The lookup table's lemma of a lower-case form, or None when the table does not know it."""
    found = _table().get(word)
    return found[0] if isinstance(found, list) else found


@functools.lru_cache(maxsize=10_000)
def is_verb(lemma: str) -> bool:
    """Whether `lemma` is a verb: a conjugated form built on it ("développerons", "prendrons", "payez") leads to it."""
    if not lemma.endswith(("er", "ir", "re")):
        return False
    forms = (lemma + "ons", lemma[:-1] + "ons", lemma[:-2] + "ez", lemma[:-2] + "issons")
    return any(lookup(form) == lemma for form in forms)


@functools.lru_cache(maxsize=100_000)
def _matches(word: str, lemma: str) -> bool:
    """Whether a lower-case surface word is a form of `lemma` (table, or same stem: plural, feminine)."""
    if word == lemma:
        return True
    found = lookup(word)
    if found is not None and found != word:
        return found == lemma
    return len(lemma) >= 4 and word.startswith(lemma[:-1]) and len(word) <= len(lemma) + 3


def words(text: str) -> list[tuple[str, int, int]]:
    """(lower-case word, start, end) of each word of `text`."""
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def surface_forms(term: str, texts: Sequence[str | tuple[str, list]]) -> Counter:
    """Count, case kept, the spans of `texts` that spell the lemma `term` (function words allowed between).

    `texts` may hold (text, words(text)) pairs, so that a text read for several terms is split once.
    """
    lemmas = term.split()
    found: Counter = Counter()
    for item in texts:
        text, tokens = (item, words(item)) if isinstance(item, str) else item
        for i, (word, start, _end) in enumerate(tokens):
            if not _matches(word, lemmas[0]):
                continue
            end, _ = _extend(tokens, i, lemmas[1:])
            if end is not None and not _BREAK.search(text, start, end):
                found[text[start:end]] += 1
    return found


def _extend(words, i, rest) -> tuple[int | None, int]:
    """End offset of the span matching `rest` after word `i`, skipping up to MAX_GAP function words each."""
    end = words[i][2]
    for lemma in rest:
        for step in range(1, MAX_GAP + 2):
            if i + step >= len(words):
                return None, i
            word = words[i + step][0]
            if _matches(word, lemma):
                i += step
                end = words[i][2]
                break
            if (word not in STOP_WORDS and len(word) > 1) or word in _COORDINATION:
                return None, i
        else:
            return None, i
    return end, i


def readable(forms: Counter) -> str | None:
    """The usual spelling of a phrase: the most frequent, lower-case initial unless it is mostly capitalised."""
    if not forms:
        return None
    by_key: dict[str, Counter] = {}
    for form, count in forms.items():
        by_key.setdefault(" ".join(form.lower().split()), Counter())[form] += count
    key = max(by_key, key=lambda k: (sum(by_key[k].values()), k))
    variants = by_key[key]
    lower_initial = Counter({f: c for f, c in variants.items() if f[:1].islower()})
    # A capital first letter usually only means the phrase opened the answer.
    if sum(lower_initial.values()) * 4 >= sum(variants.values()):
        variants = lower_initial
    best = max(variants, key=lambda f: (variants[f], f))
    return " ".join(best.split())


def is_noun_phrase(term: str) -> bool:
    """A term starting with a verb ("développer transport") reads as an instruction, not a subject."""
    return not is_verb(term.split()[0])


def label_terms(
    terms: Sequence[str], texts_with: Callable[[str], Sequence[str]], *, taken: set[str] | None = None
) -> tuple[str, list[str]]:
    """(label, keywords) for ranked lemma `terms`; `texts_with(term)` gives texts that hold the term.

    The label is the first noun-phrase term spelled as in the texts, a multi-word one when one ranks in the
    top three (more telling than a single word), never one in `taken` (a sibling's label).
    """
    keywords, phrases = [], []
    for term in terms:
        spelled = readable(surface_forms(term, texts_with(term)[:MAX_TEXTS]))
        phrases.append((term, spelled))
        if spelled and spelled.lower() not in {k.lower() for k in keywords}:
            keywords.append(spelled)
    taken = taken or set()
    usable = [(t, s) for t, s in phrases if s and is_noun_phrase(t) and s.lower() not in taken]
    multi = [(t, s) for t, s in usable if len(t.split()) > 1 and (t, s) in phrases[:3]]
    choice = (multi or usable or [(t, s) for t, s in phrases if s])[:1]
    return (choice[0][1] if choice else keywords[0] if keywords else NO_LABEL), keywords


def normalized(texts: Sequence[str]) -> list[str]:
    """Texts as the labels quote them (quotes unified, spaces collapsed)."""
    return [normalize(t) for t in texts]
