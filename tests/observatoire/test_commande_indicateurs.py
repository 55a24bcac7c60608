"""``essq indicateurs``: the script's fast path (essq.lanceur) answers exactly as the full
command line, and leaves every other form of the command to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from essq.lanceur import options_indicateurs


@pytest.mark.parametrize(
    ("args", "attendu"),
    [
        (["indicateurs", "france"], ("france", None, "2024", None)),
        (
            ["indicateurs", "qpv:QN09301M", "--millesime", "2015", "--date-stock=2025-01-01"],
            ("qpv:QN09301M", "2025-01-01", "2015", None),
        ),
        (["indicateurs", "--home", "/d", "commune:93066", "--format", "JSON"],
         ("commune:93066", None, "2024", "/d")),
    ],
)  # fmt: skip
def test_formes_simples_prises_par_le_chemin_rapide(args: list[str], attendu: tuple) -> None:
    o = options_indicateurs(args)
    assert o is not None
    assert (o["territoire"], o["date_stock"], o["millesime"], o["home"]) == attendu


@pytest.mark.parametrize(
    "args",
    [
        ["indicateurs"],  # missing territory: the full command line's message
        ["indicateurs", "france", "--format", "csv"],
        ["indicateurs", "france", "--format", "xlsx", "--sortie", "f.xlsx"],
        ["indicateurs", "france", "--sortie", "f.json"],
        ["indicateurs", "--help"],
        ["indicateurs", "france", "--inconnue", "x"],
        ["indicateurs", "france", "en-trop"],
        ["indicateurs", "france", "--millesime"],  # value missing
        ["indicateurs", "france", "--millesime", "--home", "x"],
        ["indicateur", "france"],  # a typo: the full command line suggests the command
        ["evolution", "france"],
        [],
    ],
)
def test_autres_formes_laissees_a_la_ligne_de_commande(args: list[str]) -> None:
    assert options_indicateurs(args) is None


def _essq(module: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESSQ_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env=env
    )


def test_meme_reponse_que_la_ligne_de_commande_sans_charger_typer(
    entrepot_construit, home: Path
) -> None:
    from essq.observatoire import Entrepot

    with Entrepot.ouvrir(home) as e:
        qpv = e.territoires("qpv")[0]["code"]
        commune = e.territoires("commune")[0]["code"]
    for territoire in ("france", f"qpv:{qpv}", f"commune:{commune}"):
        rapide = _essq("essq.lanceur", home, "indicateurs", territoire)
        complet = _essq("essq.cli", home, "indicateurs", territoire, "--format", "json")
        assert rapide.returncode == complet.returncode == 0, rapide.stderr + complet.stderr
        assert rapide.stdout == complet.stdout and '"ensemble"' in rapide.stdout
    code = (
        "import sys; sys.argv = ['essq', 'indicateurs', 'france']\n"
        "from essq.lanceur import main; main()\n"
        "sys.stderr.write(str('typer' in sys.modules or 'rich' in sys.modules))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "ESSQ_HOME": str(home)},
    )
    assert r.returncode == 0 and r.stderr.strip() == "False", r.stderr


def test_erreurs_dites_par_la_ligne_de_commande(entrepot_construit, home: Path, tmp_path) -> None:
    """A territory the warehouse does not know, or no warehouse at all: the same French
    message and exit status as the full command line, never a traceback."""
    for h, territoire in ((home, "qpv:QN99999M"), (tmp_path / "vide", "france")):
        rapide = _essq("essq.lanceur", h, "indicateurs", territoire)
        complet = _essq("essq.cli", h, "indicateurs", territoire)
        assert rapide.returncode == complet.returncode == 2
        assert rapide.stdout + rapide.stderr == complet.stdout + complet.stderr
        assert "Erreur" in rapide.stdout + rapide.stderr
        assert "Traceback" not in rapide.stderr
