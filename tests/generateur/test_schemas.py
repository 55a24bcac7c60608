"""The stock files have INSEE's exact headers, valid codes, valid identifiers, masked P rows."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from essq.generateur.modele import luhn_valide
from essq.generateur.nomenclatures import TRANCHES, charger

# INSEE headers (StockEtablissement / StockUniteLegale since 2025-12-16), written out in full
# here on purpose: independent of essq.generateur.schemas.
ENTETE_ETABLISSEMENT = (
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,"
    "trancheEffectifsEtablissement,anneeEffectifsEtablissement,"
    "activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,"
    "etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,"
    "numeroVoieEtablissement,indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,"
    "indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,"
    "libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,"
    "codeCommuneEtablissement,codeCedexEtablissement,libelleCedexEtablissement,"
    "codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,"
    "identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,"
    "coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,"
    "numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,"
    "libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,"
    "libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,"
    "codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,"
    "codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,"
    "etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,"
    "enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,"
    "nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,"
    "activitePrincipaleNAF25Etablissement"
)
ENTETE_UNITE_LEGALE = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,"
    "sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,"
    "prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,"
    "identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,"
    "dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,"
    "anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,"
    "nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,"
    "denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,"
    "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
    "nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,"
    "economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale"
)

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HORODATAGE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
NAF_REV2 = re.compile(r"^\d{2}\.\d{2}[A-Z]$")


def lire(chemin: Path) -> list[dict[str, str]]:
    with open(chemin, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def etablissements(stock_petit: Path) -> list[dict[str, str]]:
    return lire(stock_petit / "StockEtablissement_utf8.csv")


@pytest.fixture(scope="module")
def unites(stock_petit: Path) -> list[dict[str, str]]:
    return lire(stock_petit / "StockUniteLegale_utf8.csv")


def test_entetes_csv_identiques_a_insee(stock_petit: Path) -> None:
    for nom, attendu in (
        ("StockEtablissement_utf8.csv", ENTETE_ETABLISSEMENT),
        ("StockUniteLegale_utf8.csv", ENTETE_UNITE_LEGALE),
    ):
        premiere = (stock_petit / nom).read_bytes().split(b"\n", 1)[0].decode("utf-8")
        assert premiere == attendu


def test_parquet_memes_colonnes_et_codes_en_texte(stock_petit: Path) -> None:
    for nom, attendu in (
        ("StockEtablissement_utf8.parquet", ENTETE_ETABLISSEMENT),
        ("StockUniteLegale_utf8.parquet", ENTETE_UNITE_LEGALE),
    ):
        schema = pq.read_schema(stock_petit / nom)
        assert schema.names == attendu.split(",")
        for code in (
            "siren",
            "nic",
            "siret",
            "codeCommuneEtablissement",
            "activitePrincipaleEtablissement",
            "trancheEffectifsEtablissement",
            "categorieJuridiqueUniteLegale",
            "coordonneeLambertAbscisseEtablissement",
            "nicSiegeUniteLegale",
        ):
            if code in schema.names:
                assert schema.field(code).type == pa.string(), code


def test_csv_et_parquet_ont_le_meme_contenu(stock_petit: Path, etablissements) -> None:
    table = pq.read_table(stock_petit / "StockEtablissement_utf8.parquet")
    assert table.num_rows == len(etablissements) == 6000
    for col in (
        "siret",
        "codeCommuneEtablissement",
        "coordonneeLambertAbscisseEtablissement",
        "enseigne1Etablissement",
    ):
        valeurs = [v or "" for v in table[col].to_pylist()]
        assert valeurs == [r[col] for r in etablissements], col
    dates = [d.isoformat() for d in table["dateCreationEtablissement"].to_pylist()]
    assert dates == [r["dateCreationEtablissement"] for r in etablissements]
    sieges = ["true" if s else "false" for s in table["etablissementSiege"].to_pylist()]
    assert sieges == [r["etablissementSiege"] for r in etablissements]


def test_identifiants_valides(etablissements, unites) -> None:
    sirens = [u["siren"] for u in unites]
    assert all(len(s) == 9 and s.isdigit() for s in sirens)
    assert luhn_valide(sirens).all()
    assert sirens == sorted(sirens) and len(set(sirens)) == len(sirens)
    sirets = [e["siret"] for e in etablissements]
    assert len(set(sirets)) == len(sirets)
    assert luhn_valide(sirets).all()
    assert all(e["siret"] == e["siren"] + e["nic"] for e in etablissements)
    assert {e["siren"] for e in etablissements} == set(sirens)
    sieges = {e["siret"] for e in etablissements if e["etablissementSiege"] == "true"}
    assert {u["siren"] + u["nicSiegeUniteLegale"] for u in unites} == sieges
    etat = {e["siret"]: e["etatAdministratifEtablissement"] for e in etablissements}
    for u in unites:
        actif = u["etatAdministratifUniteLegale"] == "A"
        assert (etat[u["siren"] + u["nicSiegeUniteLegale"]] == "A") == actif


def test_listes_de_codes_valides(etablissements, unites) -> None:
    nomenclatures = charger()
    naf = nomenclatures.tous_codes_naf()
    for e in etablissements:
        assert e["statutDiffusionEtablissement"] in {"O", "P"}
        assert e["etatAdministratifEtablissement"] in {"A", "F"}
        assert e["caractereEmployeurEtablissement"] in {"O", "N", ""}
        assert e["trancheEffectifsEtablissement"] in {*TRANCHES, ""}
        assert e["etablissementSiege"] in {"true", "false"}
        assert DATE.match(e["dateCreationEtablissement"]) and DATE.match(e["dateDebut"])
        assert HORODATAGE.match(e["dateDernierTraitementEtablissement"])
        assert e["dateCreationEtablissement"] <= e["dateDebut"] <= "2026-10-31"
        if e["nomenclatureActivitePrincipaleEtablissement"] == "NAFRev2":
            assert e["activitePrincipaleEtablissement"] in naf
        else:
            assert e["nomenclatureActivitePrincipaleEtablissement"] in {"NAFRev1", "NAF1993", "NAP"}
            assert e["etatAdministratifEtablissement"] == "F"
        if e["anneeEffectifsEtablissement"]:
            assert e["trancheEffectifsEtablissement"] not in {"", "NN"}
    cj = nomenclatures.tous_codes_cj()
    for u in unites:
        assert u["categorieJuridiqueUniteLegale"] in cj
        assert u["economieSocialeSolidaireUniteLegale"] in {"O", "N", ""}
        assert u["etatAdministratifUniteLegale"] in {"A", "C"}
        assert u["unitePurgeeUniteLegale"] in {"true", ""}
        assert u["categorieEntreprise"] in {"PME", "ETI", "GE", ""}
        if u["identifiantAssociationUniteLegale"]:
            assert re.match(r"^W[0-9AB]{2}\d{7}$", u["identifiantAssociationUniteLegale"])


def test_codes_reels_insee(donnees_partagees: Path, unites, etablissements) -> None:
    """Every CJ and NAF rév. 2 code written exists in INSEE's lists."""
    with open(donnees_partagees / "cj" / "categories_juridiques_niv3.csv", encoding="utf-8") as f:
        cj_reels = {r["code"] for r in csv.DictReader(f)}
    with open(donnees_partagees / "naf" / "naf_rev2_sousclasses.csv", encoding="utf-8") as f:
        naf_reels = {r["sous_classe"] for r in csv.DictReader(f)}
    assert {u["categorieJuridiqueUniteLegale"] for u in unites} <= cj_reels
    assert charger().tous_codes_cj() <= cj_reels
    assert charger().tous_codes_naf() <= naf_reels
    naf_ecrits = {
        e["activitePrincipaleEtablissement"]
        for e in etablissements
        if e["nomenclatureActivitePrincipaleEtablissement"] == "NAFRev2"
    }
    assert naf_ecrits <= naf_reels and all(NAF_REV2.match(c) for c in naf_ecrits)


def test_lignes_non_diffusibles_masquees(etablissements, unites) -> None:
    partiels = [e for e in etablissements if e["statutDiffusionEtablissement"] == "P"]
    assert len(partiels) > 50
    for e in partiels:
        assert e["coordonneeLambertAbscisseEtablissement"] == "[ND]"
        assert e["coordonneeLambertOrdonneeEtablissement"] == "[ND]"
        assert e["libelleVoieEtablissement"] in {"[ND]", ""}
        assert e["codeCommuneEtablissement"] or e["codePaysEtrangerEtablissement"]
    personnes_p = [
        u
        for u in unites
        if u["statutDiffusionUniteLegale"] == "P" and u["categorieJuridiqueUniteLegale"] == "1000"
    ]
    assert personnes_p
    for u in personnes_p:
        for champ in ("nomUniteLegale", "prenom1UniteLegale", "prenomUsuelUniteLegale"):
            assert u[champ] == "[ND]", champ
    diffusibles = [u for u in unites if u["statutDiffusionUniteLegale"] == "O"]
    assert "[ND]" not in {v for u in diffusibles for v in u.values()}
    statut_ul = {u["siren"]: u["statutDiffusionUniteLegale"] for u in unites}
    assert all(e["statutDiffusionEtablissement"] == statut_ul[e["siren"]] for e in etablissements)


def test_cas_limites_presents(etablissements, unites) -> None:
    assert any(
        e["coordonneeLambertAbscisseEtablissement"] == "" and e["codeCommuneEtablissement"]
        for e in etablissements
    )
    assert any(e["nomenclatureActivitePrincipaleEtablissement"] == "NAP" for e in etablissements)
    communes = {e["codeCommuneEtablissement"] for e in etablissements}
    assert communes & {"75115", "69383", "13203"}  # arrondissements municipaux
    assert any(c.startswith("97") for c in communes)
    assert any(e["etatAdministratifEtablissement"] == "F" for e in etablissements)
    assert any(u["etatAdministratifUniteLegale"] == "C" for u in unites)
    assert any(
        '"' in u["denominationUniteLegale"] or "," in u["denominationUniteLegale"] for u in unites
    )


def test_coordonnees_outre_mer_en_projection_legale(etablissements) -> None:
    """DROM points are in their UTM projection (x in metres of hundreds of km, never Lambert-93)."""
    from pyproj import Transformer

    centres = {
        "97411": (55.45, -20.88, 2975),
        "97302": (-52.33, 4.93, 2972),
        "97209": (-61.07, 14.61, 5490),
        "97611": (45.23, -12.78, 4471),
    }
    vus = 0
    for e in etablissements:
        c = e["codeCommuneEtablissement"]
        x = e["coordonneeLambertAbscisseEtablissement"]
        if c in centres and x not in ("", "[ND]"):
            lon0, lat0, epsg = centres[c]
            lon, lat = Transformer.from_crs(epsg, 4326, always_xy=True).transform(
                float(x), float(e["coordonneeLambertOrdonneeEtablissement"])
            )
            assert abs(lon - lon0) < 0.2 and abs(lat - lat0) < 0.2, (c, lon, lat)
            vus += 1
    assert vus > 5


def test_parts_familles_et_secteurs_du_stock(etablissements, unites) -> None:
    """Among active ESS employer establishments (ESS families by CJ): ~88.6 % associations,
    action sociale the first sector (NAF → sector as drawn)."""
    nomenclatures = charger()
    famille_cj = nomenclatures.famille_de_cj()
    secteur_naf = nomenclatures.secteur_de_naf()
    cj = {u["siren"]: u["categorieJuridiqueUniteLegale"] for u in unites}
    familles: dict[str, int] = {}
    secteurs: dict[str, int] = {}
    for e in etablissements:
        f = famille_cj.get(cj[e["siren"]])
        if (
            f
            and e["etatAdministratifEtablissement"] == "A"
            and e["caractereEmployeurEtablissement"] == "O"
        ):
            familles[f] = familles.get(f, 0) + 1
            s = secteur_naf.get(e["activitePrincipaleEtablissement"], "?")
            secteurs[s] = secteurs.get(s, 0) + 1
    n = sum(familles.values())
    assert n > 100
    assert 0.80 <= familles["association"] / n <= 0.96
    assert max(secteurs, key=lambda s: secteurs[s]) == "action_sociale"


def test_guillemets_seulement_si_necessaire() -> None:
    import datetime as dt
    import io

    from essq.generateur.ecriture import table_vers_csv

    t = pa.table(
        {
            "texte": ["SIMPLE", 'ASSOCIATION "LES AMIS"', "A, B ET C", None],
            "date": [dt.date(2026, 10, 31), None, dt.date(1999, 1, 2), dt.date(2000, 2, 3)],
            "siege": [True, False, None, True],
            "n": pa.array([1, None, 3, 4], type=pa.int32()),
        }
    )
    texte = table_vers_csv(t).decode("utf-8")
    assert texte.splitlines()[0] == "SIMPLE,2026-10-31,true,1"
    assert texte.splitlines()[1] == '"ASSOCIATION ""LES AMIS""",,false,'
    assert texte.splitlines()[3] == ",2000-02-03,true,4"
    relu = list(csv.reader(io.StringIO(texte)))
    assert relu[2] == ["A, B ET C", "1999-01-02", "", "3"]
