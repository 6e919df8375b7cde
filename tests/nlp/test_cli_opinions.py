"""`python -m nlp opinions`: a run on a small Pol.is-layout file, and the user-error paths."""

import csv
import json

import numpy as np
import pytest

from nlp.cli import main

HEADER = "participant,group-id,n-comments,n-votes,n-agree,n-disagree"


@pytest.fixture
def polis_files(tmp_path):
    """Two camps of 12 voters on 10 statements, one voter with 2 votes, statement 9 moderated."""
    rng = np.random.default_rng(0)
    stance = rng.choice([-1, 1], 10)
    lines = [HEADER + "," + ",".join(map(str, range(10)))]
    for i in range(24):
        votes = stance if i < 12 else -stance
        cells = [str(v) for v in votes]
        cells[rng.integers(10)] = ""  # one unseen statement each
        lines.append(f"{i},,0,{sum(c != '' for c in cells)},0,0," + ",".join(cells))
    lines.append("24,,0,2,1,1,1,-1" + "," * 8)
    votes = tmp_path / "participants-votes.csv"
    votes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    comments = tmp_path / "comments.csv"
    rows = ["timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"]
    rows += [f"{j},x,{j},0,0,0,{-1 if j == 9 else 1},Énoncé numéro {j}" for j in range(10)]
    comments.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return votes, comments


def test_run_writes_groups_and_report(polis_files, tmp_path, capsys):
    votes, comments = polis_files
    out, report = tmp_path / "groups.csv", tmp_path / "report.json"
    code = main(
        [
            "opinions",
            str(votes),
            "--comments",
            str(comments),
            "--out",
            str(out),
            "--report",
            str(report),
        ]
    )
    assert code == 0
    with open(out, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["participant"] for row in rows] == [str(i) for i in range(25)]
    assert rows[-1]["group"] == ""  # two votes: left out
    camps = {rows[i]["group"] for i in range(12)}, {rows[i]["group"] for i in range(12, 24)}
    assert len(camps[0]) == 1 and len(camps[1]) == 1 and camps[0] != camps[1]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["n_groups"] == 2 and data["n_grouped"] == 24 and data["n_moderated_out"] == 1
    assert sorted(g["size"] for g in data["groups"]) == [12, 12]
    assert data["parameters"]["random_state"] == 0
    assert set(data["timing_seconds"]) == {"read", "fit", "total"}
    first = data["groups"][0]["representative"][0]
    assert first["text"].startswith("Énoncé numéro") and "p_value" in first
    shown = [s["statement"] for g in data["groups"] for s in g["representative"]]
    shown += [s["statement"] for s in data["divisive"]]
    assert shown and "9" not in shown
    assert "2 groups" in capsys.readouterr().err


def test_quiet_run_without_comments(polis_files, tmp_path, capsys):
    votes, _ = polis_files
    assert main(["opinions", str(votes), "--out", str(tmp_path / "g.csv"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def assert_user_error(capsys, argv, message):
    assert main(["opinions", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert_user_error(
        capsys,
        [str(tmp_path / "absent.csv"), "--out", str(tmp_path / "o.csv")],
        "input file not found",
    )


def test_missing_comments_file_is_a_clear_error(polis_files, tmp_path, capsys):
    votes, _ = polis_files
    argv = [str(votes), "--comments", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")]
    assert_user_error(capsys, argv, "input file not found")


def test_file_in_another_layout_is_a_clear_error(tmp_path, capsys):
    other = tmp_path / "other.csv"
    other.write_text("id,text\n1,bonjour\n", encoding="utf-8")
    assert_user_error(capsys, [str(other), "--out", str(tmp_path / "o.csv")], "Pol.is layout")
    other.write_text(HEADER + ",0\n1,,0,1,1,0,peut-être\n", encoding="utf-8")
    assert_user_error(capsys, [str(other), "--out", str(tmp_path / "o.csv")], "not a number")


def test_empty_matrix_is_a_clear_error(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER + ",0,1\n1,,0,0,0,0,,\n", encoding="utf-8")
    assert_user_error(capsys, [str(empty), "--out", str(tmp_path / "o.csv")], "empty vote matrix")
    empty.write_text(HEADER + "\n", encoding="utf-8")
    assert_user_error(capsys, [str(empty), "--out", str(tmp_path / "o.csv")], "empty vote matrix")


def test_unwritable_output_is_a_clear_error(polis_files, tmp_path, capsys):
    votes, _ = polis_files
    argv = [str(votes), "--out", str(tmp_path / "missing-dir" / "o.csv"), "--quiet"]
    assert_user_error(capsys, argv, "No such file or directory")
