"""ESS perimeter per legal unit: CJ family boundaries, INSEE flag, lists, NAF exclusions."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from essq.sirene import importer_liste, qualifier
from essq.sirene.nomenclatures import (
    SECTEURS,
    classer_naf,
    normaliser_naf,
    table_cj,
    table_naf,
    table_tranches,
)

# (CJ, family implied by the CJ alone, public sector) — every boundary of every group.
FRONTIERES = [
    ("1000", "hors_ess", False),
    ("1900", "hors_ess", False),
    ("3120", "hors_ess", False),
    ("4140", "hors_ess", False),
    ("5191", "cooperative", False),
    ("5196", "cooperative", False),
    ("5202", "hors_ess", False),
    ("5203", "cooperative", False),
    ("5306", "hors_ess", False),
    ("5307", "cooperative", False),
    ("5309", "cooperative", False),
    ("5431", "hors_ess", False),
    ("5432", "cooperative", False),
    ("5442", "hors_ess", False),
    ("5443", "cooperative", False),
    ("5458", "cooperative", False),
    ("5460", "cooperative", False),
    ("5470", "hors_ess", False),
    ("5499", "hors_ess", False),
    ("5505", "hors_ess", False),
    ("5546", "hors_ess", False),
    ("5547", "cooperative", False),
    ("5560", "cooperative", False),
    ("5599", "hors_ess", False),
    ("5646", "hors_ess", False),
    ("5660", "cooperative", False),
    ("5710", "hors_ess", False),
    ("6100", "cooperative", False),
    ("6220", "hors_ess", False),
    ("6316", "cooperative", False),
    ("6318", "cooperative", False),
    ("6411", "mutuelle", False),
    ("6533", "hors_ess", False),
    ("6543", "cooperative", False),
    ("6560", "cooperative", False),
    ("6595", "cooperative", False),
    ("6596", "cooperative", False),
    ("6599", "hors_ess", False),
    ("7210", "hors_ess", True),
    ("7410", "hors_ess", True),
    ("8190", "hors_ess", False),
    ("8210", "mutuelle", False),
    ("8250", "mutuelle", False),
    ("8290", "mutuelle", False),
    ("8510", "hors_ess", False),
    ("9110", "hors_ess", False),
    ("9210", "association", False),
    ("9220", "association", False),
    ("9222", "association", False),
    ("9223", "association", False),
    ("9224", "hors_ess", False),
    ("9230", "association", False),
    ("9240", "hors_ess", False),
    ("9260", "association", False),
    ("9300", "fondation", False),
    ("9900", "hors_ess", False),
]


def qualifier_ul(tmp_path: Path, aides, unites, **options) -> dict[str, dict]:
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", aides.EN_TETE_UL, unites)
    sortie = tmp_path / "ul.parquet"
    rapport = qualifier(chemin, None, sortie, afficher_progression=False, **options)
    rel = duckdb.sql(f"SELECT * FROM '{sortie}'")
    lignes = {r[0]: dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()}
    lignes["_rapport"] = rapport  # type: ignore[assignment]
    return lignes


def test_chaque_frontiere_de_famille(tmp_path, aides) -> None:
    unites = [aides.ul(f"2000{i:05d}", cj) for i, (cj, _, _) in enumerate(FRONTIERES)]
    lignes = qualifier_ul(tmp_path, aides, unites)
    for i, (cj, famille, public) in enumerate(FRONTIERES):
        ligne = lignes[f"2000{i:05d}"]
        assert ligne["famille_ess"] == famille, cj
        assert ligne["ess"] is (famille != "hors_ess"), cj
        assert ligne["secteur_public"] is public, cj
        assert ligne["sources_ess"] == ("cj" if famille != "hors_ess" else None), cj
        assert cj in ligne["raison_ess"]


def test_societe_commerciale_seulement_par_indicateur_ou_liste(tmp_path, aides) -> None:
    liste = tmp_path / "esus.csv"
    liste.write_text("SIREN;nom\n300000003;X\n300 000 004;Y\n12;trop court\n", encoding="utf-8")
    lignes = qualifier_ul(
        tmp_path,
        aides,
        [
            aides.ul("300000001", "5710", economieSocialeSolidaireUniteLegale="O"),
            aides.ul("300000002", "5710", economieSocialeSolidaireUniteLegale="N"),
            aides.ul("300000003", "5499"),
            aides.ul("300000004", "7410"),
        ],
        listes={"esus": liste},
    )
    assert lignes["300000001"]["famille_ess"] == "societe_commerciale_ess"
    assert lignes["300000001"]["sources_ess"] == "insee"
    assert lignes["300000002"]["famille_ess"] == "hors_ess"
    assert lignes["300000002"]["liste_esus"] is False
    assert lignes["300000003"]["famille_ess"] == "societe_commerciale_ess"
    assert (
        lignes["300000003"]["sources_ess"] == "esus" and lignes["300000003"]["liste_esus"] is True
    )
    gip = lignes["300000004"]
    assert gip["ess"] is True and gip["secteur_public"] is True
    assert lignes["300000001"]["liste_ess_france"] is None  # list not loaded: unknown, not False


def test_siae_seule_ne_suffit_pas(tmp_path, aides) -> None:
    liste = tmp_path / "siae.csv"
    liste.write_text("siret\n40000000100012\n", encoding="utf-8")
    lignes = qualifier_ul(tmp_path, aides, [aides.ul("400000001", "5710")], listes={"siae": liste})
    ligne = lignes["400000001"]
    assert ligne["liste_siae"] is True and ligne["ess"] is False
    assert "ne suffit pas" in ligne["raison_ess"]


def test_exclusions_naf_et_conflit(tmp_path, aides) -> None:
    unites = [
        aides.ul("500000001", "9220", activitePrincipaleUniteLegale="94.20Z"),
        aides.ul(
            "500000002",
            "9220",
            activitePrincipaleUniteLegale="9420Z",
            economieSocialeSolidaireUniteLegale="O",
        ),
        aides.ul("500000003", "9220", activitePrincipaleUniteLegale="84.11Z"),
        aides.ul("500000004", "9220", economieSocialeSolidaireUniteLegale="N"),
    ]
    lignes = qualifier_ul(tmp_path, aides, unites)
    assert lignes["500000001"]["famille_ess"] == "hors_ess"
    assert "hors champ" in lignes["500000001"]["raison_ess"]
    assert lignes["500000001"]["famille_statutaire"] == "association"
    assert lignes["500000002"]["famille_ess"] == "association"
    assert lignes["500000002"]["sources_ess"] == "insee"
    assert lignes["500000003"]["ess"] is False
    assert lignes["500000004"]["ess"] is True
    assert lignes["_rapport"].conflits_cj_insee == 1
    sans = qualifier_ul(tmp_path, aides, unites, exclusions_naf=False)
    assert sans["500000001"]["famille_ess"] == "association"


def test_fonds_de_dotation_choix_documente(tmp_path, aides, home) -> None:
    liste = tmp_path / "fdd.csv"
    liste.write_text("siren\n600000002\n", encoding="utf-8")
    importer_liste("fonds_dotation", liste, home=home)
    unites = [aides.ul("600000001", "9300"), aides.ul("600000002", "9300")]
    par_defaut = qualifier_ul(tmp_path, aides, unites, home=home)
    assert par_defaut["600000002"]["famille_ess"] == "fondation"
    assert par_defaut["600000002"]["liste_fonds_dotation"] is True
    exclus = qualifier_ul(tmp_path, aides, unites, home=home, exclure_fonds_dotation=True)
    assert exclus["600000001"]["famille_ess"] == "fondation"
    assert exclus["600000002"]["famille_ess"] == "hors_ess"
    assert "fonds de dotation" in exclus["600000002"]["raison_ess"]


def test_personne_physique_sans_nom_et_non_diffusible(tmp_path, aides) -> None:
    lignes = qualifier_ul(
        tmp_path,
        aides,
        [
            aides.ul("700000001", "1000", denominationUniteLegale="JEAN DUPONT"),
            aides.ul(
                "700000002", "9220", statutDiffusionUniteLegale="P", denominationUniteLegale="[ND]"
            ),
        ],
    )
    assert lignes["700000001"]["denomination"] is None
    assert lignes["700000001"]["personne_physique"] is True
    assert lignes["700000002"]["denomination"] is None
    assert lignes["700000002"]["statut_diffusion"] == "P"


@pytest.mark.parametrize("code", list(table_tranches()))
def test_chaque_tranche(tmp_path, aides, code) -> None:
    t = table_tranches()[code]
    lignes = qualifier_ul(
        tmp_path, aides, [aides.ul("800000001", "9220", trancheEffectifsUniteLegale=code)]
    )
    ligne = lignes["800000001"]
    assert (ligne["effectif_bas"], ligne["effectif_central"], ligne["effectif_haut"]) == (
        t.bas,
        t.central,
        t.haut,
    )
    assert ligne["employeur_tranche"] is (code not in ("NN", "00"))


def test_tranche_vide_ou_inconnue(tmp_path, aides) -> None:
    lignes = qualifier_ul(
        tmp_path,
        aides,
        [
            aides.ul("800000002", "9220", trancheEffectifsUniteLegale=""),
            aides.ul("800000003", "9220", trancheEffectifsUniteLegale="99"),
        ],
    )
    assert lignes["800000002"]["effectif_central"] is None
    assert lignes["800000003"]["effectif_central"] is None
    assert lignes["_rapport"].tranches_inconnues == 1


def test_bornes_des_tranches_contigues() -> None:
    tranches = [t for c, t in table_tranches().items() if c not in ("NN", "00")]
    for avant, apres in zip(tranches, tranches[1:], strict=False):
        assert apres.bas == avant.haut + 1
        assert avant.central == (avant.bas + avant.haut) / 2


@given(st.from_regex(r"\d{2}\.\d{2}[A-Z]", fullmatch=True))
def test_naf_deux_notations(code: str) -> None:
    assert normaliser_naf(code) == code
    assert normaliser_naf(code.replace(".", "")) == code
    assert normaliser_naf(f" {code.lower()} ") == code


@given(st.text(max_size=8))
def test_naf_invalide_jamais_classe_au_hasard(texte: str) -> None:
    n = normaliser_naf(texte)
    assert n is None or (len(n) == 6 and n[2] == ".")


def test_secteurs_du_tableau_3() -> None:
    assert {n.secteur_ess for n in table_naf().values()} == set(SECTEURS)
    assert (
        classer_naf("9499Z").secteur_ess
        == "Autres organisations fonctionnant par adhésion volontaire"
    )
    assert classer_naf("94.91Z").secteur_ess == "Autres services"
    assert classer_naf("88.10A").secteur_ess == "Action sociale"
    assert classer_naf("93.12Z").secteur_ess == "Sport et loisirs"
    assert classer_naf("NAP") is None


def test_tables_contre_nomenclatures_insee(donnees_partagees) -> None:
    """Every CJ code of the mapping exists; section and A38 agree with INSEE's NAF tables."""
    with open(donnees_partagees / "cj" / "categories_juridiques_niv3.csv", encoding="utf-8") as f:
        codes_insee = {r["code"]: r for r in csv.DictReader(f)}
    cj = table_cj()
    assert set(cj.famille) <= set(codes_insee)
    assert set(cj.commentaire) <= set(codes_insee)
    # every code of levels 51 (coopératives commerciales particulières), 82, 92, 93 is examined
    for code in codes_insee:
        if code[:2] in ("51", "82", "92", "93"):
            assert code in cj.commentaire, code
    with open(donnees_partagees / "naf" / "naf_rev2_sousclasses.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            ligne = classer_naf(r["sous_classe"])
            assert ligne is not None, r["sous_classe"]
            assert (ligne.section, ligne.a38) == (r["section"], r["a38"]), r["sous_classe"]
