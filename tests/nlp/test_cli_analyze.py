"""`python -m nlp analyze`: error paths (exit 2, message, no traceback) and a real run on generated French texts."""

import csv
import json
import subprocess
import sys

import pytest

from nlp.commands.analyze import OUTPUT_COLUMNS, main
from tests.nlp.corpus import make_corpus


def write_csv(path, rows, delimiter=","):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


@pytest.fixture(scope="module")
def corpus_csv(tmp_path_factory):
    texts, topics = make_corpus(15)
    texts[3] += " Écrivez-moi à jeanne.martin@example.org ou au 06 12 34 56 78."
    texts.append(texts[0])  # an exact duplicate of the first text
    topics.append("x")
    rows = [["ref", "texte", "sujet"]] + [[f"c{i}", t, s] for i, (t, s) in enumerate(zip(texts, topics, strict=True))]
    # Semicolons, as French spreadsheets export them.
    return write_csv(tmp_path_factory.mktemp("in") / "avis.csv", rows, delimiter=";")


@pytest.fixture(scope="module")
def run(corpus_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    argv = [
        str(corpus_csv),
        "--text-column",
        "texte",
        "--id-column",
        "ref",
        "--themes",
        "4",
        "--lemma-mode",
        "lookup",
        "--out",
        str(out / "a.csv"),
        "--report",
        str(out / "a.json"),
    ]
    assert main(argv) == 0
    with (out / "a.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows, json.loads((out / "a.json").read_text(encoding="utf-8")), argv, out


def test_missing_file(tmp_path, capsys):
    assert main([str(tmp_path / "absent.csv"), "--text-column", "t", "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "absent.csv" in err and "Traceback" not in err


def test_missing_column_lists_the_available_ones(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", [["id", "avis"], ["1", "Plus de trains"]])
    assert main([str(path), "--text-column", "texte", "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "'texte'" in err and "id, avis" in err


def test_empty_input(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", [["id", "avis"], ["1", ""], ["2", "  "]])
    assert main([str(path), "--text-column", "avis", "--out", str(tmp_path / "o.csv")]) == 2
    assert "no text to analyse" in capsys.readouterr().err
    header_only = write_csv(tmp_path / "h.csv", [["id", "avis"]])
    assert main([str(header_only), "--text-column", "avis", "--out", str(tmp_path / "o.csv")]) == 2


def test_missing_output_folder_is_reported_before_the_analysis(corpus_csv, tmp_path, capsys):
    argv = [str(corpus_csv), "--text-column", "texte", "--out", str(tmp_path / "absent" / "o.csv")]
    assert main(argv) == 2
    assert "output folder not found" in capsys.readouterr().err


def test_bad_themes_value_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["x.csv", "--text-column", "t", "--themes", "beaucoup", "--out", "o.csv"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("threads", ["0", "deux"])
def test_bad_threads_value_is_a_usage_error(threads):
    with pytest.raises(SystemExit) as exit_info:
        main(["x.csv", "--text-column", "t", "--threads", threads, "--out", "o.csv"])
    assert exit_info.value.code == 2


def test_errors_through_the_real_entry_point_have_no_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nlp",
            "analyze",
            str(tmp_path / "absent.csv"),
            "--text-column",
            "t",
            "--out",
            str(tmp_path / "o.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: input file not found")
    assert "Traceback" not in result.stderr


def test_one_output_row_per_input_row_with_the_documented_columns(run):
    rows, _, _, _ = run
    assert len(rows) == 61
    assert list(rows[0]) == OUTPUT_COLUMNS
    assert [row["id"] for row in rows] == [f"c{i}" for i in range(61)]
    assert all(row["theme"] in {"0", "1", "2", "3"} for row in rows)
    assert all(row["idea"].startswith(row["theme"] + ".") for row in rows)


def test_rows_carry_duplicates_personal_data_and_reference_themes(run):
    rows, _, _, _ = run
    assert rows[60]["duplicate_of"] == "c0"
    assert rows[0]["duplicate_of"] == ""
    assert rows[3]["personal_data"] == "email;phone"
    data_rows = [row for row in rows if "données" in row["id"] or row["theme_label"].startswith("donnée")]
    assert data_rows and all(row["reference_theme"] == "T08" for row in data_rows)


def test_principles_are_serialised_consistently(run):
    rows, _, _, _ = run
    for row in rows:
        ids = row["principles"].split(";") if row["principles"] else []
        scores = json.loads(row["principle_scores"]) if row["principle_scores"] else {}
        assert list(scores) == ids
        assert all(0 <= s <= 1 for s in scores.values())


def test_report_has_themes_ideas_verbatims_timings_and_parameters(run):
    rows, report, _, _ = run
    assert report["parameters"]["themes"] == 4 and report["parameters"]["random_state"] == 0
    assert report["parameters"]["threads"] == 1  # one BLAS/OpenMP thread unless asked
    assert report["n_texts"] == 61 and len(report["themes"]) == 4
    ids = {row["id"] for row in rows}
    for theme in report["themes"]:
        assert theme["label"] and theme["ideas"] and theme["summary"]
        assert theme["verbatims"] and {v["id"] for v in theme["verbatims"]} <= ids
    assert {"lemmas", "themes", "principles", "duplicates", "personal_data", "total"} <= set(report["timings"])
    assert report["duplicates"]["texts"] == sum(1 for row in rows if row["duplicate_of"])
    assert 1 <= report["duplicates"]["groups"] <= report["duplicates"]["texts"]
    # Verbatims are redacted: the e-mail address never reaches the report.
    assert "jeanne.martin@example.org" not in json.dumps(report, ensure_ascii=False)


def test_same_input_and_seed_give_the_same_output(run):
    rows, _, argv, out = run
    again = argv[:-4] + ["--out", str(out / "b.csv"), "--report", str(out / "b.json")]
    assert main(again) == 0
    assert (out / "b.csv").read_text(encoding="utf-8") == (out / "a.csv").read_text(encoding="utf-8")
