"""Personal-data detection: recall on generated items inserted in real answers, false alarms on real text, speed.

    .venv/bin/python bench/nlp_personal_data.py [--shared ../shared] [--parts recall,real,speed]

False alarms on real text: the share of real answers flagged as holding a person's name, on the Grand débat sample
split in two halves by a hash of the answer id ("dev": the rules of config/personal_data.yaml were chosen reading its
flags; "held-out") and on the République numérique contributions, with the detected spans listed for labelling.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

from nlp import personal_data
from nlp.personal_data import detect_many, nir_key
from nlp.text import fold

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"

# Generated for this benchmark: common French first and last names plus names of families from
# overseas France, the Maghreb, West Africa, Portugal, Vietnam, Brittany, Corsica, Alsace.
FIRST = """Camille Léa Manon Chloé Inès Jade Louise Emma Zoé Lina Sarah Anaïs Océane Aurélie Nathalie
Isabelle Sylvie Martine Françoise Monique Josiane Brigitte Céline Sandrine Virginie Élodie Gwenaëlle
Maëlle Soizic Fatima Khadija Yasmina Aïcha Fatoumata Aminata Mariama Nadia Samira Leïla Thi Lan
Hoa Ana Maria Joana Graziella Marie-Christine Anne-Sophie Hugo Lucas Louis Gabriel Arthur Jules Nathan
Théo Raphaël Mathis Enzo Baptiste Antoine Nicolas Julien Sébastien Thierry Philippe Jean-Pierre
Jean-Claude Gérard Bernard Michel Patrick Hervé Yannick Erwan Gwendal Loïc Mohamed Karim Rachid
Mehdi Youssef Amadou Moussa Mamadou Ibrahima Ousmane Jean-Baptiste Minh Duc Joao Paulo Ange-Marie
Dominique Claude Xavier Émile Dorothée Hélène Geneviève""".split()
LAST = """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre
Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert
Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas
Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard
Nguyen Tran Pham Le Goff Le Gall Kerjean Tanguy Le Bihan Quéré Morvan Diallo Traoré Koné Diop Ndiaye
Sow Camara Keita Haddad Benali Mansouri Belkacem Bouzid Cherif Hamidi Benabdallah Ait Ahmed
Da Silva Dos Santos Ferreira Pereira Oliveira Costa Santoni Giudicelli Pietri Casanova Albertini
Schmitt Meyer Weber Schneider Hoffmann Klein Wagner Baumann Payet Hoarau Grondin Fontaine-Lebon
Jean-Louis Marie-Sainte Lubin Dorval Saint-Cyr de La Fontaine d'Argent Van der Berg""".split()
# A few multi-word last names are split above; rebuild them.
LAST = [n for n in LAST if n not in {"Le", "Ait", "Da", "Dos", "de", "La", "Van", "der"}] + [
    "Le Goff",
    "Le Gall",
    "Le Bihan",
    "Ait Ahmed",
    "Da Silva",
    "Dos Santos",
    "de La Fontaine",
    "Van der Berg",
]
STREETS = ["rue", "avenue", "boulevard", "impasse", "allée", "place", "chemin", "route", "quai", "rue", "rue", "avenue"]
STREET_NAMES = [
    "des Lilas",
    "Victor Hugo",
    "de la République",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "des Écoles",
    "de la Gare",
    "du Moulin",
    "Saint-Michel",
    "des Acacias",
    "de Verdun",
    "Émile Zola",
    "du Stade",
    "de Paris",
    "Gambetta",
    "des Tilleuls",
    "de l'Église",
    "du Port",
    "Jean Moulin",
    "des Mimosas",
    "de la Liberté",
]
CITIES = [
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("13008", "Marseille"),
    ("31000", "Toulouse"),
    ("35000", "Rennes"),
    ("59000", "Lille"),
    ("67000", "Strasbourg"),
    ("44000", "Nantes"),
    ("20000", "Ajaccio"),
    ("97400", "Saint-Denis"),
    ("29200", "Brest"),
    ("63000", "Clermont-Ferrand"),
    ("87000", "Limoges"),
    ("21000", "Dijon"),
    ("33000", "Bordeaux"),
    ("12000", "Rodez"),
]
DOMAINS = [
    "gmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "yahoo.fr",
    "hotmail.fr",
    "sfr.fr",
    "wanadoo.fr",
    "outlook.com",
    "mairie-exemple.fr",
]
HEALTH = [
    "je suis diabétique",
    "j'ai un cancer du sein",
    "ma dépression",
    "mon fils est autiste",
    "je suis séropositif",
    "j'ai la maladie de Parkinson",
    "ma fille est épileptique",
    "je suis en dialyse",
    "mon mari a la sclérose en plaques",
    "je suis handicapé",
    "j'ai eu un AVC",
    "je souffre de fibromyalgie",
    "je suis bipolaire",
    "mon cancer de la prostate",
    "ma maladie de Crohn",
    "je suis asthmatique",
]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
STRUCTURED = ("email", "phone", "nir", "iban")


def group(value: str, size: int, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


def make_email(rng: random.Random) -> str:
    first, last = fold(rng.choice(FIRST)), fold(rng.choice(LAST))
    first, last = (w.replace(" ", "").replace("'", "") for w in (first, last))
    user = rng.choice(
        [
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}{rng.randint(1, 99)}",
            f"{last}.{first}",
            f"{first}_{last}{rng.randint(50, 99)}",
        ]
    )
    return f"{user}@{rng.choice(DOMAINS)}"


def make_phone(rng: random.Random) -> str:
    digits = [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    first = rng.choice("1234567896677")
    sep = rng.choice([" ", " ", ".", "", "-"])
    prefix = rng.choice(["0", "0", "0", "+33 ", "+33", "0033 "])
    return prefix + first + "".join(sep + d for d in digits)


def make_nir(rng: random.Random) -> str:
    department = rng.choice(["75", "13", "69", "2A", "2B", "59", "33", "97", "44", "99"])
    body = (
        f"{rng.randint(1, 2)}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{department}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    nir = f"{body}{nir_key(body):02d}"
    style = rng.randrange(3)
    if style == 0:
        return nir
    if style == 1:
        return f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    return f"{nir[:13]} {nir[13:]}"


def make_iban(rng: random.Random) -> str:
    bban = (
        f"{rng.randint(10000, 99999)}{rng.randint(0, 99999):05d}"
        f"{rng.randint(0, 10**11 - 1):011d}{rng.randint(0, 99):02d}"
    )
    digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    iban = f"FR{98 - int(digits) % 97:02d}{bban}"
    return group(iban, 4) if rng.random() < 0.7 else iban


def make_address(rng: random.Random) -> str:
    number = f"{rng.randint(1, 180)}{rng.choice(['', '', '', ' bis', ' ter'])}"
    street = f"{number} {rng.choice(STREETS)} {rng.choice(STREET_NAMES)}"
    postcode, city = rng.choice(CITIES)
    return rng.choice([street, f"{street}, {postcode} {city}", f"{street} {postcode} {city}"])


def make_name(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return rng.choice(
        [
            f"{first} {last}",
            f"{first} {last}",
            f"{first} {last.upper()}",
            f"{rng.choice(['Mme', 'M.', 'Dr', 'Madame', 'Monsieur'])} {last}",
            f"{rng.choice(['Mme', 'M.', 'Dr'])} {first} {last}",
        ]
    )


def make_birth_date(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1930, 2005)
    return rng.choice(
        [f"{day:02d}/{month:02d}/{year}", f"{day} {MONTHS[month - 1]} {year}", f"{day:02d}.{month:02d}.{year}"]
    )


# (type, generator, templates); "{}" is where the generated value goes.
SPECS = [
    (
        "email",
        make_email,
        ["Vous pouvez me joindre à {}.", "Contact : {}", "mon mail {} si besoin.", "Écrivez-moi ({}) pour en parler."],
    ),
    ("phone", make_phone, ["Mon téléphone : {}.", "Appelez-moi au {} le soir.", "Tél. {}", "joignable au {}."]),
    (
        "nir",
        make_nir,
        [
            "Mon numéro de sécurité sociale est le {}.",
            "NIR : {}",
            "(numéro de sécu {})",
            "ma carte vitale porte le numéro {}.",
        ],
    ),
    ("iban", make_iban, ["Pour un remboursement, mon IBAN : {}.", "RIB {} merci", "versez la somme sur le compte {}."]),
    (
        "address",
        make_address,
        ["J'habite au {}.", "Adresse : {}", "je vis {} depuis vingt ans.", "Réunion publique au {} samedi."],
    ),
    (
        "person",
        make_name,
        [
            "Je m'appelle {}.",
            "{}, retraité, habitant du quartier.",
            "Signé : {}",
            "Cordialement, {}",
            "J'en ai parlé avec {} hier.",
            "Mon voisin {} est d'accord.",
        ],
    ),
    # A relative or a neighbour named by a first name alone: private (the model misses most of these).
    (
        "person",
        lambda rng: rng.choice(FIRST),
        ["Ma fille {} est inquiète.", "mon fils {} a 12 ans", "Ma voisine, {}, vit seule.", "ma femme {} travaille"],
    ),
    ("birth_date", make_birth_date, ["Je suis né le {}.", "née le {}, je suis retraitée.", "Date de naissance : {}"]),
    ("health", lambda rng: rng.choice(HEALTH), ["Personnellement, {}.", "{} et je paie cher.", "Depuis dix ans {}."]),
]
# Citing someone is not disclosing a private person's data (config/personal_data.yaml): measured apart.
CITED = ("person", make_name, ["Comme le dit {}, il faut agir.", "Selon {}, c'est possible.", "le livre de {}"])


def insert(text: str, sentence: str, rng: random.Random) -> tuple[str, int]:
    """Insert `sentence` at the start, the end, or after a sentence of `text`; return text, offset."""
    cuts = [0, len(text)] + [i + 2 for i, c in enumerate(text[:-2]) if c in ".!?" and text[i + 1] == " "]
    cut = rng.choice(cuts)
    before, after = text[:cut].rstrip(), text[cut:].lstrip()
    lead = before + " " if before else ""
    if sentence[:1].islower() and (not before or before[-1] in ".!?"):
        sentence = sentence[0].upper() + sentence[1:]
    return lead + sentence + (" " + after if after else ""), len(lead)


def build(texts: list[str], n_per_type: int, rng: random.Random):
    """Return (texts, gold spans per text) with one generated item inserted in each text."""
    out, gold = [], []
    picks = rng.sample(range(len(texts)), n_per_type * len(SPECS))
    for k, index in enumerate(picks):
        kind, make, templates = SPECS[k % len(SPECS)]
        value = make(rng)
        template = rng.choice(templates)
        new_text, offset = insert(texts[index], template.format(value), rng)
        start = offset + template.index("{}")
        out.append(new_text)
        gold.append((start, start + len(value), kind))
    return out, gold, picks


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def evaluate(texts, gold, predictions):
    """Recall per type (a same-type detection overlapping the inserted item) and precision."""
    found, total = Counter(), Counter()
    tp = fp = 0
    false_positives = []
    for text, (start, end, kind), spans in zip(texts, gold, predictions, strict=True):
        total[kind] += 1
        if any(s.type == kind and overlaps(s.start, s.end, start, end) for s in spans):
            found[kind] += 1
        for s in spans:
            if s.type == kind and overlaps(s.start, s.end, start, end):
                tp += 1
            else:
                fp += 1
                false_positives.append((s.type, s.text, text[max(0, s.start - 40) : s.end + 40]))
    return found, total, tp, fp, false_positives


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=250, help="texts with an inserted item, per template set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared/ folder holding data/")
    parser.add_argument("--parts", default="recall,real,speed")
    args = parser.parse_args()
    path = args.shared / "data" / "granddebat-2019-sample" / "responses_sample.csv"
    if not path.exists():
        print(f"no data at {path}: nothing to measure", file=sys.stderr)
        return 0
    print(f"load average {os.getloadavg()[0]:.1f}")
    rows = load_rows(path)
    texts = [text for _, text in rows]
    parts = set(args.parts.split(","))
    if "recall" in parts:
        recall(texts, args)
    if "real" in parts:
        real_text(rows, args.shared / "data" / "republique-numerique-2015" / "contributions.csv")
    if "speed" in parts:
        speed(texts)
    return 0


def load_rows(path: Path) -> list[tuple[str, str]]:
    csv.field_size_limit(10**9)
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["id"], row["text"]) for row in csv.DictReader(handle)]


def recall(texts: list[str], args) -> None:
    rng = random.Random(args.seed)
    inserted, gold, _ = build(texts, args.per_type, rng)
    predictions = detect_many(inserted)
    found, total, tp, fp, false_positives = evaluate(inserted, gold, predictions)
    print(f"evaluation set: {len(inserted)} answers, one generated item inserted in each")
    for kind in dict.fromkeys(kind for kind, _, _ in SPECS):
        print(f"  recall {kind:<11} {found[kind] / total[kind]:.3f}  ({found[kind]}/{total[kind]})")
    structured = sum(found[k] for k in STRUCTURED) / sum(total[k] for k in STRUCTURED)
    print(f"  recall structured identifiers (email, phone, nir, iban): {structured:.3f}")
    print(
        f"  precision overall {tp / (tp + fp):.3f}  (tp {tp}, other detections {fp}: "
        f"{dict(Counter(t for t, _, _ in false_positives))})"
    )
    for kind, surface, context in false_positives[:25]:
        print(f"    not inserted: {kind:<9} {surface!r:<32} …{context!r}")
    cited, cited_gold = [], []
    for text in rng.sample(texts, args.per_type):
        value, template = make_name(rng), rng.choice(CITED[2])
        new_text, offset = insert(text, template.format(value), rng)
        cited.append(new_text)
        cited_gold.append(offset + template.index("{}"))
    flagged = sum(
        any(s.type == "person" and s.start <= start < s.end for s in spans)
        for start, spans in zip(cited_gold, detect_many(cited), strict=True)
    )
    print(f"  cited names (« Comme le dit X », « Selon X », « le livre de X ») flagged: {flagged}/{len(cited)}")


def _half(answer_id: str) -> str:
    return "dev" if int(hashlib.md5(answer_id.encode()).hexdigest(), 16) % 2 == 0 else "held-out"


def real_text(rows: list[tuple[str, str]], repnum: Path) -> None:
    sets = {
        "Grand débat, dev half": [t for i, t in rows if _half(i) == "dev"],
        "Grand débat, held-out half": [t for i, t in rows if _half(i) == "held-out"],
    }
    if repnum.exists():
        sets["République numérique (held-out)"] = [t for _, t in load_rows(repnum)]
    for name, texts in sets.items():
        spans = detect_many(texts)
        person = [row for row in spans if any(s.type == "person" for s in row)]
        anything = sum(1 for row in spans if row)
        print(
            f"{name}: {len(texts)} texts; person-name flags {len(person)} ({len(person) / len(texts):.2%}); "
            f"any personal data {anything} ({anything / len(texts):.2%}); "
            f"{dict(Counter(s.type for r in spans for s in r))}"
        )
        for text, row in zip(texts, spans, strict=True):
            for s in row:
                if s.type == "person":
                    print(f"    {s.text!r:<34} …{text[max(0, s.start - 50) : s.end + 50]!r}")
    # Ablation: the same rules with empty public lists (what the context rules alone give).
    full = personal_data.name_rules()
    lists_off = personal_data.replace_public_lists(full, frozenset(), frozenset())
    for name, texts in sets.items():
        with personal_data.using_name_rules(lists_off):
            spans = detect_many(texts)
        person = sum(1 for row in spans if any(s.type == "person" for s in row))
        print(f"  without the public-figure/organisation/place lists, {name}: {person} ({person / len(texts):.2%})")


def speed(texts: list[str]) -> None:
    for _ in range(2):  # second run: models and lexicon already loaded
        wall, cpu = time.perf_counter(), time.process_time()
        detect_many(texts)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        load = os.getloadavg()[0]
        print(f"detect_many on all {len(texts)} answers: {wall:.1f} s wall, {cpu:.1f} s CPU (load {load:.1f})")
    wall, cpu = time.perf_counter(), time.process_time()
    detect_many(texts, names=False)
    print(f"  without names (no NER): {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")


if __name__ == "__main__":
    sys.exit(main())
