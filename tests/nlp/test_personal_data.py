"""Personal and health data detection and redaction, with property tests on generated identifiers."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nlp.personal_data import (
    PLACEHOLDERS,
    Span,
    detect,
    detect_many,
    is_valid_iban,
    is_valid_nir,
    nir_key,
    redact,
)


def make_nir(sex: int, year: int, month: int, department: str, commune: int, order: int) -> str:
    body = f"{sex}{year:02d}{month:02d}{department}{commune:03d}{order:03d}"
    return f"{body}{nir_key(body):02d}"


def make_iban(bank: int, branch: int, account: int, rib: int) -> str:
    bban = f"{bank:05d}{branch:05d}{account:011d}{rib:02d}"
    digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(digits) % 97:02d}{bban}"


def group(value: str, size: int, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


def types(text: str, **kwargs) -> list[str]:
    return [span.type for span in detect(text, **kwargs)]


# -- structured identifiers ------------------------------------------------------------------


def test_nir_key_and_corsica():
    assert nir_key("1750375123456") == 97 - 1750375123456 % 97
    assert nir_key("1752A12345678") == 97 - 1751912345678 % 97
    assert nir_key("1752B12345678") == 97 - 1751812345678 % 97
    assert is_valid_nir(make_nir(2, 84, 11, "2A", 4, 12))
    assert is_valid_nir(group(make_nir(1, 75, 3, "75", 123, 456), 2, "."))


def test_nir_with_a_wrong_key_is_not_a_nir_without_a_cue():
    nir = make_nir(1, 75, 3, "75", 123, 456)
    wrong = nir[:13] + f"{(int(nir[13:]) % 97) + 1:02d}"
    assert "nir" in types(f"Le dossier porte le numéro {nir}.", names=False)
    assert types(f"Le dossier porte le numéro {wrong}.", names=False) == []
    assert types(f"Le dossier porte le numéro {nir[:13]}.", names=False) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("mon numéro de sécu c'est 1 85 05 78 006 084 36", "1 85 05 78 006 084 36"),
        ("Numéro de sécurité sociale : 1 85 05 78 006 084 36.", "1 85 05 78 006 084 36"),
        ("numero de securite sociale: 185057800608436", "185057800608436"),
        ("Mon NIR est 2 84 11 2A 004 012 99, merci de corriger.", "2 84 11 2A 004 012 99"),
        ("N° SS 1.85.05.78.006.084.36", "1.85.05.78.006.084.36"),
        ("ma carte Vitale porte le numéro 2 91 12 69 123 045 (sans la clé)", "2 91 12 69 123 045"),
        ("Sécu : 1850578006084", "1850578006084"),
    ],
)
def test_nir_after_a_cue_is_found_whatever_its_key(text, number):
    body = "".join(c for c in number if c.isalnum())
    assert not is_valid_nir(body), "the case must exercise a wrong or missing key"
    assert [(s.type, s.text) for s in detect(text, names=False)] == [("nir", number)]
    assert number not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        # no cue: the checksum decides
        "Le lot 1 85 05 78 006 084 36 est arrivé.",
        # a cue but a number that is not NIR-shaped (month 13, 14 digits, a longer run of digits)
        "numéro de sécu : 1 85 13 78 006 084 36",
        "numéro de sécu : 1 85 05 78 006 084 3",
        "numéro de sécu : 1 85 05 78 006 084 36 12",
        # a cue too far from the number, or another number in between
        "La sécurité sociale a dépensé en 2019 un total de 185057800608436 euros.",
        "La sécurité sociale, qui nous protège tous depuis longtemps, reste un pilier : 185057800608436.",
    ],
)
def test_cue_does_not_turn_other_numbers_into_nirs(text):
    assert "nir" not in types(text, names=False)


def test_iban_checksum():
    iban = make_iban(30006, 1, 12345678901, 89)
    assert is_valid_iban(iban) and is_valid_iban(group(iban, 4))
    assert not is_valid_iban(iban[:-1] + str((int(iban[-1]) + 1) % 10))
    found = detect(f"Virez sur {group(iban, 4)} merci", names=False)
    assert [(s.type, s.text) for s in found] == [("iban", group(iban, 4))]


@pytest.mark.parametrize(
    "phone",
    [
        "06 12 34 56 78",
        "0612345678",
        "01.45.67.89.10",
        "07-81-22-33-44",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033 1 45 67 89 10",
        "+33 (0)1 45 67 89 10",
        "+262 692 12 34 56",
    ],
)
def test_french_phone_formats(phone):
    assert [(s.type, s.text) for s in detect(f"Appelez le {phone} svp", names=False)] == [("phone", phone)]


@pytest.mark.parametrize(
    "text",
    [
        "Le budget atteint 1234567890 euros.",
        "Code 123 456 789 0.",
        "En 2019, 12 34 56 78 90 votes.",
        "Référence 06123456789012.",
    ],
)
def test_other_numbers_are_not_phones(text):
    assert "phone" not in types(text, names=False)


def test_email_and_obfuscated_email():
    assert types("écrivez à jean-marc.dupont+debat@exemple.fr.", names=False) == ["email"]
    assert types("écrivez à jean.dupont [at] exemple.com", names=False) == ["email"]
    assert types("le débat @ Paris est ouvert", names=False) == []


# -- addresses, dates of birth ---------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "12 rue des Lilas",
        "3 bis avenue Jean Jaurès, 69007 Lyon",
        "45, boulevard de la République",
        "7 place du Marché 35000 Rennes",
        "10 chemin des Vignes",
        "75011 Paris",
    ],
)
def test_addresses(address):
    found = detect(f"J'habite au {address} depuis dix ans.", names=False)
    assert [(s.type, s.text) for s in found] == [("address", address)]


@pytest.mark.parametrize(
    "text",
    [
        "Il manque 1 place de parking.",
        "Nous avons payé 15000 euros.",
        "Il y a 3 routes à refaire.",
        "En 75000 ans le climat change.",
    ],
)
def test_not_addresses(text):
    assert "address" not in types(text, names=False)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Je suis né le 12/03/1975 à Lyon.", "12/03/1975"),
        ("née le 1er avril 1962", "1er avril 1962"),
        ("Date de naissance : 03-11-1980", "03-11-1980"),
    ],
)
def test_birth_dates(text, date):
    assert [(s.type, s.text) for s in detect(text, names=False)] == [("birth_date", date)]


def test_a_plain_date_is_not_a_birth_date():
    assert types("La réunion du 12/03/2019 était utile.", names=False) == []


# -- health (RGPD art. 9) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Je suis diabétique depuis dix ans.",
        "mon cancer m'a coûté cher",
        "Ma dépression me fatigue.",
        "J'ai le VIH.",
        "Mon fils est autiste.",
        "je suis atteinte d'une sclérose en plaques",
        "J'ai un enfant handicapé.",
        "Je suis sous antidépresseurs.",
        "ma fille est asthmatique",
    ],
)
def test_first_person_health_disclosures(text):
    spans = detect(text, names=False)
    assert [s.type for s in spans] == ["health"]
    assert spans[0].sensitive


@pytest.mark.parametrize(
    "text",
    [
        "La santé publique est une priorité.",
        "Il faut financer la recherche contre le cancer.",
        "Je suis pour l'aide aux personnes handicapées.",
        "Les malades du diabète attendent.",
        "Je suis médecin généraliste.",
        "j'ai peur du cancer",
    ],
)
def test_health_topics_without_disclosure(text):
    assert types(text, names=False) == []


# -- names ----------------------------------------------------------------------------------


def test_titles_and_ner_names():
    text = "Hier, Camille Durand a écrit à Mme Lefebvre et au Dr Martin, pas à Monsieur le Maire."
    assert [s.text for s in detect(text) if s.type == "person"] == [
        "Camille Durand",
        "Mme Lefebvre",
        "Dr Martin",
    ]


def test_sentence_initial_verbs_are_not_names():
    text = "Interdire le glyphosate. Taxer le kérosène. Développer le train."
    assert types(text) == []


def persons(text: str) -> list[str]:
    return [span.text for span in detect(text) if span.type == "person"]


# Sentences written for these tests, shaped like the false alarms read in real citizens' answers: public figures,
# authors and politicians cited in an argument, places, companies, products, capitalised common words.
@pytest.mark.parametrize(
    "text",
    [
        "Il faudrait relire l'ouvrage de Hannah Arendt sur la condition humaine.",
        "Selon Jean-Marc Jancovici, le nucléaire reste indispensable.",
        "Comme le rappellent Jean Jouzel et Valérie Masson-Delmotte, le climat se réchauffe.",
        "Nicolas Hulot avait raison de démissionner.",
        "Le président Emmanuel Macron doit écouter les territoires.",
        "La secrétaire d'État au numérique, Axelle Lemaire, avait promis un texte.",
        "M. Sarkozy et Mr Hulot n'ont rien fait.",
        "Michel Dubreuil, directeur général de la société, a été entendu.",  # role after the name
        "Après deux ans d'enquête, Timothée Lavergne dévoile les dessous de l'affaire.",  # reporting verb
        "La théorie de Malthus est dépassée.",
        "La loi Pinel favorise la spéculation.",
        "Il faut taxer Amazon, Uber et Blablacar comme les autres.",
        "Les habitants de Lozère et de Bercy n'ont pas les mêmes besoins.",
        "Le livre « Jean Moulinet » raconte une histoire.",
        "Trop Compliqué pour répondre à cette question.",
        "Taux de TVA ramené à 5 % pour les produits de première nécessité.",
        "Un vélo Speed Bike coûte trop cher.",
        "Malthus, Keynes, Piketty : tous l'ont dit.",
        "Léa pense que c'est une bonne idée.",  # a first name alone identifies nobody
        "Martin et Bernard ont voté contre.",
        "Il faut écouter les enfants. Rien n'est fait pour eux.",
    ],
)
def test_public_figures_places_and_common_words_are_not_private_names(text):
    assert persons(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mon voisin Jean Dupont est d'accord avec moi.", "Jean Dupont"),
        ("Ma fille Léa attend un rendez-vous depuis six mois.", "Léa"),
        ("ma sœur Camille vit à la campagne", "Camille"),
        ("Notre médecin, le Dr Lefort, part à la retraite.", "Dr Lefort"),
        ("J'en ai parlé avec Mathilde Quéré hier soir.", "Mathilde Quéré"),
        ("Cordialement, Gaëlle TANGUY", "Gaëlle TANGUY"),
        ("Signé : Amadou Traoré", "Amadou Traoré"),
        ("Mme Lambert n'a jamais reçu de réponse.", "Mme Lambert"),
        ("Merci de votre lecture. Yves Kermarrec", "Yves Kermarrec"),
    ],
)
def test_private_persons_are_still_found(text, name):
    assert name in persons(text)


def test_health_of_oneself_and_relatives_is_still_found():
    for text in (
        "Je suis diabétique depuis l'enfance.",
        "Mon fils est autiste.",
        "ma mère a la maladie de Parkinson",
        "Ma fille Léa est diabétique depuis ses trois ans.",
    ):
        assert "health" in types(text), text


def test_name_lists_can_be_swapped(tmp_path):
    from nlp import personal_data

    rules = personal_data.name_rules()
    without_lists = personal_data.replace_public_lists(rules, frozenset(), frozenset())
    with personal_data.using_name_rules(without_lists):
        assert persons("Cordialement, Nicolas Hulot") == ["Nicolas Hulot"]
    assert persons("J'ai lu Nicolas Hulot.") == []


def test_names_can_be_skipped():
    assert types("Signé : Camille Durand", names=False) == []


# -- API and redaction ------------------------------------------------------------------------


def test_spans_are_sorted_and_do_not_overlap():
    text = "Jean Dupont, 12 rue des Lilas 75011 Paris, jean.dupont@exemple.fr, 06 12 34 56 78. Je suis diabétique."
    spans = detect(text)
    assert spans == sorted(spans, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert {s.type for s in spans} == {"person", "address", "email", "phone", "health"}
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_redact_replaces_every_span_with_its_placeholder():
    text = "Contact : jean.dupont@exemple.fr ou 06 12 34 56 78. Je suis diabétique."
    assert redact(text) == "Contact : [courriel] ou [téléphone]. [donnée de santé]."
    assert redact(text, []) == text
    assert redact("abc", [Span(0, 1, "nir", "a", False)]) == f"{PLACEHOLDERS['nir']}bc"


def test_detect_many_matches_detect():
    texts = ["Mme Dupont au 06 12 34 56 78", "", "rien à signaler", "Je suis asthmatique."]
    assert detect_many(texts) == [detect(t) for t in texts]


# -- properties: generated identifiers in French sentences ------------------------------------

WORDS = st.sampled_from(
    [
        "je",
        "pense",
        "que",
        "la",
        "santé",
        "numérique",
        "doit",
        "rester",
        "publique",
        "merci",
        "contact",
        "mon",
        "numéro",
        "est",
        "le",
        "écrivez",
        "à",
        "l'État",
        "données",
        ",",
        ".",
    ]
)
FILLER = st.lists(WORDS, max_size=12).map(" ".join)

EMAILS = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z][a-z0-9]{0,8})?", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9\-]{1,12}[a-z]", fullmatch=True),
    st.sampled_from(["fr", "com", "org", "net", "gouv.fr"]),
)
PHONES = st.builds(
    lambda prefix, first, rest, sep: prefix + first + "".join(sep + f"{d:02d}" for d in rest),
    st.sampled_from(["0", "+33 ", "+33", "0033 "]),
    st.sampled_from("123456789"),
    st.lists(st.integers(0, 99), min_size=4, max_size=4),
    st.sampled_from(["", " ", ".", "-"]),
)
NIRS = st.builds(
    make_nir,
    st.sampled_from([1, 2]),
    st.integers(0, 99),
    st.integers(1, 12),
    st.sampled_from(["01", "13", "2A", "2B", "59", "75", "93", "97"]),
    st.integers(1, 999),
    st.integers(1, 999),
).flatmap(lambda nir: st.sampled_from([nir, group(nir, 3), f"{nir[0]} {group(nir[1:], 2)}"]))
IBANS = st.builds(
    make_iban,
    st.integers(10000, 99999),
    st.integers(0, 99999),
    st.integers(0, 10**11 - 1),
    st.integers(0, 99),
).flatmap(lambda iban: st.sampled_from([iban, group(iban, 4)]))

IDENTIFIERS = st.one_of(
    EMAILS.map(lambda v: ("email", v)),
    PHONES.map(lambda v: ("phone", v)),
    NIRS.map(lambda v: ("nir", v)),
    IBANS.map(lambda v: ("iban", v)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=FILLER, item=IDENTIFIERS, after=FILLER)
def test_generated_identifiers_are_found_and_redacted(before, item, after):
    kind, value = item
    text = f"{before} {value} {after}"
    spans = detect(text, names=False)
    assert any(s.type == kind and s.text == value for s in spans), (text, spans)
    redacted = redact(text, spans)
    assert value not in redacted
    assert PLACEHOLDERS[kind] in redacted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(IDENTIFIERS, min_size=1, max_size=4), filler=FILLER)
# Found by this test in CI: the first IBAN's candidate swallowed the start of the second, which was then missed.
@example(items=[("iban", "FR80 1000 0000 0000 0000 0000 000")] * 2, filler="je")
@example(items=[("iban", "FR8010000000000000000000000"), ("iban", "FR80 1000 0000 0000 0000 0000 000")], filler="je")
def test_redaction_never_leaves_a_reported_identifier(items, filler):
    text = f" {filler} ".join(value for _, value in items)
    spans = detect(text)
    redacted = redact(text, spans)
    for span in spans:
        if span.type in {"email", "phone", "nir", "iban"}:
            assert span.text not in redacted
    for _, value in items:
        assert value not in redacted
