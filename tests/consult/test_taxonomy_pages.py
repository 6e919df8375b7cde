"""The taxonomy page: 16 principles in 4 dimensions with their wording status, and the themes."""


def test_taxonomy_page(client):
    response = client.get("/taxonomie/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for n in range(1, 17):
        assert f'id="principe-{n}"' in html
    for n in range(1, 5):
        assert f"Dimension {n} —" in html
    assert (
        html.index("Dimension 1 —")
        < html.index('id="principe-1"')
        < html.index("Dimension 2 —")
        < html.index('id="principe-5"')
    )
    assert "Le numérique en santé complète et optimise les pratiques de santé effectuées en présentiel" in html


def test_unverified_wording_is_flagged(client):
    html = client.get("/taxonomie/").get_data(as_text=True)
    assert "Formulations en cours de vérification" in html
    assert "Les principes 6 à 16" in html and "intitulés de travail" in html
    assert html.count("Intitulé de travail, non vérifié") == 14  # only principles 1 and 2 are verified verbatim
    assert html.count("Formulation officielle</p>") == 2
    block = html[html.index('id="principe-6"') : html.index('id="principe-7"')]
    assert "Intitulé de travail, non vérifié" in block


def test_themes_with_descriptions(client, session):
    from consult.taxonomy.services import list_themes

    html = client.get("/taxonomie/").get_data(as_text=True)
    themes = list_themes(session=session)
    assert len(themes) >= 10
    for theme in themes:
        assert f'id="theme-{theme.id}"' in html
    assert themes[0].description_fr.split("(")[0].strip()[:40] in html
