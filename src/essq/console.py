"""Rich console and progress bars shared by every command (all text in French)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)


def progression(*, transitoire: bool = False) -> Progress:
    """A progress bar for steps that can take more than a second (written to stderr)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("écoulé"),
        TimeElapsedColumn(),
        TextColumn("restant"),
        TimeRemainingColumn(),
        console=console,
        transient=transitoire,
    )
