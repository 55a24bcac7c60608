"""The shared frame: registry, French JSON schemas, validation errors naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from essq.diagnostics import ORDRE, executer, lister, schema
from essq.erreurs import ErreurUtilisateur


def test_les_sept_diagnostics_sont_listes_dans_l_ordre_de_l_issue() -> None:
    noms = [d["nom"] for d in lister()]
    assert noms == list(ORDRE)
    assert len(noms) == 7
    for fiche in lister():
        assert fiche["titre"] and len(fiche["description"]) > 60


def _proprietes(schema_json: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    resultat = list(schema_json.get("properties", {}).items())
    for definition in schema_json.get("$defs", {}).values():
        resultat += list(definition.get("properties", {}).items())
    return resultat


@pytest.mark.parametrize("nom", ORDRE)
def test_chaque_champ_du_schema_a_un_titre_et_une_description_en_francais(nom: str) -> None:
    s = schema(nom)
    assert s["title"] and s["description"]
    proprietes = _proprietes(s)
    assert proprietes
    for champ, propriete in proprietes:
        assert propriete.get("title"), f"{nom}.{champ} sans titre"
        assert propriete.get("description"), f"{nom}.{champ} sans description"
        assert "the " not in propriete["description"].lower(), f"{nom}.{champ} en anglais ?"


def test_le_schema_de_perennite_reprend_les_criteres_du_referentiel() -> None:
    s = schema("perennite")
    assert "autonomie financière" in s["properties"]["critere_01"]["title"].lower()
    assert s["properties"]["critere_00"]["title"].startswith("Prérequis")
    assert "?" in s["properties"]["critere_17"]["description"]


@pytest.mark.parametrize("nom", ORDRE)
def test_une_entree_vide_donne_une_reponse_complete_et_non_un_plantage(
    nom: str, verifier_forme: Callable[[dict[str, Any], str], None]
) -> None:
    r = executer(nom, {})
    verifier_forme(r, nom)
    assert r["verdict"]["code"] and r["verdict"]["libelle"]
    assert r["avertissement"]
    for raison in r["raisons"]:
        assert set(raison) == {"regle", "source", "explication", "statut"}
    for suite in r["suites"]:
        assert set(suite) == {"collection", "id", "titre", "pourquoi"}


def test_nom_inconnu() -> None:
    with pytest.raises(ErreurUtilisateur) as exc:
        executer("horoscope", {})
    assert exc.value.champ == "nom"
    assert "qualification-ess" in (exc.value.correctif or "")
    with pytest.raises(ErreurUtilisateur):
        schema("horoscope")


def test_champ_fautif_nomme_avec_son_chemin() -> None:
    with pytest.raises(ErreurUtilisateur) as exc:
        executer(
            "agrement-esus",
            {"exercices": [{"charges_utilite_sociale": 10, "charges_totales": "beaucoup"}]},
        )
    assert exc.value.champ == "exercices.0.charges_totales"
    assert "nombre" in exc.value.message


def test_champ_inconnu_et_valeur_hors_liste_refuses_en_francais() -> None:
    with pytest.raises(ErreurUtilisateur) as exc:
        executer("qualification-ess", {"forme_juridiqe": "association"})
    assert exc.value.champ == "forme_juridiqe" and "inconnu" in exc.value.message
    with pytest.raises(ErreurUtilisateur) as exc:
        executer("qualification-ess", {"forme_juridique": "sarl"})
    assert "valeurs possibles" in exc.value.message and " or " not in exc.value.message


def test_entree_qui_n_est_pas_un_objet() -> None:
    with pytest.raises(ErreurUtilisateur) as exc:
        executer("orientation", [1, 2])  # type: ignore[arg-type]
    assert "objet JSON" in exc.value.message


def test_borne_numerique_annoncee() -> None:
    with pytest.raises(ErreurUtilisateur) as exc:
        executer("qualification-ess", {"part_benefices_reinvestis": 120})
    assert exc.value.champ == "part_benefices_reinvestis" and "≤ 100" in exc.value.message


def _enums(noeud: Any) -> list[dict[str, Any]]:
    if isinstance(noeud, dict):
        trouves = [noeud] if "enum" in noeud else []
        return trouves + [e for v in noeud.values() for e in _enums(v)]
    if isinstance(noeud, list):
        return [e for v in noeud for e in _enums(v)]
    return []


@pytest.mark.parametrize("nom", ORDRE)
def test_chaque_valeur_de_liste_a_un_libelle_francais_pour_les_formulaires(nom: str) -> None:
    enums = _enums(schema(nom))
    for e in enums:
        assert set(e["x-libelles"]) == set(e["enum"])
        for valeur, libelle in e["x-libelles"].items():
            assert "_" not in libelle and libelle[0].isupper(), (nom, valeur, libelle)
