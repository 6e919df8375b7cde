"""Fixtures shared by the nlp library's tests."""

import pytest

from nlp.taxonomy import load_taxonomy


@pytest.fixture(scope="session")
def taxonomy():
    """The repository's taxonomy (config/taxonomy.yaml), read once."""
    return load_taxonomy()
