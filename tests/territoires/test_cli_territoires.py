"""The ``essq territoires``, ``essq qpv`` and ``essq donnees`` commands."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.territoires.cli import enregistrer

# Only this package's commands (the whole ``essq`` app is exercised by tests/test_cli.py).
app = typer.Typer()
enregistrer(app)
runner = CliRunner()


def test_import_puis_localiser_en_json(
    home: Path, fichier_synthetique: Path, cog_synthetique: Path
) -> None:
    r = runner.invoke(
        app, ["territoires", "importer-cog", str(cog_synthetique), "--home", str(home)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "territoires",
            "importer-qpv",
            str(fichier_synthetique),
            "--millesime",
            "2024",
            "--home",
            str(home),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "3 QPV 2024 importés" in r.output and "plus petit code_qp" in r.output
    r = runner.invoke(
        app,
        [
            "qpv",
            "localiser",
            "--x",
            "650500",
            "--y",
            "6860500",
            "--epsg",
            "2154",
            "--millesime",
            "2024",
            "--rayon",
            "2000",
            "--home",
            str(home),
        ],
    )
    assert r.exit_code == 0, r.output
    sortie = json.loads(r.stdout)
    assert sortie["code_qp"] == "QN00001M" and sortie["lib_qp"] == "Les Tilleuls"
    assert sortie["commune"]["code"] == "00001" and sortie["epci"] == "200000001"
    assert [q["code_qp"] for q in sortie["millesimes"]["2024"]["qpv_dans_rayon"]][:2] == [
        "QN00001M",
        "QN00002M",
    ]
    r = runner.invoke(app, ["territoires", "chercher", "franc moisin", "--home", str(home)])
    assert json.loads(r.stdout)[0]["code"] == "QN00003N"
    r = runner.invoke(app, ["territoires", "etat", "--home", str(home)])
    assert set(json.loads(r.stdout)["tables"]) >= {"qpv", "communes", "epci"}


def test_localiser_csv_en_ligne_de_commande(home_synthetique: Path, tmp_path: Path) -> None:
    entree = tmp_path / "e.csv"
    entree.write_text("id,x,y\na,650500,6860500\nb,,\n", encoding="utf-8")
    sortie = tmp_path / "s.csv"
    r = runner.invoke(
        app,
        [
            "qpv",
            "localiser-csv",
            str(entree),
            "--sortie",
            str(sortie),
            "--epsg",
            "2154",
            "--home",
            str(home_synthetique),
        ],
    )
    assert r.exit_code == 0, r.output
    with open(sortie, encoding="utf-8") as f:
        lignes = list(csv.DictReader(f))
    assert [(l_["id"], l_["qpv_2024"], l_["statut_coordonnees"]) for l_ in lignes] == [
        ("a", "QN00001M", "ok"),
        ("b", "", "absentes"),
    ]


def test_erreurs_utilisateur_en_francais(home: Path, tmp_path: Path) -> None:
    """Commands raise ErreurUtilisateur (essq.cli.main prints it and exits 2, no traceback)."""
    r = runner.invoke(
        app, ["qpv", "localiser", "--lon", "2.35", "--lat", "48.85", "--home", str(home)]
    )
    assert isinstance(r.exception, DonneesAbsentes) and "importer-qpv" in r.exception.texte()
    r = runner.invoke(
        app,
        [
            "territoires",
            "importer-qpv",
            str(tmp_path / "absent.geojson"),
            "--millesime",
            "2024",
            "--home",
            str(home),
        ],
    )
    assert (
        isinstance(r.exception, ErreurUtilisateur) and "Fichier introuvable" in r.exception.texte()
    )
    r = runner.invoke(app, ["qpv", "localiser", "--x", "1", "--home", str(home)])
    assert isinstance(r.exception, ErreurUtilisateur) and "--epsg" in (r.exception.correctif or "")


def test_catalogue_des_donnees() -> None:
    r = runner.invoke(app, ["donnees", "catalogue"])
    assert r.exit_code == 0
    ids = [e["id"] for e in json.loads(r.stdout)]
    assert "qpv-2024" in ids and "cog" in ids
