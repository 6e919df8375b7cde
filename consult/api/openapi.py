"""The OpenAPI 3.1 document of /api/v1, built as data so tests can validate responses against it."""
# ruff: noqa: E501 -- the French descriptions are documentation text, kept on one line each

from __future__ import annotations

from consult.api.services import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_LENGTH, RELEVANCE, SORTS

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATETIME = {"type": "string", "format": "date-time"}
COUNT = {"type": "integer", "minimum": 0}
URL = {"type": "string", "format": "uri"}
SCORE = {"type": "number", "minimum": 0, "maximum": 1}
WORDS = {"type": "array", "items": {"type": "string"}}


def _object(properties: dict, *, optional: tuple[str, ...] = ()) -> dict:
    """A closed object: every property required unless listed in `optional`, no others allowed."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {
                        "type": "integer",
                        "minimum": 400,
                        "maximum": 599,
                        "description": "Code HTTP de la réponse.",
                    },
                    "message": {"type": "string", "description": "Message en français."},
                    "details": {
                        "type": "object",
                        "additionalProperties": STRING,
                        "description": "Un message par paramètre refusé.",
                    },
                },
                optional=("details",),
            ),
        }
    ),
    "ConsultationLinks": _object({"self": URL, "contributions": URL}),
    "ConsultationSummary": _object(
        {
            "slug": STRING,
            "title": STRING,
            "summary": STRING,
            "question": STRING,
            "status": {"type": "string", "enum": ["upcoming", "open", "closed"]},
            "opens_at": DATETIME,
            "closes_at": DATETIME,
            "moderation": {"type": "string", "enum": ["pre", "post"]},
            "links": _ref("ConsultationLinks"),
        }
    ),
    "Phase": _object({"title": STRING, "description": STRING, "starts_at": DATETIME, "ends_at": DATETIME}),
    "ConsultationCounts": _object(
        {
            "contributions": COUNT,
            "votes": COUNT,
            "comments": COUNT,
            "participants": {
                **COUNT,
                "description": "Auteurs distincts de contributions publiées.",
            },
        }
    ),
    "VoteCounts": _object({"agree": COUNT, "disagree": COUNT, "pass": COUNT, "total": COUNT}),
    "Scores": _object(
        {
            "consensus": {
                "type": "number",
                "description": "(d'accord+1)/(d'accord+pas d'accord+2) × (1 − 1/(votes+1))",
            },
            "divisive": {
                "type": "number",
                "description": "min(d'accord, pas d'accord)/max(d'accord, pas d'accord, 1) × (d'accord+pas d'accord)",
            },
        }
    ),
    "ThemeRef": _object({"id": STRING, "label": STRING}),
    "PrincipleRef": _object(
        {
            "id": STRING,
            "label": STRING,
            "source": {
                "type": "string",
                "enum": ["author", "nlp", "moderator"],
                "description": "Qui a rattaché le principe : l'auteur, l'analyse automatique ou la modération.",
            },
        }
    ),
    "ContributionLinks": _object({"self": URL, "votes": URL}),
    "Contribution": _object(
        {
            "id": {"type": "integer"},
            "consultation": {
                "type": "string",
                "description": "Identifiant (slug) de la consultation.",
            },
            "title": STRING,
            "body": STRING,
            "author": _object({"pseudonym": STRING}),
            "theme": {"oneOf": [_ref("ThemeRef"), {"type": "null"}]},
            "principles": {
                "type": "array",
                "items": _ref("PrincipleRef"),
                "description": "Principes donnés par des personnes (auteur ou modérateur).",
            },
            "automatic": {
                "oneOf": [_ref("AutomaticLabels"), {"type": "null"}],
                "description": "Lecture AUTOMATIQUE de la contribution par la bibliothèque d'analyse (pas un choix humain), ou null si elle n'a pas encore été analysée.",
            },
            "channel": {"type": "string", "enum": ["web", "chat", "import"]},
            "created_at": DATETIME,
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "comment_count": COUNT,
            "links": _ref("ContributionLinks"),
            "votes": _ref("VoteCounts"),
            "scores": _ref("Scores"),
        }
    ),
    "AutomaticLabels": {
        **_object(
            {
                "theme": {
                    "oneOf": [
                        _object(
                            {
                                "id": STRING,
                                "label": STRING,
                                "score": SCORE,
                                "words": WORDS,
                            }
                        ),
                        {"type": "null"},
                    ],
                    "description": "Thème de référence proposé, ou null si aucun mot du texte n'y mène.",
                },
                "principles": {
                    "type": "array",
                    "items": _object({"id": STRING, "label": STRING, "score": SCORE, "words": WORDS}),
                    "description": "Principes éthiques proposés, du plus sûr au moins sûr.",
                },
                "labelled_at": DATETIME,
                "model_version": {"type": "string", "description": "Modèles qui ont produit ces étiquettes."},
                "run_id": {
                    "type": ["integer", "null"],
                    "description": "Analyse qui les a produites (null : à la soumission ou après réentraînement).",
                },
            }
        ),
        "description": "Étiquettes AUTOMATIQUES : proposées par la machine, avec leur score (0 à 1, degré de confiance) et les mots du texte qui les justifient. Elles ne remplacent jamais les étiquettes données par des personnes.",
    },
    "Analysis": {
        **_object(
            {
                "automatic": {"type": "boolean", "const": True},
                "run": _object(
                    {
                        "id": {"type": "integer"},
                        "finished_at": DATETIME,
                        "parameters": {"type": "object"},
                        "versions": {"type": "object", "additionalProperties": STRING},
                        "fingerprint": {"type": "string", "description": "Empreinte SHA-256 des données analysées."},
                        "contributions": COUNT,
                        "votes": COUNT,
                        "participants": COUNT,
                    }
                ),
                "themes": {"type": "array", "items": _ref("AnalysisTheme")},
                "opinion_groups": {
                    "type": "array",
                    "items": _object(
                        {
                            "number": COUNT,
                            "size": COUNT,
                            "center": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                            "representative": {
                                "type": "array",
                                "items": _object(
                                    {
                                        "contribution_id": {"type": "integer"},
                                        "direction": {"type": "string", "enum": ["agree", "disagree"]},
                                        "agree_ratio": {"type": "number"},
                                    }
                                ),
                            },
                        }
                    ),
                },
                "consensus": {
                    "type": "array",
                    "items": _object(
                        {
                            "contribution_id": {"type": "integer"},
                            "direction": {"type": "string", "enum": ["agree", "disagree"]},
                        }
                    ),
                },
                "divisive": {"type": "array", "items": _object({"contribution_id": {"type": "integer"}})},
                "map": {
                    "type": "array",
                    "items": _object({"x": {"type": "number"}, "y": {"type": "number"}, "group": COUNT}),
                    "description": "Carte 2-D des participants regroupés (anonymes), un point chacun.",
                },
            }
        ),
        "description": "Dernière analyse AUTOMATIQUE terminée : thèmes et idées découverts, verbatims, groupes d'opinion (méthode Pol.is) ; seules les contributions publiées aujourd'hui y figurent.",
    },
    "AnalysisTheme": _object(
        {
            "key": {"type": "string", "description": "« 3 » pour un thème, « 3.1 » pour une idée."},
            "label": STRING,
            "terms": WORDS,
            "size": COUNT,
            "reference_theme": NULLABLE_STRING,
            "reference_score": {"type": ["number", "null"]},
            "summary": {"type": "array", "items": STRING},
            "verbatims": {
                "type": "array",
                "items": _object({"contribution_id": {"type": "integer"}, "text": STRING}),
            },
            "ideas": {"type": "array", "items": {"$ref": "#/components/schemas/AnalysisTheme"}},
        }
    ),
    "ConsultationList": _object({"data": {"type": "array", "items": _ref("ConsultationSummary")}}),
    "ContributionPage": _object(
        {
            "data": {"type": "array", "items": _ref("Contribution")},
            "links": _object(
                {
                    "self": URL,
                    "next": {
                        "type": ["string", "null"],
                        "format": "uri",
                        "description": "Page suivante, ou null à la fin.",
                    },
                }
            ),
            "meta": _object(
                {
                    "sort": {"type": "string", "enum": [RELEVANCE, *SORTS]},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    "count": COUNT,
                }
            ),
        }
    ),
    "ContributionVotes": _object(
        {
            "contribution_id": {"type": "integer"},
            "votes": _ref("VoteCounts"),
            "scores": _ref("Scores"),
        }
    ),
    "Taxonomy": _object(
        {
            "dimensions": {
                "type": "array",
                "items": _object({"id": STRING, "key": STRING, "label_fr": STRING, "label_en": NULLABLE_STRING}),
            },
            "principles": {
                "type": "array",
                "items": _object(
                    {
                        "id": STRING,
                        "dimension_id": STRING,
                        "number": {"type": "integer", "minimum": 1},
                        "label_fr": {
                            "type": "string",
                            "description": "Libellé officiel si verified_fr, sinon libellé de travail.",
                        },
                        "label_en": STRING,
                        "verified_fr": {
                            "type": "boolean",
                            "description": "Vrai si le libellé français a été vérifié dans le texte officiel.",
                        },
                    }
                ),
            },
            "themes": {
                "type": "array",
                "items": _object(
                    {
                        "id": STRING,
                        "key": STRING,
                        "label_fr": STRING,
                        "label_en": NULLABLE_STRING,
                        "description_fr": STRING,
                        "position": {"type": "integer", "minimum": 0},
                    }
                ),
            },
        }
    ),
}
# The detail repeats the summary's properties plus its own, as one closed object
# (closed objects do not compose with allOf in JSON Schema).
SCHEMAS["ConsultationDetail"] = _object(
    SCHEMAS["ConsultationSummary"]["properties"]
    | {
        "description": {"type": "string", "description": "Texte de présentation (Markdown)."},
        "phases": {"type": "array", "items": _ref("Phase")},
        "counts": _ref("ConsultationCounts"),
    }
)


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


RATE_LIMITED = _error("Trop de requêtes (limite par adresse IP) ; en-tête Retry-After.")
NOT_FOUND = _error("Ressource introuvable ou non publiée.")
SLUG = {"name": "slug", "in": "path", "required": True, "schema": STRING}
CONTRIBUTION_ID = {
    "name": "contribution_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}

PATHS = {
    "/consultations": {
        "get": {
            "operationId": "listConsultations",
            "summary": "Lister les consultations (à venir, ouvertes, closes).",
            "responses": {"200": _ok("Consultations", "ConsultationList"), "429": RATE_LIMITED},
        }
    },
    "/consultations/{slug}": {
        "get": {
            "operationId": "getConsultation",
            "summary": "Une consultation, ses phases et ses compteurs en direct (contributions publiées seulement).",
            "parameters": [SLUG],
            "responses": {
                "200": _ok("Consultation", "ConsultationDetail"),
                "404": NOT_FOUND,
                "429": RATE_LIMITED,
            },
        }
    },
    "/consultations/{slug}/contributions": {
        "get": {
            "operationId": "listContributions",
            "summary": "Contributions publiées d'une consultation, filtrées, triées, paginées par curseur.",
            "description": "Pagination par curseur opaque : suivez `links.next` jusqu'à ce qu'il vaille null. "
            "Un curseur n'est valable que pour le tri qui l'a produit.",
            "parameters": [
                SLUG,
                {
                    "name": "theme",
                    "in": "query",
                    "schema": STRING,
                    "description": "Identifiant de thème (T01…T18).",
                },
                {
                    "name": "principle",
                    "in": "query",
                    "schema": STRING,
                    "description": "Identifiant de principe (P01…P16).",
                },
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
                    "description": "Recherche plein texte dans le titre et le texte (sans distinction de casse ni "
                    "d'accents) : tous les mots ; \"expression exacte\" ; -mot pour exclure ; a or b pour l'un ou "
                    "l'autre.",
                },
                {
                    "name": "sort",
                    "in": "query",
                    "schema": {"type": "string", "enum": [RELEVANCE, *SORTS]},
                    "description": "Par défaut relevance (les plus pertinentes) avec q, recent sans q. "
                    "relevance : pertinence de la recherche (sans q : plus récentes) ; recent : plus récentes ; agree : plus d'accords ; divisive : plus clivantes ; "
                    "consensus : plus consensuelles ; least_voted : moins votées d'abord, les plus récentes en premier à égalité.",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_LIMIT,
                        "default": DEFAULT_LIMIT,
                    },
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "schema": STRING,
                    "description": "Valeur opaque tirée de links.next.",
                },
            ],
            "responses": {
                "200": _ok("Une page de contributions", "ContributionPage"),
                "400": _error(
                    "Paramètre invalide (tri inconnu, curseur invalide, limit hors bornes, thème ou principe inconnu)."
                ),
                "404": NOT_FOUND,
                "429": RATE_LIMITED,
            },
        }
    },
    "/consultations/{slug}/analysis": {
        "get": {
            "operationId": "getConsultationAnalysis",
            "summary": "Résultats AUTOMATIQUES de la dernière analyse terminée : thèmes, idées, groupes d'opinion.",
            "parameters": [SLUG],
            "responses": {
                "200": _ok("Analyse", "Analysis"),
                "404": _error("Consultation introuvable, ou aucune analyse terminée."),
                "429": RATE_LIMITED,
            },
        }
    },
    "/contributions/{contribution_id}": {
        "get": {
            "operationId": "getContribution",
            "summary": "Une contribution publiée, avec ses votes, son thème et ses principes.",
            "parameters": [CONTRIBUTION_ID],
            "responses": {
                "200": _ok("Contribution", "Contribution"),
                "404": NOT_FOUND,
                "429": RATE_LIMITED,
            },
        }
    },
    "/contributions/{contribution_id}/votes": {
        "get": {
            "operationId": "getContributionVotes",
            "summary": "Décompte des votes d'une contribution publiée et ses scores de tri.",
            "parameters": [CONTRIBUTION_ID],
            "responses": {
                "200": _ok("Votes", "ContributionVotes"),
                "404": NOT_FOUND,
                "429": RATE_LIMITED,
            },
        }
    },
    "/taxonomy": {
        "get": {
            "operationId": "getTaxonomy",
            "summary": "Thèmes, dimensions et 16 principes, avec le statut de vérification des libellés.",
            "responses": {"200": _ok("Taxonomie", "Taxonomy"), "429": RATE_LIMITED},
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "Ce document OpenAPI 3.1.",
            "responses": {
                "200": {
                    "description": "Document OpenAPI",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "429": RATE_LIMITED,
            },
        }
    },
}


def build_document(*, server_url: str = "/api/v1") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "API publique de la consultation citoyenne — numérique en santé",
            "version": "1.0.0",
            "description": "API en lecture seule. Seules les contributions publiées sont exposées ; "
            "les auteurs n'apparaissent que par leur pseudonyme. Erreurs au format "
            '{"error": {"code": …, "message": …}}.',
        },
        "servers": [{"url": server_url}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
