"""Benchmarks: the kit's heavy steps against honest baselines, timed in the same run.

Every row names its baseline and what kind it is:

- **floor**: the least code that computes the same figures (one ``groupby``, one
  ``crosstab``, one ``read_csv``); a unit test checks it computes what the kit does;
- **peer**: the library a user would pick instead (lifetimes for RFM, from the optional
  ``[bench]`` extra); a row says "not installed" when it is absent;
- **naive**: the workflow a user would run without the kit, with the same workers and
  the same outputs;
- **limit**: an absolute bound (seconds), e.g. a render worker's import overhead;
- **scale**: the same kit on a smaller company (the sample, or the same command at 1M
  orders): the ratio is what a bigger company costs, or how time grows;
- **memory**: the size of the data a command holds (the ratio is its peak memory over
  that size; these rows state GB where other rows state seconds).

Both sides run the same number of times, interleaved (kit, baseline, kit, …), and each
figure is the median of those ``N`` runs (stated in the row). The load average is
printed before and after: on a shared machine, ratios hold better than seconds. A row
with a target prints ``pass`` or ``FAIL``. Nothing is scaled from a subset.

Each module of :mod:`playbook.bench.cases` adds its rows; the apps' cases start Voila and
a headless chromium with :mod:`playbook.bench.browser`, as the browser tests do. ``playbook bench``
(``make bench``) prints one table and writes ``reports/bench.md``; a full run also
rewrites the README's performance section (:func:`readme_section`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib
import math
import os
import pkgutil
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

import playbook.bench.cases as pkg
from playbook.data.sample import generate

__all__ = ["Result", "cases", "run", "timed", "compare", "sample_tables", "to_markdown", "readme_section",
           "README_START", "README_END"]

README_START = "<!-- bench:start (written by `playbook bench`; do not edit by hand) -->"
README_END = "<!-- bench:end -->"


@dataclass(frozen=True)
class Result:
    """One benchmark row.

    ``kind`` says what the baseline is (floor, peer, naive, limit); ``target`` is the
    highest ratio that passes (``None``: no target); ``limit`` the most seconds that
    pass; ``repeats`` how many runs each median is of; ``unit`` what ``seconds`` and
    ``baseline_seconds`` count when not seconds (``"GB"`` in a memory row).

    Examples
    --------
    >>> r = Result("rfm", 10, 1.2, "one groupby", 1.0, kind="floor", target=1.3, repeats=3)
    >>> r.ratio, r.verdict
    (1.2, 'pass')
    >>> Result("rfm", 10, 1.0, "lifetimes", float("nan"), kind="peer", target=1.0).verdict
    'n/a'
    """

    task: str
    rows: int
    seconds: float
    baseline: str
    baseline_seconds: float
    kind: str = ""
    target: float | None = None
    limit: float | None = None
    repeats: int = 1
    unit: str = "s"

    @property
    def ratio(self) -> float:
        """Kit seconds over baseline seconds (NaN without a baseline)."""
        ok = self.baseline_seconds and not math.isnan(self.baseline_seconds)
        return self.seconds / self.baseline_seconds if ok else float("nan")

    @property
    def verdict(self) -> str:
        """``pass`` or ``FAIL`` against the target and limit; ``n/a`` when the baseline is missing; else ``""``."""
        checks = []
        if self.target is not None:
            if math.isnan(self.ratio):
                return "n/a"
            checks.append(self.ratio <= self.target)
        if self.limit is not None:
            checks.append(self.seconds <= self.limit)
        if not checks:
            return ""
        return "pass" if all(checks) else "FAIL"


def timed(func: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Return (median seconds over ``repeat`` calls, the last value) for ``func()``.

    Examples
    --------
    >>> seconds, value = timed(lambda: 2 + 2, repeat=3)
    >>> value, seconds < 1
    (4, True)
    """
    samples, value = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        value = func()
        samples.append(time.perf_counter() - start)
    return float(statistics.median(samples)), value


def compare(kit: Callable[[], object], baseline: Callable[[], object], repeat: int = 3
            ) -> tuple[float, float, object, object]:
    """Time ``kit`` and ``baseline`` alternately ``repeat`` times each; return both medians and last values.

    Interleaving spreads the machine's load over both sides alike.

    Examples
    --------
    >>> k, b, kv, bv = compare(lambda: sum(range(10)), lambda: 45, repeat=3)
    >>> kv == bv
    True
    """
    ks, bs, kv, bv = [], [], None, None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        kv = kit()
        ks.append(time.perf_counter() - start)
        start = time.perf_counter()
        bv = baseline()
        bs.append(time.perf_counter() - start)
    return float(statistics.median(ks)), float(statistics.median(bs)), kv, bv


@functools.lru_cache(maxsize=2)
def sample_tables(scale: float) -> dict[str, pd.DataFrame]:
    """Return the sample company at ``scale`` (70: about 1,000,000 orders), generated once per run."""
    return generate(seed=7, scale=scale)


def cases() -> dict[str, tuple[Callable[[float], list[Result]], float, float]]:
    """Collect ``CASES`` from every module in :mod:`playbook.bench.cases`.

    Each module there defines ``CASES = {name: (function_of_scale, full_scale,
    quick_scale)}``; a function returns a list of :class:`Result`.
    """
    found: dict[str, tuple[Callable[[float], list[Result]], float, float]] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        found.update(getattr(module, "CASES", {}))
    return found


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def run(*, quick: bool = False, only: list[str] | None = None) -> pd.DataFrame:
    """Run the benchmark cases; return one row per figure (``attrs["meta"]``: date, load, machine)."""
    meta = {"date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "load_before": _load(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "pandas": pd.__version__,
            "mode": "quick" if quick else "full"}
    start = time.perf_counter()
    results: list[Result] = []
    ran = []
    for name, (func, full, small) in cases().items():
        if only and name not in only:
            continue
        ran.append(name)
        results += func(small if quick else full)
    meta["cases"] = ", ".join(ran) if only else "all"
    meta["load_after"] = _load()
    meta["minutes"] = f"{(time.perf_counter() - start) / 60:.1f}"
    table = pd.DataFrame([{
        "task": r.task, "rows": r.rows, "N": r.repeats, "seconds": _amount(r.seconds, r.unit),
        "baseline": (f"{r.kind}: " if r.kind else "") + r.baseline,
        "baseline_seconds": _amount(r.baseline_seconds, r.unit),
        "ratio": float(f"{r.ratio:.3g}") if not math.isnan(r.ratio) else float("nan"),
        "target": _target(r), "result": r.verdict,
    } for r in results])
    table.attrs["meta"] = meta
    return table


def _amount(value: float, unit: str) -> float | str:
    """Seconds rounded to the millisecond; another unit as text with the unit (``"1.25 GB"``).

    Examples
    --------
    >>> _amount(1.23456, "s"), _amount(1.23456, "GB"), _amount(float("nan"), "GB")
    (1.235, '1.23 GB', nan)
    """
    if math.isnan(value):
        return float("nan")
    return round(value, 3) if unit == "s" else f"{value:.2f} {unit}"


def _target(r: Result) -> str:
    parts = []
    if r.target is not None:
        parts.append(f"ratio ≤ {r.target:g}" if r.target != 1.0 else "ratio < 1 (faster)")
    if r.limit is not None:
        parts.append(f"≤ {r.limit:g} s")
    return ", ".join(parts)


def _cell(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "/")


def to_markdown(table: pd.DataFrame) -> str:
    """Format the benchmark table as Markdown, with the run's date, load and machine."""
    meta = table.attrs.get("meta", {})
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    head = (f"Measured {meta.get('date', '?')} ({meta.get('mode', '?')} run, {meta.get('minutes', '?')} min) on "
            f"{meta.get('cpus', '?')} CPUs, Python {meta.get('python', '?')}, pandas {meta.get('pandas', '?')}; "
            f"load average (1, 5, 15 min) {meta.get('load_before', '?')} before, {meta.get('load_after', '?')} after."
            + (f" Cases run: {meta['cases']}." if meta.get("cases", "all") != "all" else ""))
    return ("# Benchmarks\n\n" + head + "\n\nratio = seconds / baseline_seconds, both the median of N runs, "
            "interleaved in the same process. floor: the least code computing the same figures; peer: the "
            "library a user would pick; naive: the workflow without the kit, same workers and outputs; scale: the "
            "kit on a smaller company (growth); memory: peak memory over the size of the loaded tables (GB).\n\n"
            + "\n".join(lines) + "\n")


def readme_section(readme: str, table: pd.DataFrame) -> str:
    r"""Return ``readme`` with the text between :data:`README_START` and :data:`README_END` replaced by the run.

    Examples
    --------
    >>> t = pd.DataFrame({"task": ["x"], "seconds": [1.0]})
    >>> t.attrs["meta"] = {"date": "2026-01-01 00:00 UTC"}
    >>> text = readme_section(f"a\n{README_START}\nold\n{README_END}\nb\n", t)
    >>> "old" in text, "2026-01-01 00:00 UTC" in text, text.endswith("b\n")
    (False, True, True)
    """
    if README_START not in readme or README_END not in readme:
        return readme
    before, rest = readme.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    body = to_markdown(table).split("\n", 2)[2]  # without the "# Benchmarks" title
    return before + README_START + "\n" + body + README_END + after
