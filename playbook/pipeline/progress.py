"""The batch's progress display: one line per phase (snapshot, HTML, PDF) with rate and ETA (rich)."""

from __future__ import annotations

from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from playbook.core.labels import t

__all__ = ["BatchProgress", "RateColumn"]


class RateColumn(ProgressColumn):
    """Items per second of a task (rich's own speed estimate), e.g. ``2.4/s``."""

    def render(self, task: Any) -> Text:
        """Return the rate, or nothing before the second item."""
        return Text(f"{task.speed:.1f}/s" if task.speed else "", style="progress.data.speed")


class BatchProgress:
    """Phases of a batch on the terminal: each a bar with count, rate, elapsed time and ETA.

    A phase without a total (the snapshot) shows a spinner and the time it takes.
    With ``enabled=False`` every call does nothing, so callers need no branches.

    Examples
    --------
    >>> with BatchProgress(enabled=False) as bar:
    ...     bar.phase("html", "HTML", total=3); bar.advance("html"); bar.done("html")
    >>> bar.completed("html")
    0
    """

    def __init__(self, *, enabled: bool = True, lang: str = "en", **kw: Any) -> None:
        self.enabled = enabled
        self.failed = 0
        self._tasks: dict[str, Any] = {}
        self._bar = Progress(SpinnerColumn(finished_text="✓"), TextColumn("{task.description:<8}"), BarColumn(),
                             MofNCompleteColumn(), RateColumn(), TimeElapsedColumn(), TextColumn(t("render.eta", lang)),
                             TimeRemainingColumn(), TextColumn("{task.fields[note]}"), **kw) if enabled else None
        self._started = False

    def phase(self, key: str, label: str, total: int | None = None) -> None:
        """Show a new phase ``key`` (``total`` None: a spinner until :meth:`done`)."""
        if self._bar is None:
            return
        if not self._started:
            self._bar.start()
            self._started = True
        self._tasks[key] = self._bar.add_task(label, total=total, note="")

    def advance(self, key: str, n: int = 1) -> None:
        """Count ``n`` more items done in phase ``key``."""
        if self._bar is not None and key in self._tasks:
            self._bar.update(self._tasks[key], advance=n)

    def shrink(self, key: str, n: int = 1) -> None:
        """Expect ``n`` fewer items in phase ``key`` (e.g. no PDF without a browser)."""
        if self._bar is not None and key in self._tasks:
            task = self._bar.tasks[self._tasks[key]]
            self._bar.update(self._tasks[key], total=max(0, (task.total or 0) - n))

    def fail(self) -> None:
        """Count one failed report (shown in red on every phase line)."""
        self.failed += 1
        if self._bar is not None:
            for task in self._tasks.values():
                self._bar.update(task, note=f"[red]{self.failed} failed")

    def done(self, key: str) -> None:
        """Mark phase ``key`` complete."""
        if self._bar is not None and key in self._tasks:
            task = self._bar.tasks[self._tasks[key]]
            self._bar.update(self._tasks[key], total=task.total if task.total is not None else 1,
                             completed=task.total if task.total is not None else 1)

    def completed(self, key: str) -> int:
        """Items done in phase ``key`` (0 when hidden)."""
        if self._bar is None or key not in self._tasks:
            return 0
        return int(self._bar.tasks[self._tasks[key]].completed)

    def close(self) -> None:
        """Stop drawing (the last state stays on the terminal)."""
        if self._bar is not None and self._started:
            self._bar.stop()
            self._started = False

    def __enter__(self) -> BatchProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
