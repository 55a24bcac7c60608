"""The stock rebuilt at a past date from INSEE's historical stocks (essq.sirene.historique)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from essq.cli import app
from essq.erreurs import ErreurUtilisateur
from essq.sirene import qualifier

EN_TETE_HIST_UL = [
    "siren",
    "dateFin",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "changementEtatAdministratifUniteLegale",
    "denominationUniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "caractereEmployeurUniteLegale",
]
EN_TETE_HIST_ET = [
    "siret",
    "dateFin",
    "dateDebut",
    "etatAdministratifEtablissement",
    "changementEtatAdministratifEtablissement",
    "enseigne1Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
]

X_DANS, Y_DANS = "652000", "6867000"  # inside the fake Saint-Denis QPV (conftest)


def periode_ul(siren: str, debut: str, fin: str, cj: str, **autres: str) -> dict[str, str]:
    ligne = {
        "siren": siren,
        "dateDebut": debut,
        "dateFin": fin,
        "etatAdministratifUniteLegale": "A",
        "denominationUniteLegale": f"UNITE {siren}",
        "categorieJuridiqueUniteLegale": cj,
        "activitePrincipaleUniteLegale": "88.99B",
        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
        "economieSocialeSolidaireUniteLegale": "N",
        "caractereEmployeurUniteLegale": "O",
    }
    ligne.update(autres)
    return ligne


def periode_et(siret: str, debut: str, fin: str, **autres: str) -> dict[str, str]:
    ligne = {
        "siret": siret,
        "dateDebut": debut,
        "dateFin": fin,
        "etatAdministratifEtablissement": "A",
        "enseigne1Etablissement": f"ENSEIGNE {siret}",
        "activitePrincipaleEtablissement": "88.99B",
        "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
        "caractereEmployeurEtablissement": "O",
    }
    ligne.update(autres)
    return ligne


@pytest.fixture()
def stock(tmp_path: Path, aides) -> dict[str, Path]:
    """A current stock (November 2026) and its history."""
    a = aides
    unites = [
        # became an association on 2020-01-01 (was a SARL)
        a.ul("100000001", "9220", economieSocialeSolidaireUniteLegale="O"),
        # SAS recognised ESS by INSEE since 2022-03-01 only
        a.ul("100000002", "5710", economieSocialeSolidaireUniteLegale="O"),
        # association created in 2024: did not exist at the end of 2022
        a.ul("100000003", "9220", dateCreationUniteLegale="2024-02-01"),
        # association without any period in the history file
        a.ul("100000004", "9220"),
    ]
    etabs = [
        a.etab("10000000100011", "93066", X_DANS, Y_DANS),
        # closed in 2023, was active at the end of 2022, in sport then
        a.etab("10000000100029", "93066", X_DANS, Y_DANS, etatAdministratifEtablissement="F"),
        # opened in 2023
        a.etab("10000000100037", "93066", X_DANS, Y_DANS, dateCreationEtablissement="2023-05-01"),
        a.etab("10000000200018", "93066", X_DANS, Y_DANS),
        # establishment of the unit created in 2024, creation date unknown
        a.etab("10000000300015", "93066", X_DANS, Y_DANS, dateCreationEtablissement=""),
        a.etab("10000000400012", "93066", X_DANS, Y_DANS),
        # not diffusible: the historical name must stay masked like the current one
        a.etab(
            "10000000400020",
            "93066",
            "[ND]",
            "[ND]",
            statutDiffusionEtablissement="P",
            enseigne1Etablissement="[ND]",
        ),
    ]
    hist_ul = [
        periode_ul("100000001", "2015-01-01", "2019-12-31", "5499"),
        periode_ul("100000001", "2020-01-01", "", "9220", economieSocialeSolidaireUniteLegale="O"),
        periode_ul("100000002", "2018-06-01", "2022-03-01", "5710"),
        periode_ul("100000002", "2022-03-01", "", "5710", economieSocialeSolidaireUniteLegale="O"),
        periode_ul("100000003", "2024-02-01", "", "9220"),
    ]
    hist_et = [
        periode_et("10000000100011", "2015-03-01", "", caractereEmployeurEtablissement="N"),
        periode_et(
            "10000000100029",
            "2015-03-01",
            "2023-06-30",
            activitePrincipaleEtablissement="9312Z",
            enseigne1Etablissement="CLUB",
        ),
        periode_et("10000000100029", "2023-07-01", "", etatAdministratifEtablissement="F"),
        periode_et("10000000100037", "2023-05-01", ""),
        periode_et("10000000200018", "2016-01-01", ""),
        periode_et("10000000300015", "2024-02-01", ""),
        periode_et("10000000400020", "2015-03-01", "", enseigne1Etablissement="ANCIEN NOM"),
    ]
    return {
        "ul": a.ecrire_csv(tmp_path / "StockUniteLegale.csv", a.EN_TETE_UL, unites),
        "et": a.ecrire_csv(tmp_path / "StockEtablissement.csv", a.EN_TETE_ET, etabs),
        "hist_ul": a.ecrire_csv(
            tmp_path / "StockUniteLegaleHistorique.csv", EN_TETE_HIST_UL, hist_ul
        ),
        "hist_et": a.ecrire_csv(
            tmp_path / "StockEtablissementHistorique.csv", EN_TETE_HIST_ET, hist_et
        ),
    }


def lire_csv(chemin: Path) -> list[dict[str, str]]:
    """The rows of a test CSV as text (empty for missing values), to write variants of it."""
    rel = duckdb.sql(f"SELECT * FROM read_csv('{chemin}', all_varchar=true)")
    return [{k: (v or "") for k, v in zip(rel.columns, r, strict=True)} for r in rel.fetchall()]


def qualifier_a(stock, tmp_path, territoires, date, **options):
    sortie = tmp_path / f"q-{date}.parquet"
    rapport = qualifier(
        stock["ul"],
        stock["et"],
        sortie,
        territoires=territoires,
        afficher_progression=False,
        date_historique=date,
        historique_unites_legales=options.pop("hist_ul", stock["hist_ul"]),
        historique_etablissements=options.pop("hist_et", stock["hist_et"]),
        **options,
    )
    rel = duckdb.sql(f"SELECT * FROM '{sortie}'")
    lignes = {
        r[rel.columns.index("siret")]: dict(zip(rel.columns, r, strict=True))
        for r in rel.fetchall()
    }
    return rapport, lignes


def test_fin_2022_les_unites_ont_leur_statut_d_alors(stock, tmp_path, faux_territoires) -> None:
    rapport, lignes = qualifier_a(stock, tmp_path, faux_territoires, "2022-12-31")
    # Units and establishments that did not exist yet are left out, and counted
    assert set(lignes) == {
        "10000000100011",
        "10000000100029",
        "10000000200018",
        "10000000400012",
        "10000000400020",
    }
    assert rapport.unites_legales_absentes_a_la_date == 1
    assert rapport.etablissements_absents_a_la_date == 2  # opened in 2023; unit created in 2024
    assert rapport.unites_legales_sans_historique == 1
    assert rapport.etablissements_sans_historique == 1
    assert rapport.date_historique == "2022-12-31"
    assert rapport.provenance["date_reconstituee"] == "2022-12-31"
    # association since 2020, ESS at the end of 2022
    assert lignes["10000000100011"]["famille_ess"] == "association"
    # the closed establishment was active then, in sport, under its former name
    ancien = lignes["10000000100029"]
    assert ancien["etat"] == "A"
    assert ancien["naf"] == "93.12Z" and ancien["secteur_ess"] == "Sport et loisirs"
    assert ancien["enseigne"] == "CLUB"
    # the historised employer character replaces the current one
    assert lignes["10000000100011"]["employeur"] is False
    # INSEE recognised the SAS as ESS on 2022-03-01
    assert lignes["10000000200018"]["famille_ess"] == "societe_commerciale_ess"
    # no history: current values
    assert lignes["10000000400012"]["famille_ess"] == "association"
    # a masked name stays masked, even its historical value
    assert lignes["10000000400020"]["enseigne"] is None
    texte = rapport.texte()
    assert "Stock reconstitué au 2022-12-31" in texte
    assert "établissements qui n'existaient pas encore (écartés) : 2" in texte


def test_en_2019_l_association_etait_une_sarl(stock, tmp_path, faux_territoires) -> None:
    rapport, lignes = qualifier_a(stock, tmp_path, faux_territoires, "2019-06-30")
    assert lignes["10000000100011"]["famille_ess"] == "hors_ess"
    assert lignes["10000000100011"]["categorie_juridique"] == "5499"
    assert lignes["10000000200018"]["famille_ess"] == "hors_ess"  # not yet flagged by INSEE
    assert "10000000200018" in lignes


def test_fin_de_periode_egale_au_debut_suivant_la_plus_recente_gagne(
    stock, tmp_path, faux_territoires
) -> None:
    # 100000002: one period ends on 2022-03-01, the next starts that day
    _, lignes = qualifier_a(stock, tmp_path, faux_territoires, "2022-03-01")
    assert lignes["10000000200018"]["famille_ess"] == "societe_commerciale_ess"
    _, veille = qualifier_a(stock, tmp_path, faux_territoires, "2022-02-28")
    assert veille["10000000200018"]["famille_ess"] == "hors_ess"
    # 100000001: end 2019-12-31 inclusive, next start 2020-01-01
    _, fin = qualifier_a(stock, tmp_path, faux_territoires, "2019-12-31")
    assert fin["10000000100011"]["categorie_juridique"] == "5499"


def test_historique_des_unites_seul(stock, tmp_path, faux_territoires) -> None:
    """Without the establishments' history: current establishment values, creation dates
    still leave out the establishments opened later."""
    rapport, lignes = qualifier_a(stock, tmp_path, faux_territoires, "2022-12-31", hist_et=None)
    assert "10000000100037" not in lignes and "10000000300015" not in lignes
    assert lignes["10000000100029"]["etat"] == "F"  # current value, not historised here
    assert lignes["10000000100011"]["famille_ess"] == "association"
    assert rapport.etablissements_sans_historique == 0


def test_historique_en_parquet_avec_dates_typees(stock, tmp_path, faux_territoires) -> None:
    table = duckdb.sql(
        f"SELECT * REPLACE (TRY_CAST(dateDebut AS DATE) AS dateDebut, "
        f"TRY_CAST(NULLIF(dateFin, '') AS DATE) AS dateFin) "
        f"FROM read_csv('{stock['hist_ul']}', all_varchar=true)"
    ).fetch_arrow_table()
    assert table.schema.field("dateDebut").type == pa.date32()
    chemin = tmp_path / "StockUniteLegaleHistorique_utf8.parquet"
    pq.write_table(table, chemin)
    _, lignes = qualifier_a(stock, tmp_path, faux_territoires, "2019-06-30", hist_ul=chemin)
    assert lignes["10000000100011"]["categorie_juridique"] == "5499"


def test_tranche_d_une_annee_posterieure_signalee(stock, tmp_path, faux_territoires) -> None:
    rapport, _ = qualifier_a(stock, tmp_path, faux_territoires, "2019-06-30")
    assert any("tranche d'effectif d'une année postérieure" in a for a in rapport.avertissements)


def test_colonne_historisee_absente_valeur_actuelle_et_avertissement(
    stock, tmp_path, faux_territoires, aides
) -> None:
    sans_flag = [c for c in EN_TETE_HIST_UL if c != "economieSocialeSolidaireUniteLegale"]
    dicts = lire_csv(stock["hist_ul"])
    chemin = aides.ecrire_csv(
        tmp_path / "h.csv",
        sans_flag,
        [{k: (v or "") for k, v in d.items() if k in sans_flag} for d in dicts],
    )
    rapport, res = qualifier_a(stock, tmp_path, faux_territoires, "2019-06-30", hist_ul=chemin)
    assert any("economieSocialeSolidaireUniteLegale" in a for a in rapport.avertissements)
    assert res["10000000200018"]["famille_ess"] == "societe_commerciale_ess"  # current flag


@pytest.mark.parametrize(
    ("options", "champ"),
    [
        ({"date_historique": "2022-12-31"}, "--date-historique"),
        ({"historique_unites_legales": "HIST_UL"}, "--date-historique"),
        (
            {"date_historique": "31/12/2022", "historique_unites_legales": "HIST_UL"},
            "--date-historique",
        ),
        (
            {
                "date_historique": str(dt.date.today() + dt.timedelta(days=40)),
                "historique_unites_legales": "HIST_UL",
            },
            "--date-historique",
        ),
    ],
)
def test_mauvaises_options(stock, tmp_path, faux_territoires, options, champ) -> None:
    options = {k: (stock["hist_ul"] if v == "HIST_UL" else v) for k, v in options.items()}
    sortie = tmp_path / "s.parquet"
    with pytest.raises(ErreurUtilisateur) as exc:
        qualifier(
            stock["ul"],
            stock["et"],
            sortie,
            territoires=faux_territoires,
            afficher_progression=False,
            **options,
        )
    assert exc.value.champ == champ
    assert not sortie.exists()


def test_historique_des_etablissements_sans_leur_stock(stock, tmp_path) -> None:
    with pytest.raises(ErreurUtilisateur, match="sans stock des établissements"):
        qualifier(
            stock["ul"],
            None,
            tmp_path / "s.parquet",
            afficher_progression=False,
            date_historique="2022-12-31",
            historique_etablissements=stock["hist_et"],
        )


def test_historique_sans_date_de_debut_erreur_nommant_la_colonne(
    stock, tmp_path, faux_territoires, aides
) -> None:
    chemin = aides.ecrire_csv(
        tmp_path / "h.csv", ["siren", "dateFin", "categorieJuridiqueUniteLegale"], []
    )
    with pytest.raises(ErreurUtilisateur, match="dateDebut"):
        qualifier_a(stock, tmp_path, faux_territoires, "2022-12-31", hist_ul=chemin)


def test_unites_legales_seules_a_une_date(stock, tmp_path) -> None:
    sortie = tmp_path / "ul.parquet"
    rapport = qualifier(
        stock["ul"],
        None,
        sortie,
        afficher_progression=False,
        date_historique="2019-06-30",
        historique_unites_legales=stock["hist_ul"],
    )
    familles = dict(duckdb.sql(f"SELECT siren, famille_ess FROM '{sortie}'").fetchall())
    assert familles == {
        "100000001": "hors_ess",
        "100000002": "hors_ess",
        "100000004": "association",
    }
    assert rapport.unites_legales_absentes_a_la_date == 1


def test_commande_qualifier_a_une_date(stock, tmp_path, home) -> None:
    sortie = tmp_path / "s.parquet"
    commande = ["sirene", "qualifier", "--unites-legales", str(stock["ul"])]
    commande += ["--sortie", str(sortie), "--date-historique", "2019-06-30"]
    res = CliRunner().invoke(app, [*commande, "--historique-unites-legales", str(stock["hist_ul"])])
    assert res.exit_code == 0, res.output
    assert "Stock reconstitué au 2019-06-30" in res.output
    avant = sortie.read_bytes()
    res = CliRunner().invoke(app, commande)  # a date without the historical files
    # the entry point prints this French message and exits 2 (tests/test_cli.py)
    assert res.exit_code != 0 and isinstance(res.exception, ErreurUtilisateur)
    assert "fichiers historiques" in str(res.exception)
    assert sortie.read_bytes() == avant  # the earlier output is left untouched


def test_dates_illisibles_refusees(stock, tmp_path, faux_territoires, aides) -> None:
    """A period bound that is not a date would silently mean "no limit"."""
    chemin = aides.ecrire_csv(
        tmp_path / "h.csv",
        EN_TETE_HIST_UL,
        [periode_ul("100000001", "01/01/2015", "", "9220")],
    )
    with pytest.raises(ErreurUtilisateur, match="01/01/2015") as exc:
        qualifier_a(stock, tmp_path, faux_territoires, "2022-12-31", hist_ul=chemin)
    assert exc.value.champ == "dateDebut"


def test_personne_physique_reste_masquee(tmp_path, aides, faux_territoires) -> None:
    """An empty historical legal form must not turn a natural person into a company whose
    name would be shown."""
    ul = aides.ecrire_csv(
        tmp_path / "ul.csv",
        aides.EN_TETE_UL,
        [aides.ul("100000009", "1000", denominationUniteLegale="", nomUniteLegale="DUPONT")],
    )
    et = aides.ecrire_csv(
        tmp_path / "et.csv", aides.EN_TETE_ET, [aides.etab("10000000900014", "93066")]
    )
    hist = aides.ecrire_csv(
        tmp_path / "h.csv",
        EN_TETE_HIST_UL,
        [periode_ul("100000009", "2015-01-01", "", "", denominationUniteLegale="DUPONT JEAN")],
    )
    for avec_etablissements in (True, False):
        sortie = tmp_path / f"s{avec_etablissements}.parquet"
        qualifier(
            ul,
            et if avec_etablissements else None,
            sortie,
            territoires=faux_territoires,
            afficher_progression=False,
            date_historique="2022-12-31",
            historique_unites_legales=hist,
        )
        rel = duckdb.sql(f"SELECT * FROM '{sortie}'")
        texte = str(rel.fetchall())
        assert "DUPONT" not in texte
        assert "ENSEIGNE" not in texte


def test_doublons_comptes_avant_la_date(stock, tmp_path, faux_territoires, aides) -> None:
    """Duplicated SIRET are reduced to the most recently processed row first, then the
    reconstitution applies to it; the duplicate is reported."""
    dicts = lire_csv(stock["et"])
    doublon = dict(
        next(d for d in dicts if d["siret"] == "10000000400012"),
        dateCreationEtablissement="2023-01-10",
        dateDernierTraitementEtablissement="2025-01-01",
    )
    chemin = aides.ecrire_csv(tmp_path / "et2.csv", aides.EN_TETE_ET, [*dicts, doublon])
    sortie = tmp_path / "d.parquet"
    rapport = qualifier(
        stock["ul"],
        chemin,
        sortie,
        territoires=faux_territoires,
        afficher_progression=False,
        date_historique="2022-12-31",
        historique_unites_legales=stock["hist_ul"],
        historique_etablissements=stock["hist_et"],
    )
    assert sum(n for r, n in rapport.rejets_par_raison.items() if "en double" in r) == 1
    sirets = {s for (s,) in duckdb.sql(f"SELECT siret FROM '{sortie}'").fetchall()}
    assert "10000000400012" not in sirets  # the kept row was created in 2023
    assert rapport.lignes_etablissements == len(dicts) + 1


def test_siret_vide_rejete_et_non_perdu(stock, tmp_path, faux_territoires, aides) -> None:
    dicts = lire_csv(stock["et"])
    vide = dict(dicts[0], siret="", siren="", nic="")
    chemin = aides.ecrire_csv(tmp_path / "et3.csv", aides.EN_TETE_ET, [*dicts, vide])
    rapport, _ = qualifier_a({**stock, "et": chemin}, tmp_path, faux_territoires, "2022-12-31")
    assert rapport.rejets_par_raison["siret invalide (14 chiffres attendus)"] == 1
    assert rapport.lignes_etablissements == len(dicts) + 1
    assert (
        rapport.lignes_ecrites + rapport.lignes_rejetees + rapport.etablissements_absents_a_la_date
        == rapport.lignes_etablissements
    )


def test_comptes_du_rapport_coherents(stock, tmp_path, faux_territoires) -> None:
    rapport, lignes = qualifier_a(stock, tmp_path, faux_territoires, "2022-12-31")
    # the unit created in 2024 (no history either) is counted absent, not "without history"
    assert rapport.unites_legales_absentes_a_la_date == 1
    assert rapport.unites_legales_sans_historique == 1  # 100000004 only
    assert rapport.lignes_unites_legales == 4
    assert rapport.lignes_etablissements == 7
    assert rapport.lignes_ecrites == len(lignes) == 5


def test_historique_sans_variable_historisee_refuse(
    stock, tmp_path, faux_territoires, aides
) -> None:
    chemin = aides.ecrire_csv(
        tmp_path / "h.csv",
        ["siren", "dateDebut", "dateFin"],
        [{"siren": "100000001", "dateDebut": "2015-01-01", "dateFin": ""}],
    )
    with pytest.raises(ErreurUtilisateur, match="aucune variable historisée"):
        qualifier_a(stock, tmp_path, faux_territoires, "2022-12-31", hist_ul=chemin)


def test_memoire_insuffisante_message_clair(stock, tmp_path, faux_territoires) -> None:
    """DuckDB running out of its memory limit gives a French message about --memoire, not a
    "file unreadable" one, and writes nothing."""
    import duckdb as _duckdb

    from essq.sirene import qualification

    erreur = qualification._erreur_duckdb(
        _duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block"),
        [stock["ul"]],
        "3GB",
    )
    assert erreur.champ == "--memoire" and "3GB" in str(erreur)
    sortie = tmp_path / "s.parquet"
    with pytest.raises(ErreurUtilisateur) as exc:
        qualifier(
            stock["ul"],
            stock["et"],
            sortie,
            territoires=faux_territoires,
            afficher_progression=False,
            memoire="10KB",
            date_historique="2022-12-31",
            historique_unites_legales=stock["hist_ul"],
        )
    assert exc.value.champ == "--memoire"
    assert not sortie.exists()


def test_tranche_posterieure_signalee_pour_les_unites_legales_seules(
    stock, tmp_path, aides
) -> None:
    ul = aides.ecrire_csv(
        tmp_path / "ul.csv",
        aides.EN_TETE_UL,
        [
            aides.ul(
                "100000004",
                "9220",
                trancheEffectifsUniteLegale="11",
                anneeEffectifsUniteLegale="2024",
            )
        ],
    )
    rapport = qualifier(
        ul,
        None,
        tmp_path / "s.parquet",
        afficher_progression=False,
        date_historique="2019-06-30",
        historique_unites_legales=stock["hist_ul"],
    )
    assert any(
        a.startswith("1 unités légales ont une tranche d'effectif d'une année postérieure")
        for a in rapport.avertissements
    ), rapport.avertissements
