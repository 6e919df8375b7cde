"""nlp/ is a standalone library: importing any of its modules loads neither the web app nor its stack."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import nlp

FORBIDDEN = ("consult", "flask", "sqlmodel")


def all_modules() -> list[str]:
    root = Path(nlp.__file__).parent
    names = [f"nlp.{info.name}" for info in pkgutil.walk_packages([str(root)])]
    names += [f"nlp.commands.{info.name}" for info in pkgutil.iter_modules([str(root / "commands")])]
    return sorted(set(names) - {"nlp.__main__"})  # __main__ runs the CLI when imported


def test_the_module_list_covers_the_package():
    assert {"nlp.themes", "nlp.embeddings", "nlp.verbatims", "nlp.commands.analyze"} <= set(all_modules())


def test_importing_every_nlp_module_loads_no_web_module():
    code = (
        "import importlib, sys\n"
        f"for name in {all_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_public_api_names_all_resolve():
    import nlp

    for name in nlp.__all__:
        assert getattr(nlp, name) is not None, name


def test_public_api_keeps_its_names_and_theme_model_parameters():
    import inspect

    from nlp.themes import ThemeModel

    assert {"ThemeModel", "ThemeSummary", "IdeaSummary", "lemma_strings", "describe_groups"} <= set(nlp.__all__)
    parameters = set(inspect.signature(ThemeModel).parameters)
    assert {"n_themes", "n_ideas", "method", "taxonomy", "lemma_mode", "random_state", "min_df"} <= parameters
    assert set(inspect.signature(ThemeModel.fit).parameters) >= {"X", "lemmas", "embeddings"}
