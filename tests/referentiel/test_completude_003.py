"""Completeness of the seed-003 entries (Avise / France urbaine / RTES, « Territoires urbains »).

The expected numbers come from the seed and its extraction
(../shared/reference/seed-003-extraction.md, line numbers of 003_3c600fd7458b23bd.txt in
parentheses). They are written here on purpose: if an entry is lost or duplicated, the count
changes and the test says which part of the seed is no longer covered.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from essq.referentiel.schemas import COLLECTIONS, SEEDS, Entree, Initiative, Levier
from essq.referentiel.validation import DOSSIER_DONNEES, lire

GRAINE = SEEDS["003"]
FICHIER = "seed-003.yaml"

# Entries per collection in the seed-003 files.
ATTENDU = {
    # 7 champs d'action + 37 leviers d'action: summary table L945-1006 (5+3+5+6+5+7+6).
    "leviers": 7 + 37,
    # 15 « ZOOM SUR » modelled as one initiative each (17 zooms L416-1567, minus the IGF-IGAS
    # report, a publication, and the MLC zoom, split into its 5 named currencies), 5 monnaies
    # locales (L899-941), 4 « LA PAROLE À » territories (Baume L296, Pfeiffer L574, Martot L1260,
    # Berlu L1270; the 5th, the ANCT, is cadre d'action #5 in the glossary and the QPV figures),
    # and 100 other initiatives named in the champs d'action (L365-943, incl. the 8 SPASER adoptions
    # of L800 not covered by a zoom), the thematic focuses
    # (L1008-1246) and the cadres d'action (L1248-1665).
    "initiatives": 15 + 5 + 4 + 100,
    # 5 cadres d'action (L1276-1665) + 1 note on the 10 key messages (L170-183) + 24 terms.
    "glossaire": 5 + 1 + 24,
    # §5 of the extraction, one figure per entry: 5.1 (10), 5.2 (18), 5.3 (8), 5.4 (13, plus 3
    # legal thresholds in their current value: SPASER, dispense for supplies/services and works),
    # 5.5 (34), 5.6 (53).
    "chiffres_cles": 10 + 18 + 8 + 13 + 3 + 34 + 53,
    # Schemes specific to seed 003 (§6.4) absent from the shared national list.
    "dispositifs": 15,
    # Cadre d'action #2 (instances de co-construction) and #3 (contrats de réciprocité).
    "cadres_cooperation": 2,
    # §6.5: 6 Avise publications + 2 Avise web resources, 6 RTES publications + the RTES SPASER
    # review (L806), and 11 other cited sources including the study itself and its 2019 edition.
    "ressources_documentaires": 8 + 7 + 11,
}

# Levers per champ d'action in the summary table (L949-1005).
LEVIERS_PAR_CHAMP = {1: 5, 2: 3, 3: 5, 4: 6, 5: 5, 6: 7, 7: 6}

ZOOMS = {
    "ini-003-nantes-metropole-reseaux-ess",  # L416
    "ini-003-fondation-innovation-sociale-lyon",  # L492
    "ini-003-kaleidoscoop",  # L656
    "ini-003-lab3s",  # L720
    "ini-003-spaser-mel",  # L808
    "ini-003-plateforme-clauses-sociales-montpellier",  # L831
    "ini-003-filieres-reemploi-paris",  # L1054
    "ini-003-poles-reemploi-orleans",  # L1080
    "ini-003-ferme-des-possibles",  # L1108
    "ini-003-archipel-fermes-ressources",  # L1125
    "ini-003-foncier-solidaire-est-ensemble",  # L1166
    "ini-003-ulisse-energie-soleni",  # L1188
    "ini-003-brest-numerique-inclusif",  # L1220
    "ini-003-conseil-ess-strasbourg",  # L1351
    "ini-003-evaluation-pldess-lille",  # L1567
}
MONNAIES_LOCALES = {  # zoom L893-943
    "ini-003-eusko",
    "ini-003-la-gonette",
    "ini-003-la-roue",
    "ini-003-la-bulle",
    "ini-003-mlc-metropole-lilloise",
}
PAROLES = {
    "ini-003-politique-ess-metropole-lyon",  # L296
    "ini-003-politique-ess-bordeaux",  # L574
    "ini-003-politique-ess-rouen",  # L1260
    "ini-003-politique-ess-est-ensemble",  # L1270
}


def _brut(collection: str) -> list[dict[str, Any]]:
    chemin = DOSSIER_DONNEES / collection / FICHIER
    donnees = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    assert isinstance(donnees, list), f"{chemin} doit contenir une liste d'entrées"
    return donnees


def _entrees(collection: str) -> list[Entree]:
    modele = COLLECTIONS[collection]
    return [modele.model_validate(brut) for brut in _brut(collection)]


@pytest.fixture(scope="module")
def leviers() -> list[Levier]:
    return [e for e in _entrees("leviers") if isinstance(e, Levier)]


@pytest.fixture(scope="module")
def initiatives() -> list[Initiative]:
    return [e for e in _entrees("initiatives") if isinstance(e, Initiative)]


@pytest.mark.parametrize("collection", sorted(ATTENDU))
def test_chaque_collection_couvre_la_graine(collection: str) -> None:
    entrees = _entrees(collection)
    ids = [e.id for e in entrees]
    assert len(ids) == len(set(ids)), (
        f"identifiants en double : {[i for i, n in Counter(ids).items() if n > 1]}"
    )
    assert len(entrees) == ATTENDU[collection]


@pytest.mark.parametrize("collection", sorted(ATTENDU))
def test_chaque_entree_cite_la_graine_avec_ses_lignes(collection: str) -> None:
    for entree in _entrees(collection):
        lignes = [s.lignes for s in entree.sources if s.document == GRAINE and s.lignes]
        assert lignes, f"{entree.id} ne cite pas {GRAINE} avec une plage de lignes"
        for plage in lignes:
            for nombre in re.findall(r"\d+", plage):
                assert 1 <= int(nombre) <= 1789, f"{entree.id} : ligne {nombre} hors de la graine"


def test_sept_champs_et_trente_sept_leviers_numerotes_comme_le_tableau(
    leviers: list[Levier],
) -> None:
    champs = {e.id: e for e in leviers if e.niveau == "champ"}
    assert sorted(champs) == [f"lev003-ca{k}" for k in range(1, 8)]
    for k, nombre in LEVIERS_PAR_CHAMP.items():
        enfants = sorted(e.id for e in leviers if e.parent == f"lev003-ca{k}")
        assert enfants == sorted(f"lev003-ca{k}-l{n}" for n in range(1, nombre + 1))
        assert champs[f"lev003-ca{k}"].numero == f"CA{k}"
    assert {e.cadre for e in leviers} == {"seed003_7_champs"}
    assert all(e.niveau == "levier" and e.numero.startswith("CA") for e in leviers if e.parent)


def test_chaque_levier_a_un_equivalent_dans_le_cadre_de_la_graine_004(
    leviers: list[Levier],
) -> None:
    for levier in leviers:
        assert any(x.startswith("lev004-") for x in levier.equivalents), levier.id


def test_les_zooms_paroles_et_monnaies_locales_sont_presents(initiatives: list[Initiative]) -> None:
    par_id = {e.id: e for e in initiatives}
    assert par_id.keys() >= ZOOMS | MONNAIES_LOCALES | PAROLES
    assert {e.id for e in initiatives if "zoom-sur" in e.mots_cles} == ZOOMS
    assert {e.id for e in initiatives if "zoom-sur-mlc" in e.mots_cles} == MONNAIES_LOCALES
    assert {e.id for e in initiatives if "parole-a" in e.mots_cles} == PAROLES
    rapport = {e.id: e for e in _entrees("ressources_documentaires")}[
        "doc-003-rapport-igf-igas-scic-cae"
    ]
    assert "zoom-sur" in rapport.mots_cles  # the 17th zoom (L592) is a publication


def test_chaque_initiative_est_reliee_a_un_levier_de_la_graine(
    initiatives: list[Initiative],
) -> None:
    ids_leviers = {e.id for e in _entrees("leviers")}
    for initiative in initiatives:
        assert initiative.leviers, initiative.id
        assert set(initiative.leviers) <= ids_leviers, initiative.id
        assert initiative.lieu.departement, f"{initiative.id} : département manquant"


def test_chaque_chiffre_cle_porte_unite_territoire_et_source() -> None:
    for chiffre in _entrees("chiffres_cles"):
        assert chiffre.unite and chiffre.territoire  # type: ignore[attr-defined]
        assert chiffre.annee or chiffre.methode or chiffre.source_primaire, chiffre.id  # type: ignore[attr-defined]


def test_les_seuils_perimes_de_la_graine_suivent_le_droit_en_vigueur() -> None:
    chiffres = {e.id: e for e in _entrees("chiffres_cles")}
    assert chiffres["cc-003-seuil-spaser"].valeur == 50_000_000  # type: ignore[attr-defined]
    assert chiffres["cc-003-seuil-dispense-publicite-fournitures-services"].valeur == 60_000  # type: ignore[attr-defined]
    assert chiffres["cc-003-seuil-spaser"].divergences
    leviers = {e.id: e for e in _entrees("leviers")}
    assert leviers["lev003-ca6"].divergences and leviers["lev003-ca6-l2"].divergences


def test_aucun_probleme_de_validation_dans_les_fichiers_de_la_graine() -> None:
    problemes = [p for p in lire(DOSSIER_DONNEES).problemes if FICHIER in str(p.fichier)]
    assert not problemes, "\n".join(p.texte() for p in problemes)


def test_codes_insee_conformes_au_cog(
    donnees_partagees: Path, initiatives: list[Initiative]
) -> None:
    chemin = donnees_partagees / "cog" / "communes_2026.csv"
    if not chemin.is_file():
        pytest.skip(f"COG absent : {chemin}")
    with chemin.open(encoding="utf-8") as flux:
        cog = {r["code"]: r for r in csv.DictReader(flux) if r["type"] == "commune-actuelle"}
    avec_code = [e for e in initiatives if e.lieu.code_insee]
    assert len(avec_code) >= 30
    for initiative in avec_code:
        commune = cog.get(initiative.lieu.code_insee or "")
        assert commune is not None, (
            f"{initiative.id} : code {initiative.lieu.code_insee} absent du COG"
        )
        assert commune["nom"] == initiative.lieu.commune, initiative.id
        assert commune["departement"] == initiative.lieu.departement, initiative.id
