"""boomsim from Python: the same engine as the command line, results as DataFrames.

    import boomsim
    run = boomsim.run(paths=100_000, seed=1)        # the built-in default model
    run.summary                                      # summary.csv as a DataFrame
    run.samples                                      # with samples=True: one row per path
    run.write("output/python-5x")                    # the same folder `boomsim run` writes

Every table is a pandas DataFrame when pandas is installed (the CSV's columns, names and order,
with a plain index: `pd.read_csv` of the written file compares equal), else a dict of NumPy
arrays. A model is a path, a TOML string, or None for the built-in default. Errors are
exceptions: `boomsim.ModelError` (with .file, .line, .column, .key, .help) for an invalid model,
`boomsim.BoomsimError` for anything else boomsim refuses, ValueError for a bad argument.
Ctrl-C stops a run within a second and raises KeyboardInterrupt; nothing is written.
"""

from __future__ import annotations

import csv
import io
import operator
import os
import sys
from typing import Any, Dict, Mapping, Optional, Union

import numpy as np

from . import _boomsim
from ._boomsim import BoomsimError, ModelError

__all__ = ["run", "sweep", "allocate", "check", "dist", "Run", "Folder", "BoomsimError",
           "ModelError", "__version__"]
__version__ = _boomsim.__version__

_TABLES = {
    "summary": "summary.csv",
    "adoption": "adoption.csv",
    "sensitivity": "sensitivity.csv",
    "distributions": "distributions.csv",
    "precision": "precision.csv",
    "convergence": "convergence.csv",
    "summary_where": "summary_where.csv",
}


def _whole(name, value):
    """A whole-number argument: an int (or NumPy integer), never a float silently truncated."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name}={value!r}: expected a whole number") from None


def _pandas():
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _model(model: Union[str, os.PathLike, None]):
    """(path, text): a TOML string is one with a newline or a `[table]`; anything else a path."""
    if model is None:
        return None, None
    if isinstance(model, os.PathLike):
        return os.fspath(model), None
    if not isinstance(model, str):
        raise TypeError(f"model: expected a path, a TOML string or None, got {type(model).__name__}")
    if "\n" in model or model.lstrip().startswith("["):
        return None, model
    return model, None


def _sets(values: Optional[Mapping[str, Any]]):
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise TypeError("set: expected a dict of key path -> value, e.g. {'adoption.ceiling': '3 to 12'}")
    out = []
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        elif isinstance(value, str):
            # As after `--set KEY=` on the command line: a distribution string or a TOML value.
            text = value
        else:
            raise TypeError(f"set[{key!r}]: expected a number, a bool or a string")
        out.append(f"{key}={text}")
    return out


def _columns(data: bytes) -> Dict[str, np.ndarray]:
    """A CSV file as a dict of NumPy arrays: numbers as float64 (empty cells NaN), integers as
    int64, true/false as bool, anything else as str."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader)
    cells = list(zip(*reader)) if header else []
    out = {}
    for k, name in enumerate(header):
        column = cells[k] if cells else ()
        out[name] = _typed(column)
    return out


def _typed(column):
    if all(c in ("true", "false") for c in column) and column:
        return np.array([c == "true" for c in column])
    try:
        return np.array([int(c) for c in column], dtype=np.int64)
    except ValueError:
        pass
    try:
        return np.array([float(c) if c != "" else np.nan for c in column], dtype=np.float64)
    except ValueError:
        return np.array(column, dtype=object)


class Run:
    """A finished run, in memory: its tables, its samples, and `write` for its folder."""

    def __init__(self, handle, samples: bool):
        self._handle = handle
        self._samples = samples
        self._cache: Dict[str, Any] = {}

    def _table(self, file: str):
        if file not in self._cache:
            data = self._handle.file(file)
            pandas = _pandas()
            self._cache[file] = pandas.read_csv(io.BytesIO(data)) if pandas else _columns(data)
        return self._cache[file]

    @property
    def files(self):
        """The files of this run's folder, in the order `write` writes them."""
        return list(self._handle.files())

    @property
    def warnings(self):
        return list(self._handle.warnings())

    def text(self) -> str:
        """What `boomsim run` prints: the groups, the leading assets, the drivers."""
        return self._handle.text()

    def __repr__(self):
        return self.text()

    def _repr_html_(self):
        table = self.summary
        pandas = _pandas()
        if pandas is None:
            return None
        groups = table[table["kind"] == "group"][
            ["rank", "name", "mean_return", "p05", "p50", "p95", "cvar95", "sharpe", "profile"]
        ].sort_values("rank")
        return groups.to_html(index=False, float_format=lambda x: f"{x:.3f}")

    @property
    def samples(self):
        """One row per path kept (with samples=True): `path`, every driver's draw, the adoption
        multiple, each entity's return and uplift; straight from the engine's columns."""
        if not self._samples:
            raise AttributeError("this run was made without samples=True")
        if "samples" not in self._cache:
            n = self._handle.paths_kept()
            columns = {"path": np.arange(n, dtype=np.int64)}
            for name, data in self._handle.sample_columns():
                columns[name] = np.frombuffer(data, dtype="<f8")
            pandas = _pandas()
            self._cache["samples"] = pandas.DataFrame(columns) if pandas else columns
        return self._cache["samples"]

    def write(self, path: Union[str, os.PathLike], report: bool = False, xlsx: bool = False):
        """Writes the run folder whole to `path`, as `boomsim run --out PATH` would (same CSV
        bytes; the manifest differs in its time and command line). Refuses a folder holding
        files boomsim did not write. Returns the files written."""
        return list(self._handle.write(os.fspath(path), report, xlsx))


def _table_property(file):
    return property(lambda self: self._table(file), doc=f"{file} as a table.")


for _name, _file in _TABLES.items():
    setattr(Run, _name, _table_property(_file))


def run(
    model: Union[str, os.PathLike, None] = None,
    paths: int = 100_000,
    seed: int = 1,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    samples: bool = False,
    where: Optional[str] = None,
    summary: str = "auto",
    samples_format: str = "csv",
) -> Run:
    """Simulates `paths` paths of a model and summarises them, in memory (see `Run`).

    model: a path, a TOML string, or None (the built-in default, python-5x);
    set: {"adoption.ceiling": "3 to 12"} as `--set`; where: a condition as `--where`;
    summary: "auto", "exact" or "sketch"; samples_format: the file `write` gives the samples.
    """
    path, text = _model(model)
    handle = _boomsim.run(
        path,
        text,
        _whole("paths", paths),
        _whole("seed", seed),
        None if threads is None else _whole("threads", threads),
        _sets(set),
        bool(samples),
        samples_format,
        where,
        summary,
        [sys.executable, "-c", "boomsim.run(...)"],
    )
    return Run(handle, bool(samples))


class Folder:
    """A folder `sweep` or `allocate` wrote: its CSV files as tables (attributes named after the
    files: `sweep`, `sweep_wide`; `frontier`, `allocation`), what the command line prints, and
    the warnings."""

    def __init__(self, path: str, warnings, text: str = "", failed=()):
        self.path = path
        self.warnings = list(warnings)
        self.failed = list(failed)
        self._text = text

    def text(self) -> str:
        return self._text

    def __getattr__(self, name):
        file = os.path.join(self.path, name + ".csv")
        if name.startswith("_") or not os.path.isfile(file):
            raise AttributeError(name)
        pandas = _pandas()
        if pandas:
            return pandas.read_csv(file)
        with open(file, "rb") as f:
            return _columns(f.read())


def _values(values) -> str:
    if isinstance(values, str):
        return values
    return ",".join(repr(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
                    for v in values)


def sweep(
    model: Union[str, os.PathLike, None] = None,
    vary: Optional[Mapping[str, Any]] = None,
    paths: int = 100_000,
    seed: int = 1,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    out: Union[str, os.PathLike, None] = None,
) -> Folder:
    """A grid of runs, as `boomsim sweep`: vary={"adoption.ceiling": ["2 to 5", "5 to 20"]}.
    Writes the sweep folder (default output/<model name>-sweep/) and returns it as a Folder
    whose `sweep` and `sweep_wide` are the tables."""
    if not vary:
        raise ValueError("vary: give at least one key and its values, e.g. {'adoption.ceiling': ['2 to 5', '5 to 20']}")
    path, text = _model(model)
    out_dir, warnings, failed = _boomsim.sweep(
        path, text, [f"{key}={_values(values)}" for key, values in vary.items()],
        _whole("paths", paths), _whole("seed", seed),
        None if threads is None else _whole("threads", threads), _sets(set),
        None if out is None else os.fspath(out), [sys.executable, "-c", "boomsim.sweep(...)"],
    )
    return Folder(out_dir, warnings, failed=failed)


def allocate(
    model: Union[str, os.PathLike, None] = None,
    paths: int = 10_000,
    test_paths: int = 100_000,
    resamples: int = 8,
    seed: int = 1,
    threads: Optional[int] = None,
    cvar: float = 0.95,
    points: int = 15,
    max_weight: float = 1.0,
    groups: Optional[Mapping[str, Any]] = None,
    exclude=(),
    max_cvar: Optional[float] = None,
    boom_probability: float = 1.0,
    set: Optional[Mapping[str, Any]] = None,
    out: Union[str, os.PathLike, None] = None,
) -> Folder:
    """Mean-CVaR portfolios of the model's assets, as `boomsim allocate` (every setting a
    fraction, checked by the same rules as its flag; groups={"private_startups": (0, 0.2)}).
    Writes the folder (default output/<model name>-allocate/) and returns it as a Folder whose
    `frontier` and `allocation` are the tables and whose text() is what the command prints."""
    path, text = _model(model)
    bounds = [f"{name}={lo}..{hi}" for name, (lo, hi) in (groups or {}).items()]
    out_dir, warnings, printed = _boomsim.allocate(
        path, text, _sets(set), str(_whole("paths", paths)), str(_whole("test_paths", test_paths)),
        str(_whole("resamples", resamples)), _whole("seed", seed),
        None if threads is None else _whole("threads", threads), repr(float(cvar)),
        str(_whole("points", points)),
        repr(float(max_weight)), bounds, list(exclude),
        None if max_cvar is None else repr(float(max_cvar)), repr(float(boom_probability)),
        None if out is None else os.fspath(out), [sys.executable, "-c", "boomsim.allocate(...)"],
    )
    return Folder(out_dir, warnings, text=printed)


def check(model: Union[str, os.PathLike], set: Optional[Mapping[str, Any]] = None) -> str:
    """Validates a model (raises ModelError) and returns what `boomsim check` prints."""
    path, text = _model(model)
    if path is None and text is None:
        raise TypeError("check: give a model path or TOML string")
    return _boomsim.check(path, text, _sets(set))


def dist(text: str, bins: int = 20) -> str:
    """What `boomsim dist` prints for a distribution string: quantiles, moments, a histogram."""
    return _boomsim.dist(text, _whole("bins", bins))
