"""Qualification of establishments: place, privacy, jobs, duplicates, missing legal units."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.sirene import qualifier

# Inside the Saint-Denis fake QPV (Lambert-93) and 5 km away from it.
X_DANS, Y_DANS = "652000", "6867000"
X_LOIN, Y_LOIN = "652000", "6872000"


def lire(chemin: Path) -> dict[str, dict]:
    rel = duckdb.sql(f"SELECT * FROM '{chemin}'")
    lignes = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    return {r["siret"]: r for r in lignes}


@pytest.fixture()
def jeu(tmp_path, fichiers, aides, faux_territoires):
    a = aides
    unites = [
        a.ul("100000001", "9220", economieSocialeSolidaireUniteLegale="O"),
        a.ul("100000002", "1000", denominationUniteLegale="", nomUniteLegale="DUPONT"),
        a.ul(
            "100000003",
            "5710",
            economieSocialeSolidaireUniteLegale="O",
            statutDiffusionUniteLegale="P",
            denominationUniteLegale="[ND]",
        ),
        a.ul("100000004", "5499"),
    ]
    etabs = [
        a.etab("10000000100011", "93066", X_DANS, Y_DANS),  # in the QPV
        a.etab("10000000100029", "93066", X_LOIN, Y_LOIN, etablissementSiege="false"),  # outside
        a.etab("10000000100037", "93066"),  # no coordinates, commune with QPV
        a.etab("10000000100045", "75112", trancheEffectifsEtablissement="12"),  # arrondissement
        a.etab(
            "10000000200010",
            "93066",
            "[ND]",
            "[ND]",
            statutDiffusionEtablissement="P",
            enseigne1Etablissement="[ND]",
        ),  # natural person, not diffusible
        a.etab("10000000300018", "97411", "339000", "7689000"),  # La Réunion, UTM 40S, inside
        a.etab(
            "10000000300026",
            "97101",
            "650000",
            "1780000",
            caractereEmployeurEtablissement="N",
            trancheEffectifsEtablissement="NN",
        ),
        a.etab(
            "10000000400016",
            "01001",
            trancheEffectifsEtablissement="",
            etatAdministratifEtablissement="F",
        ),
        a.etab("99999999900011", "93059", X_DANS, Y_DANS),  # legal unit missing, old commune code
        a.etab(
            "10000000100045",
            "75112",
            trancheEffectifsEtablissement="12",
            dateDernierTraitementEtablissement="2020-01-01",
        ),  # duplicated SIRET
        a.etab("1000000010005", "93066"),  # 13 digits: rejected
    ]
    ul_csv, et_csv = fichiers(unites, etabs)
    sortie = tmp_path / "sortie.parquet"
    rapport = qualifier(
        ul_csv, et_csv, sortie, territoires=faux_territoires, afficher_progression=False
    )
    return rapport, lire(sortie)


def test_chaque_etablissement_valide_est_ecrit_une_fois(jeu) -> None:
    rapport, lignes = jeu
    assert len(lignes) == 9
    assert rapport.lignes_etablissements == 11
    assert rapport.lignes_ecrites == 9
    assert (
        rapport.rejets_par_raison["siret en double (la ligne la plus récemment traitée est gardée)"]
        == 1
    )
    assert rapport.rejets_par_raison["siret invalide (14 chiffres attendus)"] == 1
    assert sum(rapport.par_statut_position.values()) == 9


def test_position_par_coordonnees_ou_par_commune(jeu) -> None:
    _, lignes = jeu
    dans = lignes["10000000100011"]
    assert dans["statut_position"] == "coordonnees"
    assert dans["qpv_2024"] == "QN09301M" and dans["distance_qpv_2024_m"] == 0
    assert 2.3 < dans["lon"] < 2.4 and 48.9 < dans["lat"] < 49.0
    loin = lignes["10000000100029"]
    assert loin["qpv_2024"] is None and loin["qpv_proche_2024"] == "QN09301M"
    assert loin["distance_qpv_2024_m"] == pytest.approx(4000, abs=1)
    sans = lignes["10000000100037"]
    assert sans["statut_position"] == "inconnue" and sans["lon"] is None
    assert lignes["10000000400016"]["statut_position"] == "commune_sans_qpv"


def test_arrondissement_et_ancien_code_normalises(jeu) -> None:
    _, lignes = jeu
    paris = lignes["10000000100045"]
    assert paris["commune_origine"] == "75112"
    assert paris["code_commune"] == "75056"
    assert paris["departement"] == "75"
    ancien = lignes["99999999900011"]
    assert ancien["commune_origine"] == "93059" and ancien["code_commune"] == "93066"


def test_outre_mer_projection_legale(jeu) -> None:
    _, lignes = jeu
    reunion = lignes["10000000300018"]
    assert reunion["departement"] == "974"
    assert reunion["qpv_2024"] == "QN97401M"
    assert 55.0 < reunion["lon"] < 56.0 and -21.5 < reunion["lat"] < -20.5
    guadeloupe = lignes["10000000300026"]
    assert guadeloupe["departement"] == "971"
    assert -62.0 < guadeloupe["lon"] < -61.0 and 15.5 < guadeloupe["lat"] < 16.6
    assert guadeloupe["statut_position"] == "coordonnees"


def test_non_diffusible_et_personne_physique_jamais_exposes(jeu) -> None:
    rapport, lignes = jeu
    ei = lignes["10000000200010"]
    assert ei["statut_diffusion"] == "P"
    assert ei["denomination"] is None and ei["enseigne"] is None
    assert ei["lon"] is None and ei["lat"] is None
    assert ei["statut_position"] == "inconnue"  # [ND] coordinates, commune with a QPV
    # a natural person's diffusible establishment: name still hidden
    assert lignes["10000000100011"]["denomination"] == "UNITE 100000001"
    masquee = lignes["10000000300018"]  # legal unit with statut P
    assert masquee["denomination"] is None and masquee["enseigne"] is None
    assert rapport.non_diffusibles == 1


def test_unite_legale_manquante_gardee_et_signalee(jeu) -> None:
    rapport, lignes = jeu
    orphelin = lignes["99999999900011"]
    assert orphelin["unite_legale_trouvee"] is False
    assert orphelin["famille_ess"] == "hors_ess" and orphelin["ess"] is False
    assert "absente" in orphelin["raison_ess"]
    assert orphelin["qpv_2024"] == "QN09301M"
    assert rapport.unites_legales_manquantes == 1


def test_emplois_employeur_actif(jeu) -> None:
    rapport, lignes = jeu
    paris = lignes["10000000100045"]
    assert (paris["effectif_bas"], paris["effectif_central"], paris["effectif_haut"]) == (
        20,
        34.5,
        49,
    )
    assert paris["annee_effectif"] == 2023
    gp = lignes["10000000300026"]
    assert (
        gp["employeur"] is False
        and gp["employeur_tranche"] is False
        and gp["effectif_central"] == 0
    )
    ferme = lignes["10000000400016"]
    assert ferme["etat"] == "F" and ferme["effectif_central"] is None
    assert rapport.actifs == 8
    assert rapport.employeurs_caractere == 8
    assert rapport.employeurs_tranche == 7


def test_familles_et_secteur(jeu) -> None:
    _, lignes = jeu
    asso = lignes["10000000100011"]
    assert asso["famille_ess"] == "association" and asso["sources_ess"] == "cj;insee"
    assert (
        asso["secteur_ess"] == "Action sociale" and asso["a38"] == "QB" and asso["naf"] == "88.99B"
    )
    assert asso["etablissement_siege"] is True
    sas = lignes["10000000300018"]
    assert sas["famille_ess"] == "societe_commerciale_ess" and sas["sources_ess"] == "insee"
    assert lignes["10000000400016"]["famille_ess"] == "hors_ess"


def test_sans_territoires_erreur_claire(tmp_path, fichiers, aides, monkeypatch) -> None:
    ul_csv, et_csv = fichiers(
        [aides.ul("100000001", "9220")], [aides.etab("10000000100011", "93066")]
    )
    vide = tmp_path / "home_vide"
    with pytest.raises(DonneesAbsentes) as exc:
        qualifier(ul_csv, et_csv, tmp_path / "s.parquet", home=vide, afficher_progression=False)
    assert "essq territoires importer" in exc.value.texte()
    assert not (tmp_path / "s.parquet").exists()
    # legal units alone need no territories
    rapport = qualifier(
        ul_csv, None, tmp_path / "ul.parquet", home=vide, afficher_progression=False
    )
    assert rapport.lignes_ecrites == 1


def test_echec_laisse_la_sortie_precedente_intacte(
    tmp_path, fichiers, aides, faux_territoires
) -> None:
    ul_csv, et_csv = fichiers(
        [aides.ul("100000001", "9220")], [aides.etab("10000000100011", "93066")]
    )
    sortie = tmp_path / "s.csv"
    qualifier(ul_csv, et_csv, sortie, territoires=faux_territoires, afficher_progression=False)
    avant = sortie.read_bytes()
    casse = tmp_path / "casse.csv"
    casse.write_text("siret,codeCommuneEtablissement\n10000000100011,93066\n", encoding="utf-8")
    with pytest.raises(ErreurUtilisateur):
        qualifier(ul_csv, casse, sortie, territoires=faux_territoires, afficher_progression=False)
    assert sortie.read_bytes() == avant
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_echec_d_ecriture_remonte_et_laisse_la_sortie_intacte(
    tmp_path, fichiers, aides, faux_territoires, monkeypatch
) -> None:
    """A failure in the background writer (disk full…) stops the qualification with the error
    and leaves the previous output as it was, without a temporary file."""
    from essq.sirene import qualification

    etabs = [aides.etab(f"1000000010{i:04d}", "93066") for i in range(5)]
    ul_csv, et_csv = fichiers([aides.ul("100000001", "9220")], etabs)
    sortie = tmp_path / "s.parquet"
    qualifier(ul_csv, et_csv, sortie, territoires=faux_territoires, afficher_progression=False)
    avant = sortie.read_bytes()

    def disque_plein(self, table):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qualification._Ecrivain, "_ecrire_maintenant", disque_plein)
    with pytest.raises(OSError, match="No space left"):
        qualifier(
            ul_csv,
            et_csv,
            sortie,
            territoires=faux_territoires,
            afficher_progression=False,
            taille_lot=2,
        )
    assert sortie.read_bytes() == avant
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_sortie_csv_meme_contenu_que_parquet(tmp_path, fichiers, aides, faux_territoires) -> None:
    ul_csv, et_csv = fichiers(
        [aides.ul("100000001", "9220")],
        [
            aides.etab("10000000100011", "93066", X_DANS, Y_DANS),
            aides.etab("10000000100029", "75101"),
        ],
    )
    qualifier(
        ul_csv, et_csv, tmp_path / "s.csv", territoires=faux_territoires, afficher_progression=False
    )
    qualifier(
        ul_csv,
        et_csv,
        tmp_path / "s.parquet",
        territoires=faux_territoires,
        afficher_progression=False,
    )
    csv_rows = duckdb.sql(
        f"SELECT siret, code_commune, qpv_2024 FROM read_csv('{tmp_path / 's.csv'}', all_varchar=true) ORDER BY 1"
    ).fetchall()
    pq_rows = duckdb.sql(
        f"SELECT siret, code_commune, qpv_2024 FROM '{tmp_path / 's.parquet'}' ORDER BY 1"
    ).fetchall()
    assert (
        csv_rows
        == pq_rows
        == [("10000000100011", "93066", "QN09301M"), ("10000000100029", "75056", None)]
    )


def test_petits_lots_meme_resultat(tmp_path, fichiers, aides, faux_territoires) -> None:
    """Streaming in batches of 2 rows gives the same table as one batch."""
    etabs = [aides.etab(f"1000000010{i:04d}", "93066" if i % 2 else "75101") for i in range(7)]
    ul_csv, et_csv = fichiers([aides.ul("100000001", "9220")], etabs)
    r1 = qualifier(
        ul_csv,
        et_csv,
        tmp_path / "a.parquet",
        territoires=faux_territoires,
        taille_lot=2,
        afficher_progression=False,
    )
    qualifier(
        ul_csv,
        et_csv,
        tmp_path / "b.parquet",
        territoires=faux_territoires,
        afficher_progression=False,
    )
    a = duckdb.sql(f"SELECT * FROM '{tmp_path / 'a.parquet'}' ORDER BY siret").fetchall()
    b = duckdb.sql(f"SELECT * FROM '{tmp_path / 'b.parquet'}' ORDER BY siret").fetchall()
    assert a == b and len(a) == 7
    assert r1.par_statut_position == {"inconnue": 3, "commune_sans_qpv": 4}


def test_rejets_sans_doublon_chemin_rapide(tmp_path, fichiers, aides, faux_territoires) -> None:
    """Invalid rows are counted and dropped without the deduplication pass."""
    ul_csv, et_csv = fichiers(
        [aides.ul("100000001", "9220")],
        [
            aides.etab("10000000100011", "93066"),
            aides.etab("1000000010001X", "93066"),
            aides.etab("10000000100029", "93066", siren="100000009"),
        ],
    )
    rapport = qualifier(
        ul_csv,
        et_csv,
        tmp_path / "s.parquet",
        territoires=faux_territoires,
        afficher_progression=False,
    )
    assert rapport.lignes_etablissements == 3 and rapport.lignes_ecrites == 1
    assert rapport.rejets_par_raison == {
        "siret invalide (14 chiffres attendus)": 1,
        "siren incohérent avec les 9 premiers chiffres du siret": 1,
    }
    assert {r.identifiant for r in rapport.rejets_exemples} == {"1000000010001X", "10000000100029"}


def test_unite_legale_en_double_un_seul_etablissement(
    tmp_path, fichiers, aides, faux_territoires
) -> None:
    ul_csv, et_csv = fichiers(
        [aides.ul("100000001", "9220"), aides.ul("100000001", "9220")],
        [aides.etab("10000000100011", "93066"), aides.etab("10000000100029", "93066")],
    )
    sortie = tmp_path / "s.parquet"
    rapport = qualifier(
        ul_csv, et_csv, sortie, territoires=faux_territoires, afficher_progression=False
    )
    assert duckdb.sql(f"SELECT count(*), count(DISTINCT siret) FROM '{sortie}'").fetchone() == (
        2,
        2,
    )
    assert rapport.rejets_par_raison == {
        "siren en double (la ligne la plus récemment traitée est gardée)": 1
    }
    assert rapport.lignes_etablissements == 2
