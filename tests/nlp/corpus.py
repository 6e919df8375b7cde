"""A small generated French corpus with known topics, for theme, verbatim and CLI tests."""

import random

# Each topic: (expected taxonomy theme or None, openings, cores, endings). Sentences mix one of each,
# so texts of a topic share vocabulary without being identical.
TOPICS = {
    "donnees": (
        "T08",
        ["Je veux que", "Il est essentiel que", "J'exige que", "Il faut garantir que"],
        [
            "mes données de santé restent confidentielles et protégées",
            "la confidentialité des données personnelles de santé soit respectée",
            "le secret médical et la vie privée des patients soient protégés",
            "personne ne revende nos données de santé sans consentement",
            "la CNIL contrôle la réutilisation des données de santé",
        ],
        ["sans exception.", "dans le respect du RGPD.", "et que je donne mon consentement.", "."],
    ),
    "teleconsultation": (
        "T10",
        ["La téléconsultation", "La consultation en visio", "La télémédecine", "Le rendez-vous vidéo"],
        [
            "avec mon médecin m'évite de longs déplacements",
            "est pratique quand le médecin traitant est loin",
            "ne remplace pas un examen clinique mais aide pour un renouvellement",
            "permet de voir un spécialiste sans attendre des mois",
            "fonctionne mal quand la connexion internet est lente",
        ],
        ["à la campagne.", "pour les personnes âgées.", "en cas de téléconsultation urgente.", "."],
    ),
    "transport": (
        None,
        ["Il faudrait", "La commune devrait", "Je souhaite", "Nous avons besoin de"],
        [
            "plus de bus et de trains réguliers entre les villages",
            "des pistes cyclables sûres pour aller au travail à vélo",
            "des transports en commun moins chers et plus fréquents",
            "développer le covoiturage et les navettes vers la gare",
            "rouvrir les petites lignes de train fermées",
        ],
        ["le matin.", "pour réduire la voiture.", "dans notre région.", "."],
    ),
    "impots": (
        None,
        ["Il faut", "Le gouvernement doit", "Je propose de", "Pour plus de justice il faut"],
        [
            "baisser la TVA sur les produits de première nécessité",
            "rendre l'impôt sur le revenu plus progressif",
            "lutter contre la fraude fiscale des grandes entreprises",
            "supprimer les niches fiscales inutiles",
            "taxer davantage les très hauts revenus et le capital",
        ],
        ["rapidement.", "pour les classes moyennes.", "et simplifier la fiscalité.", "."],
    ),
}


def make_corpus(n_per_topic: int = 15, seed: int = 0) -> tuple[list[str], list[str]]:
    """Return (texts, topic names), topics interleaved, deterministic for a seed."""
    rng = random.Random(seed)
    texts, topics = [], []
    for i in range(n_per_topic):
        for name, (_, openings, cores, endings) in TOPICS.items():
            core = cores[(i + rng.randrange(len(cores))) % len(cores)]
            text = f"{rng.choice(openings)} {core} {rng.choice(endings)}".replace(" .", ".")
            texts.append(text)
            topics.append(name)
    return texts, topics
