"""Personal and health data in French text: typed spans (RGPD art. 4 and art. 9) and redaction."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gzip
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.lang.fr.stop_words import STOP_WORDS

from nlp.text import fold, load_ner_pipeline

TYPES = ("email", "phone", "nir", "iban", "address", "birth_date", "person", "health")

PLACEHOLDERS = {
    "email": "[courriel]",
    "phone": "[téléphone]",
    "nir": "[NIR]",
    "iban": "[IBAN]",
    "address": "[adresse]",
    "birth_date": "[date de naissance]",
    "person": "[nom]",
    "health": "[donnée de santé]",
}

# When two detections overlap, the more specific (checksummed, structured) one wins.
_PRIORITY = {t: i for i, t in enumerate(("email", "iban", "nir", "phone", "birth_date", "address", "health", "person"))}


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of personal data: offsets into the input text, type and surface text."""

    start: int
    end: int
    type: str
    text: str
    sensitive: bool  # True for special categories of RGPD art. 9 (here: health)


# ------------------------------------------------------------------------------
# Accent-insensitive patterns: written in plain ASCII, compiled with accent classes, so they match
# the original text directly (building a folded copy alone cost ~0.5 s on 30,000 answers).

_ACCENTS = {
    "a": "[aàâä]",
    "e": "[eéèêë]",
    "i": "[iîï]",
    "o": "[oôö]",
    "u": "[uùûü]",
    "c": "[cç]",
    "'": "['’]",
    " ": r"\s",
}


def _accent_insensitive(pattern: str) -> re.Pattern[str]:
    """Compile an ASCII lower-case pattern so that it also matches accents and ’ (lowered text)."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped or in_class or char not in _ACCENTS:
            out.append(char)
        else:
            out.append(_ACCENTS[char])
        in_class = (in_class or (char == "[" and not escaped)) and not (char == "]" and not escaped)
        escaped = char == "\\" and not escaped
    return re.compile("".join(out))


def _lower(text: str) -> str:
    """Lower-case `text` keeping offsets (re.IGNORECASE made the health patterns 2.5x slower)."""
    lowered = text.lower()
    # A few characters (e.g. "İ") lower-case to two: keep the original then, offsets matter more.
    return lowered if len(lowered) == len(text) else text


# ------------------------------------------------------------------------------
# Structured identifiers (regex + checksum)

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}"
    r"(?:@|\s?[\(\[]\s?(?:at|arobase)\s?[\)\]]\s?)"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
)

# 0X XX XX XX XX with optional space/dot/dash separators, or +33 / 0033 / overseas codes.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?(?:33|262|590|594|596|269|687|689|508|681)[\s.\-]?(?:\(0\)[\s.\-]?)?|0)"
    r"[1-9](?:[\s.\-]?\d{2}){4}(?![\d])"
)

# 15 characters (sex, year, month, department incl. 2A/2B, commune, order, key), separators allowed.
_NIR_CANDIDATE = re.compile(r"(?<![\w])[1-478](?:[ .\-]?[0-9AaBb]){14}(?![\w])(?![ .\-]?\d)")
_NIR_SHAPE = re.compile(r"[1-478]\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)(?:\d{2}|2[AB])\d{6}\d{2}")

# The same 13 characters, with or without the 2-digit key, right after a cue naming the number
# (« numéro de sécu c'est … », « n° de sécurité sociale : … », « NIR : … », « carte Vitale … »); at most
# 40 characters without digits between the cue and the number. Matched on the lower-cased text.
_NIR_CUED = _accent_insensitive(
    r"(?:\bsecu\b|\bsecurite sociale\b|\bs\.s\.|\bn(?:°|o|um(?:ero)?)\.? ?ss\b|\bnir\b|\binsee\b|"
    r"\bcarte vitale\b|\bimmatriculation\b)"
    r"[^\d\n]{0,40}?"
    r"(?<![\w])(?P<x>[1-478](?:[ .\-]?[0-9ab]){12}(?:(?:[ .\-]?\d){2})?)(?![\w])(?![ .\-]?\d)"
)
_NIR_SHAPE_ANY_KEY = re.compile(r"[1-478]\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)(?:\d{2}|2[AB])\d{6}(?:\d{2})?")

_IBAN_CANDIDATE = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![\w])")
_IBAN_LENGTHS = {
    "FR": 27,
    "MC": 27,
    "IT": 27,
    "DE": 22,
    "GB": 22,
    "BE": 16,
    "ES": 24,
    "LU": 20,
    "CH": 21,
    "NL": 18,
    "PT": 25,
    "AT": 20,
    "IE": 22,
    "PL": 28,
    "GR": 27,
    "DK": 18,
}

_SEP = re.compile(r"[ .\-]")
# Cheap prefilters: most answers hold no digit run and no "@", so the costlier patterns are skipped.
_DIGIT = re.compile(r"\d")
_DIGITS8 = re.compile(r"(?:\d[\s.\-]?){8}")
_AT_WORD = re.compile(r"[\(\[]\s?(?:at|arobase)\s?[\)\]]", re.IGNORECASE)


def nir_key(number13: str) -> int:
    """Return the NIR control key (97 - number mod 97), with Corsica 2A -> 19 and 2B -> 18."""
    digits = number13.upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(digits) % 97


def is_valid_nir(value: str) -> bool:
    """Tell whether `value` (separators allowed) is a well-formed NIR whose key matches."""
    compact = _SEP.sub("", value).upper()
    if not _NIR_SHAPE.fullmatch(compact):
        return False
    return nir_key(compact[:13]) == int(compact[13:])


def is_valid_iban(value: str) -> bool:
    """Tell whether `value` (spaces allowed) passes the IBAN length and mod-97 checks."""
    compact = value.replace(" ", "").upper()
    expected = _IBAN_LENGTHS.get(compact[:2])
    if (expected and len(compact) != expected) or not 15 <= len(compact) <= 34:
        return False
    if not compact[2:4].isdigit() or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _emails(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "email"


def _phones(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _PHONE.finditer(text):
        yield m.start(), m.end(), "phone"


def _nirs(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _NIR_CANDIDATE.finditer(text):
        if is_valid_nir(m.group()):
            yield m.start(), m.end(), "nir"
    # After an explicit cue the writer says what the number is: a NIR-shaped number with a wrong key
    # (a typo, a made-up key) or without its key is still their social-security number. The checksum
    # only protects precision where no cue does.
    for m in _NIR_CUED.finditer(_lower(text)):
        if _NIR_SHAPE_ANY_KEY.fullmatch(_SEP.sub("", m.group("x")).upper()):
            yield m.start("x"), m.end("x"), "nir"


def _ibans(text: str) -> Iterable[tuple[int, int, str]]:
    position = 0
    while m := _IBAN_CANDIDATE.search(text, position):
        # The candidate may swallow the following words (even the start of another IBAN): shrink it until the
        # checksum holds, and look for the next candidate right after what was kept, not after what was swallowed.
        candidate, position = m.group(), m.end()
        for end in range(len(candidate), 14, -1):
            if candidate[end - 1] != " " and is_valid_iban(candidate[:end]):
                if end == len(candidate) or candidate[end] == " ":
                    yield m.start(), m.start() + end, "iban"
                    position = m.start() + end
                    break


# ------------------------------------------------------------------------------
# Addresses and dates of birth

# Street types that are not also everyday words: any street name may follow.
_STREET_PLAIN = (
    r"rue|avenue|av\.|bd|boulevard|impasse|all[ée]e|quai|square|faubourg|fbg|"
    r"lotissement|r[ée]sidence|lieu-dit|chauss[ée]e|esplanade|ruelle|sente|venelle"
)
# Street types that are everyday words ("1 place de parking"): the name must be capitalised.
_STREET_AMBIGUOUS = (
    r"place|route|chemin|cours|passage|voie|cit[ée]|mail|villa|promenade|hameau|"
    r"sentier|mont[ée]e|traverse|parvis|rond-point|domaine|clos"
)
_PARTICLES = r"(?:(?:de|du|des|la|le|les|d'|l'|d’|l’|saint|sainte|st|ste)\s*)"
_CAP = r"[A-ZÀ-Ý][\w'’\-]*"
_WORD = r"[\w'’\-]+"
# A postcode followed by a unit is an amount ("15000 Euros"), not a city.
_UNITS = (
    r"(?i:euros?|eur|francs?|dollars?|km|kms|kilom\w*|m|kg|kw\w*|tonnes?|litres?|habitants?|"
    r"personnes?|emplois?|ans|mois|jours?|heures?|foyers?|salari\w+|[eé]l[eè]ves|milliards?|"
    r"millions?|voitures?|v[eé]hicules?|familles?|logements?|postes?|hectares?|ha|agents?)\b"
)
_POSTCODE_CITY = (
    r"(?<![\d\w])(?:0[1-9]|[1-8]\d|9[0-5]|97[1-6]|2[AB])\d{3}(?!\d)"
    r"\s+(?!"
    + _UNITS
    + ")"
    + _CAP
    + r"(?:[\s\-](?:(?:sur|sous|en|le|la|les|de|du|l[eè]s|aux?)[\s\-])?"
    + _CAP
    + r"){0,3}(?:\s+cedex(?:\s?\d{1,2})?)?"
)
_STREET_NUMBER = r"(?<![\w,.])\d{1,4}\s?(?:bis|ter|quater|[abAB])?,?\s+"
_ADDRESS = re.compile(
    "(?:"
    + _STREET_NUMBER
    + "(?i:"
    + _STREET_PLAIN
    + r")\s+"
    + _PARTICLES
    + r"{0,2}"
    + _WORD
    + r"(?:\s+"
    + _PARTICLES
    + r"{0,2}"
    + _CAP
    + r"){0,4}"
    + "|"
    + _STREET_NUMBER
    + "(?i:"
    + _STREET_AMBIGUOUS
    + r")\s+"
    + _PARTICLES
    + r"{0,2}"
    + _CAP
    + r"(?:\s+"
    + _PARTICLES
    + r"{0,2}"
    + _CAP
    + r"){0,4}"
    + ")"
    + r"(?:,?\s+(?:"
    + _POSTCODE_CITY
    + "))?"
    + "|"
    + _POSTCODE_CITY
)

_MONTHS = r"janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}(?!\d)"
    r"|(?:1er|\d{1,2})\s+(?:" + _MONTHS + r")\s+(?:19|20)\d{2}"
    r"|(?:19|20)\d{2}(?!\d))"
)
# The span is the date only; the trigger stays readable in the redacted text.
_BIRTH_DATE = _accent_insensitive(
    r"\b(?:nee?s?|ne\(e\)|nee?\s?\(?e?\)?)\s+(?:le|en)\s+(?P<x>" + _DATE + ")"
    r"|\b(?:date|lieu et date|jour)\s+de\s+naissance\s*[:\-]?\s*(?:le\s+)?(?P<y>" + _DATE + ")"
    r"|\bddn\s*[:\-]?\s*(?P<z>" + _DATE + ")"
)


def _addresses(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _ADDRESS.finditer(text):
        yield m.start(), m.end(), "address"


def _birth_dates(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _BIRTH_DATE.finditer(_lower(text)):
        group = next(g for g in ("x", "y", "z") if m.group(g))
        yield m.start(group), m.end(group), "birth_date"


# ------------------------------------------------------------------------------
# First-person health disclosures (RGPD art. 9); patterns are ASCII, see _accent_insensitive.

_CONDITION = (
    r"(?:diabet\w*|cancer\w*|leucemi\w*|lymphome\w*|tumeur\w*|metastase\w*|vih|sida|seropositi\w*|"
    r"hepatite\w*|depressi\w*|bipolaire\w*|schizophren\w*|autis\w*|asperger|epilep\w*|"
    r"handicap\w*|polyhandicap\w*|alzheimer|parkinson|sclerose en plaques|asthm\w*|"
    r"insuffisan\w* (?:renal\w*|cardiaque\w*|respiratoire\w*|hepatique\w*)|dialys\w*|obes\w*|"
    r"anorexi\w*|boulimi\w*|burn[ -]?out|tdah|trisomi\w*|myopath\w*|mucoviscidose|fibromyalgi\w*|"
    r"endometriose|chimio\w*|radiotherapie|greff\w*|avc|infarctus|invalide\w*|invalidite|enceinte|"
    r"grossesse|addict\w*|alcoolique\w*|toxicoman\w*|paraplegi\w*|tetraplegi\w*|hemiplegi\w*|"
    r"aveugle\w*|malvoyant\w*|non-voyant\w*|sourde?s?|malentendant\w*|"
    r"maladie\w*(?: (?:de|d')\s?(?:parkinson|alzheimer|crohn|charcot|lyme|hodgkin))?|"
    r"malade\w*|polyarthrite\w*|arthrose|lupus|crohn|hypertendu\w*|hypertension|cardiaque\w*|"
    r"troubles? (?:psychique|mental|bipolaire|autistique|anxieux|alimentaire|dys)\w*|cirrhose|"
    r"affection de longue duree|en ald|rqth|dyslexi\w*|dyspraxi\w*|stomie|amput\w*|"
    r"antidepresseur\w*|anxiolytique\w*|neuroleptique\w*|insuline|allergi\w*|allergique\w*|"
    r"arret maladie|mi-temps therapeutique|psychiatrique\w*|hospitalise\w*)"
)
_FILLER = (
    r"(?:(?:de|du|des|un|une|le|la|les|moi-meme|moi meme|aussi|egalement|ete|eu|atteinte?s?|"
    r"tres|gravement|lourdement|severement|diagnostiquee?s?|en|porteu(?:r|se)|reconnue?s?|"
    r"sous|avec|traitee?s?|pour|suivie?s?|soignee?s?|operee?s?|devenue?s?|reste|restee?s?|"
    r"depuis \d+ ans|depuis l'enfance|type [12i]+|un grave|une grave|lourd)\s+|(?:d|l)'\s*)"
)
_SELF = (
    r"(?:je suis|j'ai|je souffre|je vis avec|je me soigne|je prends|j'etais|j'avais|je fais|"
    r"j'ai fait|j'ai subi|j'ai eu|on m'a diagnostique|on m'a detecte|je me bats contre|"
    r"je lutte contre|je survis|je suis sorti d?e?|etant moi-meme)"
)
_RELATIVE = (
    r"(?:mon|ma|mes|notre|nos|(?:j'ai|nous avons)\s+(?:un|une|deux|trois|des))\s+"
    r"(?:propres?\s+)?(?:fils|filles?|enfants?|mari|femme|"
    r"epouse|epoux|conjointe?|compagne|compagnon|pere|mere|parents|frere|soeur|sœur|"
    r"grand-mere|grand-pere|grands-parents|bebe|petite?-(?:fils|fille)|belle-mere|beau-pere)"
)
_RELATIVE_VERB = (
    r"(?:(?:qui\s+)?(?:est|sont|a|ont|souffre|souffrent|vit avec|vivent avec|etait|"
    r"avait|etaient|avaient|est decedee? d?e?|est morte? d?e?)\s+)?"
)
_HEALTH = _accent_insensitive(
    r"\b(?:"
    + _SELF
    + r"\s+"
    + _FILLER
    + "{0,4}"
    + r"|(?:mon|ma|mes)\s+(?:propres?\s+)?(?=(?!malade)"
    + _CONDITION
    + ")"
    + r"|"
    + _RELATIVE
    + r"\s+"
    # « ma fille Léa est diabétique »: the relative's first name between, when a verb follows.
    + r"(?:[a-zà-ÿ][a-zà-ÿ\-]+,?\s+(?=(?:qui\s+)?(?:est|a|souffre|vit|etait|avait)\s))?"
    + _RELATIVE_VERB
    + _FILLER
    + "{0,4}"
    + r")"
    + _CONDITION
    + r"\b"
)


def _health(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _HEALTH.finditer(_lower(text)):
        yield m.start(), m.end(), "health"


# ------------------------------------------------------------------------------
# Person names: titles by rule, other names by spaCy NER on short windows that may hold one.

_TITLE = (
    r"(?:M\.|Mr\.?|MM\.|Mme|Mmes|Mlle|Melle|Dr\.?|Docteure?|Pr\.?|Professeure?|Me|Ma[îi]tre|"
    r"Monsieur|Madame|Mademoiselle)"
)
# Words that follow a title without being a name ("Monsieur le Président", "Madame la Ministre").
_ROLE_WORDS = {
    "le",
    "la",
    "les",
    "l",
    "president",
    "presidente",
    "ministre",
    "maire",
    "depute",
    "deputee",
    "senateur",
    "senatrice",
    "prefet",
    "prefete",
    "directeur",
    "directrice",
    "premier",
    "premiere",
    "secretaire",
    "juge",
    "procureur",
    "commissaire",
    "macron",
    "monsieur",
    "madame",
    "mademoiselle",
}
_NAME_TOKEN = r"(?:[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)*|[A-ZÀ-Ý]{2,}(?:-[A-ZÀ-Ý]{2,})*)"
_NAME_PARTICLE = r"(?:(?:[Dd]e|[Dd]u|[Dd]es|[Dd]e [Ll]a|[Ll]e|[Ll]a|[Vv]an|[Vv]on)\s+|[Dd]['’]\s?)"
_TITLED_NAME = re.compile(
    r"(?<![\w.])"
    + _TITLE
    + r"\s+(?P<name>"
    + _NAME_PARTICLE
    + "?"
    + _NAME_TOKEN
    + r"(?:\s+"
    + _NAME_PARTICLE
    + "?"
    + _NAME_TOKEN
    + r"){0,2})"
)
# "Prénom NOM", the administrative way of writing a name; the model misses most of them.
_FIRST_LAST = re.compile(
    r"(?<![\w'’])(?P<first>[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?)\s+"
    r"(?P<last>(?:(?:DE|DU|LE|LA|VAN|de|du|le|la|van)\s|[Dd]['’])?[A-ZÀ-Ý]{3,}(?:-[A-ZÀ-Ý]{2,})*)"
    r"(?![\w'’])"
)
# Title-case or upper-case word; used to decide where NER is worth running.
_CAPITALISED = re.compile(r"(?<![\w'’])[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)*(?![\w])")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;|\n\r\"«»()\[\]•*–—\-/]|\d)\s*$")
_NAME_PARTICLES = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "d'",
    "d’",
    "van",
    "von",
    "der",
    "den",
    "di",
    "da",
    "del",
    "ben",
    "el",
    "al",
    "y",
}
# French first names that are also dictionary words: must not veto a name (my own list).
_NAME_WORDS = {
    "pierre",
    "jean",
    "marie",
    "rose",
    "marc",
    "blanche",
    "claire",
    "olivier",
    "laure",
    "aurore",
    "pascal",
    "gilles",
    "amandine",
    "romain",
    "marine",
    "veronique",
    "denis",
    "serge",
    "benoit",
    "clement",
    "constance",
    "prudence",
    "jade",
    "fleur",
    "violette",
    "marguerite",
    "capucine",
    "charlotte",
    "garance",
    "rene",
    "martin",
    "france",
    "paul",
    "luc",
    "victor",
    "louise",
    "julie",
    "guy",
    "yves",
    "leon",
    "eve",
}
# Frequent capitalised words of public debate that are never a person: no NER needed for them.
_NOT_NAMES = {
    "france",
    "europe",
    "etat",
    "etats",
    "unis",
    "union",
    "europeenne",
    "republique",
    "gouvernement",
    "assemblee",
    "nationale",
    "senat",
    "paris",
    "allemagne",
    "chine",
    "afrique",
    "inde",
    "amerique",
    "russie",
    "bretagne",
    "corse",
    "ile",
    "francais",
    "francaise",
    "ue",
    "internet",
    "dieu",
    "macron",
    "edf",
    "sncf",
    "gilets",
    "jaunes",
    "conseil",
    "constitution",
    "smic",
    "nation",
    "outre",
    "mer",
    "oui",
    "non",
    "ok",
    # diseases named after people belong to the health span, not to a person
    "parkinson",
    "alzheimer",
    "crohn",
    "charcot",
    "lyme",
    "hodgkin",
    "asperger",
}
# Characters of context on each side of a candidate name. The model's CNN sees ~4 tokens each side,
# so a short window loses little accuracy and keeps NER to a small fraction of the corpus.
_WINDOW = 40
_NOUN_SUFFIX = re.compile(r"(?:ite|tion|sion|isme|ment|ique|ance|ence|eur|euse|ate|iser)s?$")


@functools.cache
def _lexicon() -> frozenset[str]:
    """Folded French word forms (spacy-lookups-data): a capitalised dictionary word is rarely a name."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "fr_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        table = json.load(fh)
    words = {fold(w) for w in table} | {fold(v[0]) for v in table.values()}
    words |= {fold(w) for w in STOP_WORDS}  # the lemma table lacks invariable words (pas, donc)
    return frozenset(words - _NAME_WORDS)


def _titled_names(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _TITLED_NAME.finditer(text):
        words = re.sub(r"^" + _NAME_PARTICLE, "", m.group("name")).split()
        if words and fold(words[0]) not in _ROLE_WORDS and words[0].lower() not in STOP_WORDS:
            if private_person(text, m.start(), m.end()):
                yield m.start(), m.end(), "person"
    lexicon = _lexicon()
    for m in _FIRST_LAST.finditer(text):
        # A dictionary word before capitals is a heading or an acronym ("Loi ELAN", "Taxe TVA").
        first = fold(m.group("first"))
        if first not in lexicon and first not in _NOT_NAMES and private_person(text, m.start(), m.end()):
            yield m.start(), m.end(), "person"


def _at_sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_END.search(text[max(0, start - 3) : start]))


def _name_windows(text: str) -> list[tuple[int, int]]:
    """Return merged character windows around runs of two capitalised words that could be a name.

    A single word is never a private person's name on its own (see private_person): names with a title or after
    a relation (« M. Dupont », « ma fille Léa ») are found by rule, so the model only looks at pairs, and not at
    pairs of dictionary words (« Assemblée Nationale ») unless one is a first name.
    """
    lexicon, first_names = _lexicon(), name_rules().first_names
    windows: list[tuple[int, int]] = []
    previous_end, previous_common = -2, True
    for m in _CAPITALISED.finditer(text):
        word = fold(m.group())
        common = (word in lexicon or word in _NOT_NAMES or len(word) <= 2) and word not in first_names
        pair = m.start() - previous_end <= 1 and not (common and previous_common)
        previous_end, previous_common = m.end(), common
        if not pair:
            continue
        start, end = max(0, m.start() - _WINDOW), min(len(text), m.end() + _WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _plausible_person(text: str, start: int, end: int) -> bool:
    """Filter the small French model's PER entities (it tags sentence-initial verbs, acronyms)."""
    tokens = text[start:end].split()
    names = [t for t in tokens if t.lower() not in _NAME_PARTICLES]
    if not names or not all(re.fullmatch(_NAME_TOKEN, t) for t in names):
        return False
    if tokens[0].lower() in _NAME_PARTICLES:
        return False
    lexicon = _lexicon()
    # Short capitals (TVA, CSG) are acronyms: they are no evidence of a name.
    unknown = [
        t for t in names if fold(t) not in lexicon and fold(t) not in _NOT_NAMES and not (t.isupper() and len(t) <= 4)
    ]
    if len(names) == 1:
        word = names[0]
        # Acronyms (CSG, TVA), short words (Eco, Sdf), abstract nouns (Progressivité): not names.
        if len(word) <= 3 or (word.isupper() and len(word) <= 4) or _NOUN_SUFFIX.search(fold(word)):
            return False
        return bool(unknown) and not _at_sentence_start(text, start)
    # "Créer TVA", "Interdire Monsanto": a sentence-initial dictionary word starts no name.
    opener = fold(names[0]) in lexicon and _at_sentence_start(text, start)
    return bool(unknown) and not opener


def _ner_persons(texts: Sequence[str], batch_size: int) -> list[list[tuple[int, int, str]]]:
    """Run NER on candidate windows only and map PER entities back to offsets in each text."""
    owners: list[tuple[int, int]] = []
    snippets: list[str] = []
    for i, text in enumerate(texts):
        for start, end in _name_windows(text):
            owners.append((i, start))
            snippets.append(text[start:end])
    found: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    if not snippets:
        return found
    nlp = load_ner_pipeline()
    for (i, offset), doc in zip(owners, nlp.pipe(snippets, batch_size=batch_size), strict=True):
        for ent in doc.ents:
            if ent.label_ != "PER":
                continue
            start, end = _trim(texts[i], offset + ent.start_char, offset + ent.end_char)
            if end > start and _plausible_person(texts[i], start, end) and private_person(texts[i], start, end):
                found[i].append((start, end, "person"))
    return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop punctuation and elided articles the model sometimes includes at entity edges."""
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    if re.match(r"[LlDd]['’]", text[start:end]):
        start += 2
    return start, end


# ------------------------------------------------------------------------------
# Whose name is it: a private person's, or a public figure's, an author's, a place's (config/personal_data.yaml)

NAME_RULES_PATH = Path(__file__).resolve().parent.parent / "config" / "personal_data.yaml"
_TITLE_START = re.compile(r"^" + _TITLE + r"\s+")
_PARTICLE_WORDS = {"de", "du", "des", "la", "le", "d", "van", "von", "der", "den", "di", "da", "del", "y"}
# An academic title cites an author (a patient's doctor is « mon professeur », found as a relation first).
_ACADEMIC = re.compile(r"(?:Pr\.?|Professeure?)\s")


@dataclass(frozen=True)
class NameRules:
    """The lists and cue words of config/personal_data.yaml, folded and compiled."""

    private_before: re.Pattern[str]  # « mon voisin », « ma fille », a signature: a private person follows
    public_before: re.Pattern[str]  # a citation cue, a public role, a work noun: a public name follows
    public_after: re.Pattern[str]  # a public role or a reporting verb right after the name
    public_names: frozenset[str]  # folded full names and single-word names of public figures
    public_words: frozenset[str]  # organisations and places: any word of the span
    first_names: frozenset[str]
    relation: re.Pattern[str]  # « ma fille », « cordialement, » in lower-cased text: a private name may follow
    name_after: re.Pattern[str]  # the name itself (« Léa », « Jean DUPONT »), matched where the cue ends


def _alternatives(words) -> str:
    return "|".join(
        re.escape(fold(w)).replace(r"\ ", r"\s+").replace("'", "['’]\\s*") for w in sorted(words, key=len, reverse=True)
    )


def load_name_rules(path: str | Path = NAME_RULES_PATH) -> NameRules:
    """Read the name lists (format of config/personal_data.yaml)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    possessive = r"(?:mon|ma|mes|notre|nos|son|sa|ses|leur|leurs|votre|vos|ton|ta|tes)"
    relations = _alternatives(data["private_relations"])
    private_before = re.compile(
        rf"(?:\b{possessive}\s+(?:{relations})\b\s*,?\s*(?:(?:le|la|l['’])\s*)?(?:{_TITLE_FOLDED}\s+)?"
        rf"|\b(?:{_alternatives(data['signatures'])})\s*[,:!.]?\s*)$"
    )
    # « la commissaire européenne », « le secrétaire d'État au numérique »: an adjective, then up to 3 complements.
    complement = r"(?:\s+[\w\-]+)?(?:\s+(?:du|de|des|d['’]|au|aux|a|à)\s*(?:la\s+|l['’]\s*)?[\w'’\-]+){0,3}"
    # « selon Jean Jouzel et »: the second name of a cited pair is cited too.
    cited_pair = r"(?:\s+[\w'’\-]+){0,4}\s*(?:,|\bet|\bou)"
    public_before = re.compile(
        rf"(?:\b(?:{_alternatives(data['citation_cues'])}|comme\s+(?:le|la|les|l['’])\s*\w+)\s*(?:le|la|les|l['’])?"
        rf"(?:{cited_pair})?"
        rf"|\b(?:{_alternatives(data['public_roles'])}){complement}\s*,?"
        rf"|\b(?:{_alternatives(data['work_nouns'])})\s*(?:de|du|des|d['’])?)\s*$"
    )
    # After the name: « Florence Legros, directrice générale de … », « Vincent Jauvert dévoile … ».
    public_after = re.compile(
        rf"^\s*(?:,\s*)?(?:(?:le|la|l['’]|un|une|ancien|ancienne|ex-?)\s*)?(?:{_alternatives(data['public_roles'])}"
        rf"|(?:{_alternatives(data['reporting_verbs'])})\b(?!\s+(?:a|au|aux)\b))"  # « a écrit à sa mère »: private
    )
    name = r"[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)*"
    # The cue is searched in the lower-cased text (a case-insensitive alternation of ~100 words was the slowest
    # pattern of the module), then the name right after it in the original text, whose capitals matter.
    written = "|".join(re.escape(w.lower()) for w in sorted(set(data["private_relations"]), key=len, reverse=True))
    signed = "|".join(re.escape(w.lower()) for w in sorted(set(data["signatures"]), key=len, reverse=True))
    relation = re.compile(rf"\b(?:{possessive}\s+(?:{written}|{relations})|(?:{signed}))\s*[,:]?\s+")
    name = r"[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)*"
    name_after = re.compile(rf"{name}(?:\s+(?:{name}|[A-ZÀ-Ý]{{2,}}))?(?![\w'’])")
    folded = lambda words: frozenset(fold(w).replace("-", " ") for w in words)  # noqa: E731
    return NameRules(
        private_before=private_before,
        public_before=public_before,
        public_after=public_after,
        public_names=folded(data["public_figures"]),
        public_words=folded(data["organisations"]) | folded(data["places"]),
        first_names=folded(data["first_names"]),
        relation=relation,
        name_after=name_after,
    )


_TITLE_FOLDED = (
    r"(?:m\.|mr\.?|mme|mlle|melle|dr\.?|docteure?|pr\.?|professeure?|me|maitre|monsieur|madame|mademoiselle)"
)


@functools.cache
def _default_name_rules() -> NameRules:
    return load_name_rules()


_rules_in_use: list[NameRules] = []


def name_rules() -> NameRules:
    """The rules in use: config/personal_data.yaml, unless `using_name_rules` says otherwise."""
    return _rules_in_use[-1] if _rules_in_use else _default_name_rules()


@contextlib.contextmanager
def using_name_rules(rules: NameRules) -> Iterator[None]:
    """Detect with other name rules inside this block (tests, ablations)."""
    _rules_in_use.append(rules)
    try:
        yield
    finally:
        _rules_in_use.pop()


def replace_public_lists(rules: NameRules, public_names: frozenset[str], public_words: frozenset[str]) -> NameRules:
    return dataclasses.replace(rules, public_names=public_names, public_words=public_words)


def _relatives(text: str) -> Iterable[tuple[int, int, str]]:
    """« ma fille Léa », « mon voisin Jean Dupont »: a name right after a private relation."""
    rules, lexicon = name_rules(), _lexicon()
    for cue in rules.relation.finditer(_lower(text)):
        m = rules.name_after.match(text, cue.end())
        if m is None:
            continue
        first = fold(m.group().split()[0])
        # « mes enfants  Je ramasse », « sa maman Etat »: a dictionary word is no name, unless a first name.
        if first in rules.first_names or (first not in lexicon and first not in _NOT_NAMES):
            yield m.start(), m.end(), "person"


def private_person(text: str, start: int, end: int) -> bool:
    """Tell whether the name at text[start:end] is a private person's (see config/personal_data.yaml)."""
    rules = name_rules()
    before = fold(text[max(0, start - 80) : start]).lower()
    if rules.private_before.search(before):
        return True
    opening, closing = text[:start].rstrip()[-1:], text[end:].lstrip()[:1]
    if opening in "«\"“'‘" and opening and closing in "»\"”'’" and closing:
        return False  # a quoted name is a title, a pseudonym or a character
    if rules.public_before.search(before) or rules.public_after.search(fold(text[end : end + 60])):
        return False
    span = text[start:end]
    if _ACADEMIC.match(span) or rules.public_before.search(fold(span.split()[0]).lower()):
        return False  # « Professeur Galloux » cited for their work; « Cf OPQUAST »
    titled = bool(_TITLE_START.match(span))
    words = [fold(w) for w in re.findall(r"[\w'’]+", _TITLE_START.sub("", span))]
    words = [w for w in words if w not in _PARTICLE_WORDS]
    if not words:
        return False
    full = " ".join(words)
    written = " ".join(fold(w) for w in re.findall(r"[\w'’]+", _TITLE_START.sub("", span)))  # particles kept
    if full in rules.public_words or written in rules.public_words or any(w in rules.public_words for w in words):
        return False
    if full in rules.public_names or written in rules.public_names or words[-1] in rules.public_names:
        return False  # « Nicolas SARKOZY », « M. Juppé », « Président Hollande »
    if len(words) == 1:
        # A surname or a first name alone identifies nobody, unless a title makes it a person's name (« M. Dupont »).
        return titled
    return titled or _looks_like_a_name(span, words, rules)


def _looks_like_a_name(span: str, words: list[str], rules: NameRules) -> bool:
    """Without a title, a name starts with a first name, or is made only of words that are in no dictionary.

    « Trop Compliqué », « Taux de TVA », « Speed Bike », « Outlander PHEV » are capitalised words, not names.
    """
    if words[0] in rules.first_names:
        return True
    french, english = _lexicon(), _english_words()
    tokens = [t for t in re.findall(r"[\w'’]+", span) if fold(t) not in _PARTICLE_WORDS]
    acronym = any(t.isupper() and len(t) <= 4 for t in tokens)
    return not acronym and not any(w in french or w in english for w in words)


@functools.cache
def _english_words() -> frozenset[str]:
    """Common English word forms (spacy-lookups-data): « Speed Bike », « Plain English » are no names."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        table = json.load(fh)
    words = {w.lower() for w in table if w.isalpha()} | {v.lower() for v in table.values() if v.isalpha()}
    return frozenset(words) - name_rules().first_names


# ------------------------------------------------------------------------------
# Public API


def _resolve(text: str, found: Iterable[tuple[int, int, str]]) -> list[Span]:
    """Keep non-overlapping spans, preferring higher-priority types then longer ones; sort by start."""
    ranked = sorted(found, key=lambda f: (_PRIORITY[f[2]], -(f[1] - f[0]), f[0]))
    taken: list[tuple[int, int]] = []
    spans = []
    for start, end, kind in ranked:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        spans.append(Span(start, end, kind, text[start:end], kind == "health"))
    return sorted(spans, key=lambda s: s.start)


def _rule_based(text: str, names: bool = True) -> list[tuple[int, int, str]]:
    finders = [_health, _titled_names] + ([_relatives] if names else [])
    if "@" in text or _AT_WORD.search(text):
        finders.append(_emails)
    if _DIGIT.search(text):
        finders += [_addresses, _birth_dates]
        if _DIGITS8.search(text):
            finders += [_ibans, _nirs, _phones]
    return [found for finder in finders for found in finder(text)]


def detect_many(texts: Sequence[str], *, names: bool = True, batch_size: int = 256) -> list[list[Span]]:
    """Return the personal-data spans of each text; NER for names runs batched on candidate windows."""
    texts = [t or "" for t in texts]
    found = [_rule_based(t, names) for t in texts]
    if names:
        for spans, persons in zip(found, _ner_persons(texts, batch_size), strict=True):
            spans.extend(persons)
    return [_resolve(t, f) for t, f in zip(texts, found, strict=True)]


def detect(text: str, *, names: bool = True) -> list[Span]:
    """Return the non-overlapping personal-data spans of `text`, sorted by position."""
    return detect_many([text], names=names)[0]


def redact(text: str, spans: Sequence[Span] | None = None) -> str:
    """Replace each span (detected if not given) by its French placeholder, e.g. "[courriel]"."""
    if spans is None:
        spans = detect(text)
    out, position = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < position:  # overlapping input: the earlier span already covers it
            continue
        out.append(text[position : span.start])
        out.append(PLACEHOLDERS[span.type])
        position = span.end
    out.append(text[position:])
    return "".join(out)
