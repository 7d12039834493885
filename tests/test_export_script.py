"""The refit script is safe against hostile names; the trials CSV is safe to open in a spreadsheet."""

from __future__ import annotations

import ast
import csv
import io
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tuning.config import StudyConfig
from tuning.export import python_literal, spreadsheet_safe, standalone_script, trials_csv
from tuning.runner import run

from .conftest import SAMPLES

PWN = '__import__("os").system("echo PWNED")'
HOSTILE_FILE = f'a""" if {PWN} else """b.csv'
HOSTILE_STUDY = f'study """ + {PWN} + """ \\N{{oops}} \'\'\' \n# {PWN}\n'
HOSTILE_COLUMNS = {
    "x1": f'x1""" + {PWN} + """',
    "x2": "x2 \\N{BULLET} '\" \\",
    "color": f"color\n{PWN}",
}
HOSTILE_TARGET = f"label''' + {PWN} + '''"


def _hostile_table() -> bytes:
    df = pd.read_csv(SAMPLES / "moons.csv")
    rng = np.random.default_rng(0)
    df["color"] = rng.choice(["=1+1", "red", "-blue", "@x"], size=len(df))
    df = df.rename(columns={**HOSTILE_COLUMNS, "label": HOSTILE_TARGET})
    return df.to_csv(index=False).encode()


def _hostile_study(store, model="logistic_regression", space=None):
    ds = store.add_dataset(HOSTILE_FILE, _hostile_table())
    space = space or {"C": {"values": [0.1, 10.0]}, "max_iter": {"value": 500}}
    return run(
        store,
        StudyConfig(
            dataset_id=ds,
            target=HOSTILE_TARGET,
            model=model,
            strategy="grid",
            n_trials=None,
            cv=3,
            space=space,
            seed=7,
            name=HOSTILE_STUDY,
        ),
    )


@pytest.mark.parametrize("value", ["a", 'a"""b', "\\N{x}", "x\ny", 3, -2.5, float("inf"), float("nan"), None, True])
def test_python_literal_round_trips(value):
    code = python_literal({"v": [value, (value,)]})
    got = eval(code, {})  # noqa: S307 - the point of the test
    if isinstance(value, float) and value != value:
        assert got["v"][0] != got["v"][0]
    else:
        assert got == {"v": [value, (value,)]}


def test_script_with_hostile_names_parses_and_runs_without_running_them(store, tmp_path):
    s = _hostile_study(store)
    assert s["state"] == "complete", s
    script = standalone_script(store, s["study_id"])
    tree = ast.parse(script)
    consts = {
        t.targets[0].id: ast.literal_eval(t.value)
        for t in tree.body
        if isinstance(t, ast.Assign)
        and isinstance(t.targets[0], ast.Name)
        and t.targets[0].id.isupper()
        and t.targets[0].id != "PARAMS"
    }
    assert consts["DATA_FILE"] == HOSTILE_FILE and consts["STUDY_NAME"] == HOSTILE_STUDY
    assert consts["TARGET"] == HOSTILE_TARGET
    assert set(HOSTILE_COLUMNS.values()) <= set(consts["NUMERIC"] + consts["CATEGORICAL"])
    # Only the module docstring is a bare string; no user text anywhere else but in constants.
    assert "PWNED" not in ast.get_docstring(tree)
    (tmp_path / HOSTILE_FILE).write_bytes(_hostile_table())
    path = tmp_path / "refit.py"
    path.write_text(script)
    out = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "PWNED" not in out.stdout + out.stderr
    score = float(re.search(r"= (-?[\d.e+-]+) \+/-", out.stdout).group(1))
    assert score == pytest.approx(s["best_score"], rel=1e-5)


def test_trials_csv_neutralizes_formulas_and_keeps_numbers(store, add_sample):
    ds = add_sample("moons.csv")
    formula = '=HYPERLINK("http://example.invalid","x")'
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="logistic_regression",
            strategy="grid",
            n_trials=None,
            cv=3,
            # A hand-written space: the second class_weight is not valid, so that trial fails, but its
            # value still reaches the CSV as a text cell.
            space={"C": {"values": [-1.5, 2.0]}, "class_weight": {"values": ["balanced", formula]}},
        ),
    )
    text = trials_csv(store, s["study_id"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4
    weights = {r["param_class_weight"] for r in rows}
    assert weights == {"balanced", "'" + formula}
    assert {float(r["param_C"]) for r in rows} == {-1.5, 2.0}  # numbers stay numbers, even negative ones
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values() if cell)


@pytest.mark.parametrize(
    "cell, safe",
    [("=1+1", "'=1+1"), ("+x", "'+x"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx")],
)
def test_spreadsheet_safe_prefixes_formula_cells(cell, safe):
    assert spreadsheet_safe(cell) == safe
    assert spreadsheet_safe(-1.5) == -1.5 and spreadsheet_safe(3) == 3 and spreadsheet_safe("red") == "red"


def test_script_reproduces_a_sparse_one_hot_study(store, tmp_path):
    # 60 categorical columns of 20 levels: the pipeline passes a sparse matrix, and so must the script.
    rng = np.random.default_rng(3)
    df = pd.DataFrame({f"c{i}": rng.choice([f"v{j}" for j in range(20)], size=150) for i in range(60)})
    df["y"] = (df["c0"].isin(["v1", "v2", "v3"]) | (rng.random(150) < 0.2)).astype(int)
    content = df.to_csv(index=False).encode()
    ds = store.add_dataset("wide_cats.csv", content)
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="y",
            model="ridge",
            strategy="grid",
            n_trials=None,
            cv=3,
            space={"alpha": {"values": [1.0, 10.0]}},
        ),
    )
    script = standalone_script(store, s["study_id"])
    assert "SPARSE = True" in script
    (tmp_path / "wide_cats.csv").write_bytes(content)
    (tmp_path / "refit.py").write_text(script)
    out = subprocess.run([sys.executable, "refit.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    score = float(re.search(r"= (-?[\d.e+-]+) \+/-", out.stdout).group(1))
    assert score == pytest.approx(s["best_score"], rel=1e-5)
