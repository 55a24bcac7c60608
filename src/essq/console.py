"""Rich console and progress bars shared by every command (all text in French)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

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


def progression(*, transitoire: bool = False, visible: bool = True) -> Progress:
    """A progress bar for steps that can take more than a second (written to stderr).

    ``visible=False`` draws nothing at all (not even the blank line a transient bar leaves
    on a non-terminal stderr): for callers asked not to display progress (benchmarks, tests)."""
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
        disable=not visible,
    )


def afficher_json(donnees: Any) -> None:
    """Write a command's JSON result to standard output (UTF-8 as is, indented, dates as text)."""
    sys.stdout.write(json.dumps(donnees, ensure_ascii=False, indent=2, default=str) + "\n")


def apercu(elements: Sequence[str], nombre: int = 10) -> str:
    """``"3 (a, b, c)"``: how many elements, then the first ``nombre`` of them (``…`` if cut)."""
    suite = "…" if len(elements) > nombre else ""
    return f"{len(elements)} ({', '.join(elements[:nombre])}{suite})"


def lignes_details(details: Iterable[tuple[str, object]], retrait: str = "  ") -> list[str]:
    """One ``"<retrait>libellé : valeur"`` line per detail whose value is set (not 0, empty or None)."""
    return [f"{retrait}{libelle} : {valeur}" for libelle, valeur in details if valeur]


def afficher_rapport(
    titre: str,
    comptes: Iterable[tuple[str, object]] = (),
    details: Iterable[tuple[str, object]] = (),
) -> None:
    """Print a command's summary: its title, every count (even 0), then the details that are set."""
    console.print(titre)
    for libelle, valeur in comptes:
        console.print(f"  {libelle} : {valeur}")
    for ligne in lignes_details(details):
        console.print(ligne)
