"""Exports: the Data Package validates with Frictionless (types, keys, foreign keys), the JSON
export round-trips through the schemas, and an export never wipes unrelated files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from frictionless import validate

from essq.erreurs import ErreurUtilisateur
from essq.referentiel import COLLECTIONS, charger
from essq.referentiel.export import exporter, schema_collection


def _lire_csv(chemin: Path) -> list[dict[str, str]]:
    with open(chemin, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_datapackage_valide_avec_frictionless(mini: Path, tmp_path: Path) -> None:
    sortie = exporter(charger(mini), "datapackage", tmp_path / "export")
    rapport = validate(str(sortie / "datapackage.json"))
    assert rapport.valid, rapport.flatten(
        ["resourceName", "rowNumber", "fieldName", "type", "note"]
    )
    descripteur = json.loads((sortie / "datapackage.json").read_text(encoding="utf-8"))
    noms = [r["name"] for r in descripteur["resources"]]
    assert noms == ["entrees", *COLLECTIONS, "liens", "sources", "divergences"]
    assert all((sortie / f"{nom}.csv").is_file() for nom in noms)


def test_csv_types_et_listes_en_json(mini: Path, tmp_path: Path) -> None:
    sortie = exporter(charger(mini), "datapackage", tmp_path / "export")
    (ligne,) = _lire_csv(sortie / "initiatives.csv")
    assert ligne["id"] == "ini-001-epicerie-des-lilas"
    assert ligne["lieu_code_insee"] == "13055"
    assert json.loads(ligne["besoins"]) == ["bes-alimentation"]
    assert json.loads(ligne["chiffres"]) == [
        {"libelle": "Salariés", "valeur": 12.0, "unite": "personnes", "annee": 2022}
    ]
    dispositifs = {d["id"]: d for d in _lire_csv(sortie / "dispositifs.csv")}
    assert dispositifs["disp-citeslab"]["eligibilite_qpv"] == "true"
    assert json.loads(dispositifs["disp-dla"]["stades"]) == ["developpement", "consolidation"]
    liens = _lire_csv(sortie / "liens.csv")
    assert {
        "source": "lev004-1-1",
        "champ": "parent",
        "cible": "lev004-1",
        "collection_cible": "leviers",
    } in liens
    sources = _lire_csv(sortie / "sources.csv")
    assert {s["graine"] for s in sources} == {"000", "001", "004"}


def test_schema_types_enum_cles(mini: Path) -> None:
    schema = schema_collection("dispositifs")
    champs = {c["name"]: c for c in schema["fields"]}
    assert champs["echelle"]["constraints"]["enum"] == [
        "national",
        "regional",
        "departemental",
        "intercommunal",
        "local",
    ]
    assert champs["echelle"]["constraints"]["required"] is True
    assert champs["stades"]["type"] == "array"
    assert champs["eligibilite_qpv"]["type"] == "boolean"
    assert schema["primaryKey"] == "id"
    leviers = schema_collection("leviers")
    assert {"fields": "parent", "reference": {"resource": "", "fields": "id"}} in leviers[
        "foreignKeys"
    ]
    statuts = schema_collection("statuts")
    assert {"fields": "famille", "reference": {"resource": "familles", "fields": "id"}} in statuts[
        "foreignKeys"
    ]
    chiffres = {c["name"]: c for c in schema_collection("chiffres_cles")["fields"]}
    assert chiffres["valeur"]["type"] == "number" and chiffres["annee"]["type"] == "integer"


def test_frictionless_voit_une_cle_etrangere_cassee(mini: Path, tmp_path: Path) -> None:
    """The foreign keys are real: a dangling link in the CSV makes the package invalid."""
    sortie = exporter(charger(mini), "datapackage", tmp_path / "export")
    chemin = sortie / "statuts.csv"
    chemin.write_text(
        chemin.read_text(encoding="utf-8").replace(",famille-cooperative,", ",famille-inconnue,"),
        encoding="utf-8",
    )
    rapport = validate(str(sortie / "datapackage.json"))
    assert not rapport.valid
    assert "foreign-key" in {e[0] for e in rapport.flatten(["type"])}


def test_export_json_relu_par_les_schemas(mini: Path, tmp_path: Path) -> None:
    ref = charger(mini)
    sortie = exporter(ref, "json", tmp_path / "json")
    contenu = json.loads((sortie / "referentiel.json").read_text(encoding="utf-8"))
    assert contenu["stats"] == ref.stats()
    for nom, entrees in contenu["collections"].items():
        for brut in entrees:
            assert COLLECTIONS[nom].model_validate(brut) == ref.get(brut["id"])
    schemas = json.loads((sortie / "schemas.json").read_text(encoding="utf-8"))
    assert set(schemas) == set(COLLECTIONS)


def test_export_remplace_un_export_mais_pas_un_dossier_quelconque(
    mini: Path, tmp_path: Path
) -> None:
    ref = charger(mini)
    sortie = exporter(ref, "datapackage", tmp_path / "export")
    (sortie / "vieux.csv").write_text("x\n", encoding="utf-8")
    exporter(ref, "datapackage", sortie)  # a previous export: replaced as a whole
    assert not (sortie / "vieux.csv").exists()
    autre = tmp_path / "documents"
    autre.mkdir()
    (autre / "precieux.txt").write_text("à garder", encoding="utf-8")
    with pytest.raises(ErreurUtilisateur, match="n'est pas vide"):
        exporter(ref, "json", autre)
    assert (autre / "precieux.txt").read_text(encoding="utf-8") == "à garder"
    with pytest.raises(ErreurUtilisateur, match="inconnu"):
        exporter(ref, "xml", tmp_path / "x")


@pytest.mark.lent
def test_export_du_referentiel_livre_valide_avec_frictionless(tmp_path: Path) -> None:
    """CI check of the shipped référentiel: its Data Package passes ``frictionless validate``."""
    ref = charger()  # raises ReferentielInvalide (listing the errors) while donnees/ has any
    sortie = exporter(ref, "datapackage", tmp_path / "livre")
    rapport = validate(str(sortie / "datapackage.json"))
    assert rapport.valid, rapport.flatten(
        ["resourceName", "rowNumber", "fieldName", "type", "note"]
    )[:20]
    entrees = _lire_csv(sortie / "entrees.csv")
    assert len(entrees) == len(ref) > 0
