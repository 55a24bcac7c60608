"""``essq diagnostic``: liste, NOM --entree FICHIER|-, --format json|texte, --schema, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from essq.diagnostics.cli import enregistrer
from essq.erreurs import ErreurUtilisateur

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from essq import cli_fr

    cli_fr.installer()  # the French texts the main CLI installs
    application = typer.Typer()

    @application.callback()
    def _racine() -> None:
        """Racine de test."""

    enregistrer(application)
    return application


def test_liste_texte_et_json(app: typer.Typer) -> None:
    r = runner.invoke(app, ["diagnostic", "liste"])
    assert r.exit_code == 0 and "agrement-esus" in r.output and "Orientation" in r.output
    r = runner.invoke(app, ["diagnostic", "liste", "--format", "json"])
    assert [d["nom"] for d in json.loads(r.output)][0] == "qualification-ess"


def test_lancer_depuis_un_fichier_en_json(app: typer.Typer, tmp_path: Path) -> None:
    fichier = tmp_path / "entree.json"
    fichier.write_text(json.dumps({"forme_juridique": "association"}), encoding="utf-8")
    r = runner.invoke(
        app, ["diagnostic", "qualification-ess", "--entree", str(fichier), "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["verdict"]["code"] == "ess"


def test_lancer_depuis_l_entree_standard_en_texte(app: typer.Typer) -> None:
    entree = {"porteurs": "individuel", "tester_activite": True, "activite": "marchande"}
    r = runner.invoke(
        app, ["diagnostic", "choix-statut", "--entree", "-"], input=json.dumps(entree)
    )
    assert r.exit_code == 0, r.output
    assert "Verdict : Forme la plus adaptée à vos réponses : CAE" in r.output
    assert "source :" in r.output and "Avertissement" in r.output


def test_schema(app: typer.Typer) -> None:
    r = runner.invoke(app, ["diagnostic", "agrement-esus", "--schema"])
    assert r.exit_code == 0
    assert json.loads(r.output)["properties"]["titres_cotes"]["title"] == "Titres de capital cotés"


def test_erreurs_d_entree(app: typer.Typer, tmp_path: Path) -> None:
    r = runner.invoke(app, ["diagnostic", "perennite", "--entree", "-"], input='{"critere_01": ')
    assert isinstance(r.exception, ErreurUtilisateur) and "JSON invalide" in r.exception.message
    r = runner.invoke(app, ["diagnostic", "perennite", "--entree", str(tmp_path / "absent.json")])
    assert isinstance(r.exception, ErreurUtilisateur) and "introuvable" in r.exception.message
    mauvais = tmp_path / "mauvais.json"
    mauvais.write_text('{"critere_01": "excellent"}', encoding="utf-8")
    r = runner.invoke(app, ["diagnostic", "perennite", "--entree", str(mauvais)])
    assert isinstance(r.exception, ErreurUtilisateur)
    assert r.exception.champ == "critere_01" and r.exception.fichier == str(mauvais)
    r = runner.invoke(app, ["diagnostic", "perennite"])
    assert isinstance(r.exception, ErreurUtilisateur) and "--entree" in (
        r.exception.correctif or ""
    )


def test_aides_en_francais(app: typer.Typer) -> None:
    for commande in (
        ["diagnostic", "--help"],
        ["diagnostic", "liste", "--help"],
        ["diagnostic", "orientation", "--help"],
    ):
        r = runner.invoke(app, commande)
        assert r.exit_code == 0 and "Show this message" not in r.output
    assert "entrée standard" in runner.invoke(app, ["diagnostic", "orientation", "--help"]).output


def test_chaque_exemple_de_la_doc_se_lit_en_texte(app: typer.Typer, tmp_path: Path) -> None:
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md").read_text(
        encoding="utf-8"
    )
    exemples = re.findall(
        r'<!-- exemple diagnostic="([a-z-]+)" verdict="[a-z0-9_-]+" -->\s*```json\n(.*?)```',
        doc,
        re.S,
    )
    assert len(exemples) == 7
    for nom, texte in exemples:
        r = runner.invoke(app, ["diagnostic", nom, "--entree", "-"], input=texte)
        assert r.exit_code == 0, (nom, r.output)
        assert "Verdict :" in r.output and "source :" in r.output and "Avertissement :" in r.output
        assert "_" not in r.output.split("Verdict :")[1].split("[")[0], nom  # labels, not codes
