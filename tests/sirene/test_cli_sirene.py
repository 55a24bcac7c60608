"""``essq sirene`` commands: qualifier, listes importer / voir, errors without traceback."""

from __future__ import annotations

import json

import duckdb
from typer.testing import CliRunner

from essq.cli import app

runner = CliRunner()


def _qualifier(unites_legales, sortie, *options: str):
    """``essq sirene qualifier --unites-legales F --sortie S [options]``."""
    return runner.invoke(
        app,
        ["sirene", "qualifier", "--unites-legales", str(unites_legales), "--sortie", str(sortie)]
        + list(options),
    )


def test_qualifier_unites_legales_et_rapport(tmp_path, aides, home) -> None:
    chemin = aides.ecrire_csv(
        tmp_path / "ul.csv",
        aides.EN_TETE_UL,
        [aides.ul("100000001", "9220"), aides.ul("100000002", "5710")],
    )
    sortie = tmp_path / "s.csv"
    res = _qualifier(chemin, sortie)
    assert res.exit_code == 0, res.output
    assert "Associations : 1" in res.output and "Hors ESS : 1" in res.output
    lignes = duckdb.sql(
        f"SELECT siren, categorieJuridiqueUniteLegale, famille_ess, ess, sources_ess, secteur_ess, secteur_public "
        f"FROM read_csv('{sortie}', all_varchar=true) ORDER BY 1"
    ).fetchall()
    assert lignes == [
        ("100000001", "9220", "association", "true", "cj", "Action sociale", "false"),
        ("100000002", "5710", "hors_ess", "false", None, "Action sociale", "false"),
    ]


def test_listes_importer_puis_qualifier(tmp_path, aides, home) -> None:
    liste = tmp_path / "ess_france.csv"
    liste.write_text("siren\n100000002\n", encoding="utf-8")
    res = runner.invoke(app, ["sirene", "listes", "importer", str(liste), "--type", "ess_france"])
    assert res.exit_code == 0, res.output
    assert "1 SIREN" in res.output
    res = runner.invoke(app, ["sirene", "listes", "voir"])
    assert "ess_france" in res.output
    chemin = aides.ecrire_csv(
        tmp_path / "ul.csv", aides.EN_TETE_UL, [aides.ul("100000002", "5710")]
    )
    res = _qualifier(chemin, tmp_path / "s.parquet", "--json")
    assert res.exit_code == 0, res.output
    rapport = json.loads(res.output)
    assert rapport["par_famille"] == {"societe_commerciale_ess": 1}
    assert rapport["par_source_ess"] == {"ess_france": 1}


def test_type_de_liste_inconnu(tmp_path, home) -> None:
    liste = tmp_path / "l.csv"
    liste.write_text("siren\n100000002\n", encoding="utf-8")
    res = runner.invoke(app, ["sirene", "listes", "importer", str(liste), "--type", "inconnue"])
    assert res.exit_code != 0
    assert "Type de liste inconnu" in str(res.exception) or "Type de liste inconnu" in res.output


def test_option_distances_inconnue(tmp_path, aides, home) -> None:
    chemin = aides.ecrire_csv(
        tmp_path / "ul.csv", aides.EN_TETE_UL, [aides.ul("100000001", "9220")]
    )
    sortie = tmp_path / "s.parquet"
    res = _qualifier(chemin, sortie, "--distances", "aucune")
    assert res.exit_code != 0  # the entry point prints the French message and exits 2
    assert "Valeur inconnue pour les distances" in str(res.exception)
    assert "« toutes »" in getattr(res.exception, "correctif", "")
    assert not sortie.exists()


def test_memoire_illisible_refusee(tmp_path, aides, home) -> None:
    chemin = aides.ecrire_csv(
        tmp_path / "ul.csv", aides.EN_TETE_UL, [aides.ul("100000001", "9220")]
    )
    res = _qualifier(chemin, tmp_path / "s.csv", "--memoire", "beaucoup")
    assert res.exit_code != 0
    assert "Limite de mémoire illisible" in str(res.exception)
    assert not (tmp_path / "s.csv").exists()
