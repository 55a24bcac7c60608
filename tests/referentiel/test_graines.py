"""Checks against the seed files: cited lines exist, seed sentences are not copied verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from essq.erreurs import ErreurUtilisateur
from essq.referentiel.cli import enregistrer
from essq.referentiel.graines import verifier_graines
from essq.referentiel.schemas import SEEDS
from essq.referentiel.validation import DOSSIER_DONNEES, lire

app = typer.Typer()
enregistrer(app)


@app.callback()
def _racine() -> None:
    """Racine de test."""


PHRASE = (
    "Les habitants du quartier se sont réunis chaque semaine pendant deux ans pour monter "
    "ensemble une épicerie coopérative ouverte à tous."
)


@pytest.fixture()
def graines(tmp_path: Path) -> Path:
    dossier = tmp_path / "graines"
    dossier.mkdir()
    for code, nom in SEEDS.items():
        lignes = [f"Ligne {n} de la graine {code}." for n in range(1, 1201)]
        if code == "001":
            lignes[149] = PHRASE
        (dossier / nom).write_text("\n".join(lignes) + "\n", encoding="utf-8")
    return dossier


def test_referentiel_sans_copie_ni_ligne_hors_fichier(mini: Path, graines: Path) -> None:
    assert verifier_graines(lire(mini), graines) == []


def test_ligne_citee_hors_du_fichier(casser, graines: Path) -> None:
    dossier = casser("besoins/besoins.yaml", 'lignes: "L703-709"', 'lignes: "L150-1250"')
    (p,) = verifier_graines(lire(dossier), graines)
    assert p.gravite == "erreur" and p.champ == "sources[0].lignes"
    assert "ligne 1250 hors du fichier de la graine 000 (1200 lignes)" in p.probleme


def test_phrase_recopiee_signalee(casser, graines: Path) -> None:
    copie = "Selon la fiche, l" + PHRASE[1:].replace(
        "é", "e"
    )  # accents and case do not hide a copy
    dossier = casser(
        "besoins/besoins.yaml",
        "description: >-\n    Accès de tous à une alimentation de qualité et à un prix abordable, circuits courts\n    et épiceries solidaires.",
        f'description: "{copie}"',
    )
    (p,) = verifier_graines(lire(dossier), graines)
    assert p.gravite == "avertissement" and p.id == "bes-alimentation" and p.champ == "description"
    assert "mots repris tels quels de la graine 001 (vers la ligne 150)" in p.probleme
    assert "epicerie cooperative" in p.probleme and "propres mots" in p.correctif


def test_commande_valider_avec_graines(casser, graines: Path) -> None:
    dossier = casser(
        "besoins/besoins.yaml",
        "description: >-\n    Accès de tous à une alimentation de qualité et à un prix abordable, circuits courts\n    et épiceries solidaires.",
        f'description: "{PHRASE}"',
    )
    runner = CliRunner()
    r = runner.invoke(
        app, ["referentiel", "valider", "--dossier", str(dossier), "--graines", str(graines)]
    )
    assert r.exit_code == 0 and "Avertissement" in r.output and "1 avertissement(s)" in r.output
    r = runner.invoke(
        app,
        [
            "referentiel",
            "valider",
            "--dossier",
            str(dossier),
            "--graines",
            str(graines),
            "--strict",
        ],
    )
    assert r.exit_code == 1


def test_dossier_de_graines_absent(mini: Path, tmp_path: Path) -> None:
    with pytest.raises(ErreurUtilisateur, match="graines"):
        verifier_graines(lire(mini), tmp_path / "nulle-part")


def test_lignes_citees_par_le_referentiel_livre_existent(graines_partagees: Path) -> None:
    """Every line range cited by the shipped référentiel exists in its seed file."""
    erreurs = [
        p
        for p in verifier_graines(lire(DOSSIER_DONNEES), graines_partagees)
        if p.gravite == "erreur"
    ]
    assert not erreurs, "\n\n".join(p.texte() for p in erreurs[:20])
