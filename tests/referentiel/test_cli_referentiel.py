"""The ``essq referentiel`` commands: exit codes, French messages, JSON outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from essq.erreurs import ErreurUtilisateur
from essq.referentiel.cli import enregistrer

runner = CliRunner()
# Only this package's commands, so that these tests do not depend on other packages' CLIs;
# test_codes_de_sortie_du_script goes through the real ``essq`` entry point.
app = typer.Typer()
enregistrer(app)


@app.callback()
def _racine() -> None:
    """Racine de test."""


def _invoquer(*args: str):
    return runner.invoke(app, ["referentiel", *args])


def test_valider_un_referentiel_valide(mini: Path) -> None:
    r = _invoquer("valider", "--dossier", str(mini))
    assert r.exit_code == 0, r.output
    assert "Référentiel valide : 7 fichier(s), 10 entrée(s) valide(s)" in r.output


def test_valider_liste_chaque_erreur_et_sort_en_erreur(casser) -> None:
    casser("dispositifs/dispositifs.yaml", "echelle: local", "echelle: quartier")
    dossier = casser("initiatives/seed001.yaml", "statut: statut-scop", "statut: statut-sccop")
    r = _invoquer("valider", "--dossier", str(dossier))
    assert r.exit_code == 1
    assert (
        "dispositifs/dispositifs.yaml:21 · entrée « disp-citeslab » · champ « echelle »" in r.output
    )
    assert "valeur « quartier » non permise" in r.output
    assert "initiatives/seed001.yaml" in r.output and "« statut-sccop » n'existe pas" in r.output
    assert "Comment corriger" in r.output
    assert "2 erreur(s)" in r.output


def test_valider_en_json(casser) -> None:
    dossier = casser("dispositifs/dispositifs.yaml", "echelle: local", "echelle: quartier")
    r = _invoquer("valider", "--dossier", str(dossier), "--format", "json")
    assert r.exit_code == 1
    rapport = json.loads(r.output)
    assert rapport["entrees_valides"] == 9
    (erreur,) = rapport["erreurs"]
    assert (
        erreur["id"] == "disp-citeslab" and erreur["champ"] == "echelle" and erreur["ligne"] == 21
    )


def test_stats(mini: Path) -> None:
    r = _invoquer("stats", "--dossier", str(mini), "--format", "json")
    assert r.exit_code == 0
    stats = json.loads(r.output)
    assert stats["dispositifs"] == 2 and stats["initiatives"] == 1 and len(stats) == 15
    r = _invoquer("stats", "--dossier", str(mini), "--format", "json", "--par-graine")
    assert json.loads(r.output)["004"]["leviers"] == 2
    r = _invoquer("stats", "--dossier", str(mini))
    assert r.exit_code == 0 and "dispositifs" in r.output and "total" in r.output


def test_chercher(mini: Path) -> None:
    r = _invoquer(
        "chercher",
        "coopératives",
        "--dossier",
        str(mini),
        "--filtre",
        "echelle=local",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.output
    resultats = json.loads(r.output)
    assert [x["id"] for x in resultats["resultats"]] == ["disp-citeslab"]
    assert resultats["filtres"] == {"echelle": ["local"]}
    r = _invoquer("chercher", "insertion", "--dossier", str(mini), "-c", "glossaire")
    assert r.exit_code == 0
    assert "[glossaire · glo-iae]" in r.output and "Facettes :" in r.output


def test_chercher_filtre_mal_ecrit(mini: Path) -> None:
    r = _invoquer("chercher", "x", "--dossier", str(mini), "--filtre", "stades")
    assert isinstance(r.exception, ErreurUtilisateur)
    assert "champ=valeur" in (r.exception.correctif or "")


def test_montrer_avec_liens_et_retroliens(mini: Path) -> None:
    r = _invoquer("montrer", "disp-dla", "--dossier", str(mini))
    assert r.exit_code == 0, r.output
    assert "Dispositif local d'accompagnement (DLA)" in r.output
    assert (
        "initiatives → Épicerie solidaire des Lilas [initiatives · ini-001-epicerie-des-lilas]"
        in r.output
    )
    assert "dispositifs → Insérer les projets" in r.output  # cited by the levier
    r = _invoquer("montrer", "lev004-1-1", "--dossier", str(mini), "--format", "json")
    donnees = json.loads(r.output)
    assert {
        "champ": "parent",
        "id": "lev004-1",
        "collection": "leviers",
        "titre": "Soutenir l'émergence des projets",
    } in donnees["liens"]
    assert donnees["retroliens"][0]["id"] == "ini-001-epicerie-des-lilas"
    assert donnees["fichier"].endswith("leviers/seed004.yaml") and donnees["ligne"] == 11


def test_montrer_identifiant_inconnu(mini: Path) -> None:
    r = _invoquer("montrer", "disp-dlaa", "--dossier", str(mini))
    assert isinstance(r.exception, ErreurUtilisateur)
    assert "disp-dla" in (r.exception.correctif or "")


def test_exporter(mini: Path, tmp_path: Path) -> None:
    r = _invoquer(
        "exporter",
        "--format",
        "datapackage",
        "--sortie",
        str(tmp_path / "dp"),
        "--dossier",
        str(mini),
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "dp" / "datapackage.json").is_file()
    r = _invoquer(
        "exporter", "--format", "json", "--sortie", str(tmp_path / "js"), "--dossier", str(mini)
    )
    assert r.exit_code == 0 and (tmp_path / "js" / "referentiel.json").is_file()


def test_codes_de_sortie_du_script(casser, monkeypatch, capsys) -> None:
    """Through the real entry point: invalid data exits 1 from valider, 2 (no traceback) elsewhere."""
    import pytest

    from essq.cli import main

    dossier = casser("besoins/besoins.yaml", "titre: Alimentation", "titre: ''")
    for commande, code in (("valider", 1), ("stats", 2)):
        monkeypatch.setattr(
            sys, "argv", ["essq", "referentiel", commande, "--dossier", str(dossier)]
        )
        with pytest.raises(SystemExit) as sortie:
            main()
        assert sortie.value.code == code, commande
    sorties = capsys.readouterr()
    assert "texte vide" in sorties.out
    assert "essq referentiel valider" in sorties.err and "Traceback" not in sorties.err


def test_python_m_essq_referentiel(casser, monkeypatch, capsys) -> None:
    """``python -m essq.referentiel`` works on its own, with the same exit codes."""
    import pytest

    from essq.referentiel.__main__ import main

    dossier = casser("besoins/besoins.yaml", "titre: Alimentation", "titre: ''")
    for commande, code in (("valider", 1), ("stats", 2)):
        monkeypatch.setattr(sys, "argv", ["essq-referentiel", commande, "--dossier", str(dossier)])
        with pytest.raises(SystemExit) as sortie:
            main()
        assert sortie.value.code == code, commande
    sorties = capsys.readouterr()
    assert "texte vide" in sorties.out and "Traceback" not in sorties.err
