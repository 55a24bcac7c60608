"""The CLI shell: French help, --home resolution, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from essq.cli import app
from essq.config import resoudre_home
from essq.erreurs import ErreurUtilisateur

runner = CliRunner()


def test_aide_racine_en_francais() -> None:
    resultat = runner.invoke(app, ["--help"])
    assert resultat.exit_code == 0
    assert "Utilisation" in resultat.output
    assert "Affiche cette aide et quitte" in resultat.output
    assert "Show this message" not in resultat.output


def test_option_inconnue_en_francais() -> None:
    resultat = runner.invoke(app, ["--inexistante"])
    assert resultat.exit_code == 2
    assert "Option inconnue" in resultat.output


def test_version() -> None:
    resultat = runner.invoke(app, ["--version"])
    assert resultat.exit_code == 0
    assert resultat.output.startswith("essq ")


def test_home_option_prime_sur_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ESSQ_HOME", str(tmp_path / "env"))
    assert resoudre_home(tmp_path / "opt") == (tmp_path / "opt").resolve()
    assert resoudre_home(None) == (tmp_path / "env").resolve()
    monkeypatch.delenv("ESSQ_HOME")
    assert "essq" in str(resoudre_home(None))


def test_erreur_utilisateur_nomme_fichier_ligne_et_correctif() -> None:
    e = ErreurUtilisateur(
        "Champ manquant", correctif="Ajouter la colonne", fichier="a.csv", ligne=3
    )
    assert "a.csv" in e.texte() and "ligne 3" in e.texte() and "Comment corriger" in e.texte()


def test_chaque_commande_a_une_aide_en_francais() -> None:
    """Every command and sub-command answers --help in French and has a help text."""
    import typer.main

    def parcourir(prefixe: list[str], commande) -> int:
        vues = 0
        for nom, sous in getattr(commande, "commands", {}).items():
            chemin = [*prefixe, nom]
            resultat = runner.invoke(app, [*chemin, "--help"])
            assert resultat.exit_code == 0, (chemin, resultat.output)
            assert "Show this message" not in resultat.output
            assert "Utilisation" in resultat.output
            assert (sous.help or "").strip(), f"commande sans aide : {' '.join(chemin)}"
            vues += 1 + parcourir(chemin, sous)
        return vues

    assert parcourir([], typer.main.get_command(app)) >= 10


def test_script_installe_sort_en_erreur_sans_trace() -> None:
    resultat = subprocess.run(
        [sys.executable, "-m", "essq.cli", "--inexistante"], capture_output=True, text=True
    )
    assert resultat.returncode == 2
    assert "Traceback" not in resultat.stderr


def test_table_des_commandes_conforme_a_ce_que_chaque_module_enregistre() -> None:
    """``essq NAME`` imports only COMMANDES[NAME]: the table must name, for every command and
    group, the module that registers it, and nothing else."""
    import importlib

    import typer

    from essq import cli

    attendu = {}
    for nom_module in cli.MODULES_CLI:
        a = typer.Typer()
        importlib.import_module(nom_module).enregistrer(a)
        noms = [c.name or c.callback.__name__ for c in a.registered_commands]
        noms += [g.name for g in a.registered_groups]
        attendu |= {n: nom_module for n in noms}
    assert attendu == cli.COMMANDES


def test_modules_pour_une_ligne_de_commande() -> None:
    from essq import cli

    assert cli.modules_pour(["indicateurs", "france"]) == ("essq.observatoire.cli",)
    assert cli.modules_pour(["qpv", "localiser", "--lon", "2"]) == ("essq.territoires.cli",)
    # no command, root options only, unknown command: the whole application
    for ligne in ([], ["--help"], ["--version"], ["inexistante"]):
        assert cli.modules_pour(ligne) == cli.MODULES_CLI


def test_commande_inconnue_par_le_point_d_entree() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "essq.cli", "indicateur", "france"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "Commande inconnue" in r.stderr + r.stdout
    assert "indicateurs" in r.stderr + r.stdout  # suggested: the whole application is loaded


def test_erreurs_de_valeur_et_argument_en_trop_en_francais() -> None:
    r = runner.invoke(app, ["qpv", "localiser", "--lon", "abc", "--lat", "3"])
    assert r.exit_code == 2
    assert "un nombre décimal est attendu" in r.output and "Input should" not in r.output
    r = runner.invoke(app, ["indicateurs", "france", "en-trop"])
    assert r.exit_code == 2
    assert "Argument en trop" in r.output and "unexpected" not in r.output
