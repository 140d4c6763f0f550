"""The Python package against the command line: the same bytes, DataFrames with the CSV's
columns, samples straight from the engine, errors as exceptions, Ctrl-C, and a 1,000,000-path
samples round trip through Parquet. Run by .ci/run in a fresh virtual environment:

    python -m venv /tmp/venv && /tmp/venv/bin/pip install ./python pytest pandas pyarrow duckdb
    /tmp/venv/bin/pytest python/tests
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import boomsim

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd=ROOT):
    """`boomsim` of this checkout (cargo builds it if needed)."""
    return subprocess.run(
        ["cargo", "run", "--release", "--quiet", "--", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )


def test_every_csv_has_the_bytes_of_the_command_line(tmp_path):
    model = ROOT / "models" / "python-5x.toml"
    cli("run", str(model), "--paths", "6000", "--seed", "7", "--samples",
        "--where", "adoption_multiple >= 5", "--set", "adoption.ceiling=3 to 12",
        "--out", str(tmp_path / "cli"))
    run = boomsim.run(str(model), paths=6000, seed=7, samples=True,
                      where="adoption_multiple >= 5", set={"adoption.ceiling": "3 to 12"})
    written = run.write(tmp_path / "py")
    assert written == run.files
    for name in written:
        ours, theirs = (tmp_path / "py" / name).read_bytes(), (tmp_path / "cli" / name).read_bytes()
        if name == "manifest.json":
            a, b = json.loads(ours), json.loads(theirs)
            for volatile in ("created", "elapsed_seconds", "command_line"):
                a.pop(volatile), b.pop(volatile)
            assert a == b
        else:
            assert ours == theirs, name


def test_tables_are_the_csv_files_as_dataframes(tmp_path):
    run = boomsim.run(paths=4000, seed=2, samples=True)
    run.write(tmp_path / "r")
    for table, file in [("summary", "summary.csv"), ("adoption", "adoption.csv"),
                        ("sensitivity", "sensitivity.csv"), ("distributions", "distributions.csv"),
                        ("precision", "precision.csv"), ("convergence", "convergence.csv"),
                        ("samples", "samples.csv")]:
        frame = getattr(run, table)
        assert isinstance(frame, pd.DataFrame)
        assert isinstance(frame.index, pd.RangeIndex)
        pd.testing.assert_frame_equal(frame, pd.read_csv(tmp_path / "r" / file), check_exact=True)
    assert run.samples.shape == (4000, 51)
    assert run.samples["path"].dtype == np.int64
    assert run.summary["kind"].tolist()[:3] == ["group"] * 3
    assert "<table" in run._repr_html_()


def test_without_pandas_tables_are_dicts_of_arrays(monkeypatch):
    monkeypatch.setattr(boomsim, "_pandas", lambda: None)
    run = boomsim.run(paths=2000, seed=2, samples=True)
    summary = run.summary
    assert isinstance(summary, dict)
    assert summary["mean_return"].dtype == np.float64
    assert summary["rank"].dtype == np.int64
    assert list(summary)[:3] == ["kind", "name", "label"]
    assert run.samples["return.public_equities"].shape == (2000,)


def test_a_model_given_as_text_runs_like_its_file():
    text = (ROOT / "models" / "python-5x.toml").read_text()
    a = boomsim.run(text, paths=2000, seed=5)
    b = boomsim.run(str(ROOT / "models" / "python-5x.toml"), paths=2000, seed=5)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    assert "valid model" in boomsim.check(text)
    assert "p05" in boomsim.dist("2 to 10")


def test_errors_are_exceptions_that_locate_the_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "models" / "python-5x.toml").read_text().replace("horizon_years = 10", "horizon_years = 10\nhorizon_yeras = 10", 1)
    bad.write_text(text)
    with pytest.raises(boomsim.ModelError) as caught:
        boomsim.run(str(bad), paths=100)
    e = caught.value
    assert e.file.endswith("bad.toml") and e.line > 1 and e.column >= 1
    assert e.key == "model.horizon_yeras" and "horizon_years" in e.help
    with pytest.raises(boomsim.ModelError):
        boomsim.check(str(bad))
    with pytest.raises(boomsim.BoomsimError):
        boomsim.run(str(tmp_path / "missing.toml"), paths=100)
    for kwargs in [dict(paths=0), dict(paths=-5), dict(threads=0), dict(summary="fast"),
                   dict(samples_format="feather")]:
        with pytest.raises(ValueError):
            boomsim.run(**kwargs)
    with pytest.raises(ValueError):
        boomsim.dist("normal(0, -1)")
    with pytest.raises(TypeError, match="whole number"):
        boomsim.run(paths=1500.7)
    # A condition, a value or a name the model cannot take is the caller's mistake.
    with pytest.raises(ValueError, match="where"):
        boomsim.run(paths=1000, where="adoption_multiple >>= 5")
    with pytest.raises(boomsim.ModelError, match="adoption.ceiling"):
        boomsim.run(paths=1000, set={"adoption.ceiling": float("nan")})
    with pytest.raises(boomsim.ModelError, match="adoption.ceilin"):
        boomsim.run(paths=1000, set={"adoption.ceilin": 5})
    # A folder holding a file boomsim did not write is never replaced.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(boomsim.BoomsimError):
        boomsim.run(paths=1000).write(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


def test_errors_name_the_keyword_arguments_not_the_command_lines_flags(tmp_path):
    def message(call, kind=Exception):
        with pytest.raises(kind) as caught:
            call()
        return str(caught.value)

    text = message(lambda: boomsim.run(paths=100, where="adoption_multiple > 1000"))
    assert 'where="adoption_multiple > 1000"' in text and "--where" not in text
    with pytest.raises(boomsim.ModelError) as caught:
        boomsim.run(paths=100, set={"adoption.ceiling": "x"})
    assert caught.value.file == "set" and str(caught.value).startswith("set:1:")
    text = message(lambda: boomsim.sweep(vary={"adoption.ceilin": ["2 to 5"]}, paths=100,
                                         out=tmp_path / "sweep"))
    assert text.startswith("vary:1:") and "--vary" not in text
    text = message(lambda: boomsim.allocate(paths=1000, test_paths=4096,
                                            groups={"nope": (0, 0.2)}, out=tmp_path / "a"))
    assert text.startswith("groups: the model has no group") and "--group" not in text
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    text = message(lambda: boomsim.run(paths=100).write(tmp_path / "mine"))
    assert "choose another path" in text and "--out" not in text
    text = message(lambda: boomsim.sweep(vary={"adoption.ceiling": ["2 to 5"]}, paths=100,
                                         out=tmp_path / "mine"))
    assert "choose another out" in text and "--out" not in text
    # Warnings too.
    [warning] = boomsim.run(paths=100_500, summary="sketch", samples=True).warnings
    assert 'summary="exact" keeps every path' in warning and "--summary" not in warning


def test_ctrl_c_raises_keyboard_interrupt_within_a_second(tmp_path):
    script = (
        "import boomsim, sys\n"
        "print('started', flush=True)\n"
        "try:\n"
        "    boomsim.run(paths=50_000_000, summary='sketch').write(sys.argv[1])\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(7)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "out")],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    time.sleep(1.0)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=30)
    assert time.monotonic() - sent < 2.0
    assert child.returncode == 7 and "interrupted" in out
    assert not (tmp_path / "out").exists()


def test_a_million_paths_of_samples_round_trip_through_parquet(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    run = boomsim.run(paths=1_000_000, seed=3, samples=True, samples_format="parquet", summary="exact")
    assert "samples.parquet" in run.write(tmp_path / "r")
    from_file = pd.read_parquet(tmp_path / "r" / "samples.parquet")
    pd.testing.assert_frame_equal(from_file, run.samples, check_exact=True)
    assert from_file.shape == (1_000_000, 51)
    count, mean = duckdb.sql(
        f"select count(*), avg(\"return.public_equities\") from '{tmp_path / 'r' / 'samples.parquet'}'"
    ).fetchall()[0]
    assert count == 1_000_000
    summary_mean = run.summary.set_index("name").loc["public_equities", "mean_return"]
    assert abs(mean - summary_mean) < 1e-9 * max(1.0, abs(summary_mean))


def test_sweep_and_allocate_write_the_folders_the_command_line_writes(tmp_path):
    model = str(ROOT / "models" / "python-5x.toml")
    swept = boomsim.sweep(model, vary={"adoption.ceiling": ["2 to 5", "5 to 20"]}, paths=2000,
                          out=tmp_path / "sweep")
    cli("sweep", model, "--vary", "adoption.ceiling=2 to 5,5 to 20", "--paths", "2000",
        "--out", str(tmp_path / "cli-sweep"))
    assert len(swept.sweep) > 0 and len(swept.sweep_wide) > 0
    for file in ["sweep.csv", "sweep_wide.csv"]:
        assert (tmp_path / "sweep" / file).read_bytes() == (tmp_path / "cli-sweep" / file).read_bytes()
    alloc = boomsim.allocate(model, paths=1000, test_paths=4096, out=tmp_path / "alloc")
    cli("allocate", model, "--paths", "1000", "--test-paths", "4096", "--out", str(tmp_path / "cli-alloc"))
    for file in ["frontier.csv", "allocation.csv"]:
        assert (tmp_path / "alloc" / file).read_bytes() == (tmp_path / "cli-alloc" / file).read_bytes()
    assert "minimum CVaR" in alloc.text()
    assert set(alloc.allocation.columns) >= {"portfolio", "asset", "weight"}
    with pytest.raises(ValueError, match="0.95"):
        boomsim.allocate(model, cvar=95, out=tmp_path / "never")
    with pytest.raises(ValueError):
        boomsim.sweep(model, vary={}, out=tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_ctrl_c_while_writing_leaves_no_folder(tmp_path):
    script = (
        "import boomsim, sys\n"
        "run = boomsim.run(paths=1_000_000, samples=True, summary='exact')\n"
        "print('writing', flush=True)\n"
        "try:\n"
        "    run.write(sys.argv[1])\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(7)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "out")],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    time.sleep(1.0)  # samples.csv of a million paths takes several seconds to write
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=60)
    assert time.monotonic() - sent < 2.0
    assert child.returncode == 7 and "interrupted" in out
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder left"
