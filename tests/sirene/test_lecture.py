"""Readers: CSV, zip, gzip, Parquet, encodings, columns by name, bad inputs."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from essq.erreurs import ErreurUtilisateur
from essq.sirene import lecture, qualifier


def unites(aides) -> list[dict[str, str]]:
    return [
        aides.ul("000325175", "9220", denominationUniteLegale="ASSOCIATION DES CAFÉS SOLIDAIRES"),
        aides.ul("100000002", "5458", activitePrincipaleUniteLegale="9499Z"),
    ]


def resultat(sortie: Path) -> list[tuple]:
    return duckdb.sql(
        f"SELECT siren, famille_ess, denomination, naf, secteur_ess FROM '{sortie}' ORDER BY siren"
    ).fetchall()


ATTENDU = [
    ("000325175", "association", "ASSOCIATION DES CAFÉS SOLIDAIRES", "88.99B", "Action sociale"),
    (
        "100000002",
        "cooperative",
        "UNITE 100000002",
        "94.99Z",
        "Autres organisations fonctionnant par adhésion volontaire",
    ),
]


def test_csv_codes_lus_en_texte(tmp_path, aides) -> None:
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", aides.EN_TETE_UL, unites(aides))
    qualifier(chemin, None, tmp_path / "s.parquet", afficher_progression=False)
    assert resultat(tmp_path / "s.parquet") == ATTENDU


def test_zip_et_gzip_identiques_au_csv(tmp_path, aides) -> None:
    chemin = aides.ecrire_csv(
        tmp_path / "StockUniteLegale_utf8.csv", aides.EN_TETE_UL, unites(aides)
    )
    archive = tmp_path / "StockUniteLegale_utf8.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(chemin, chemin.name)
    gz = tmp_path / "ul.csv.gz"
    with open(chemin, "rb") as e, gzip.open(gz, "wb") as s:
        shutil.copyfileobj(e, s)
    for source in (archive, gz):
        qualifier(source, None, tmp_path / "s.parquet", afficher_progression=False)
        assert resultat(tmp_path / "s.parquet") == ATTENDU
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".essq")]


def test_zip_tronque(tmp_path, aides) -> None:
    lignes = [aides.ul(f"{i:09d}", "9220") for i in range(3000)]
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", aides.EN_TETE_UL, lignes)
    archive = tmp_path / "ul.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(chemin, chemin.name)
    tronque = tmp_path / "tronque.zip"
    tronque.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(ErreurUtilisateur) as exc:
        qualifier(tronque, None, tmp_path / "s.parquet", afficher_progression=False)
    assert "tronquée" in exc.value.message and exc.value.fichier == str(tronque)
    assert not (tmp_path / "s.parquet").exists()


def test_zip_avec_plusieurs_csv(tmp_path, aides) -> None:
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", aides.EN_TETE_UL, unites(aides))
    archive = tmp_path / "deux.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(chemin, "a.csv")
        z.write(chemin, "b.csv")
    with pytest.raises(ErreurUtilisateur, match="exactement un fichier CSV"):
        qualifier(archive, None, tmp_path / "s.parquet", afficher_progression=False)


def test_colonne_obligatoire_manquante_nommee(tmp_path, aides) -> None:
    en_tete = [c for c in aides.EN_TETE_UL if c != "categorieJuridiqueUniteLegale"]
    lignes = [{k: v for k, v in u.items() if k in en_tete} for u in unites(aides)]
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", en_tete, lignes)
    with pytest.raises(ErreurUtilisateur) as exc:
        qualifier(chemin, None, tmp_path / "s.parquet", afficher_progression=False)
    assert exc.value.champ == "categorieJuridiqueUniteLegale"
    assert "categorieJuridiqueUniteLegale" in exc.value.texte()


def test_colonne_renommee_signalee(tmp_path, aides, fichiers, faux_territoires) -> None:
    ul_csv, et_csv = fichiers(unites(aides), [aides.etab("00032517500011", "93066")])
    texte = et_csv.read_text(encoding="utf-8").replace("codeCommuneEtablissement", "codeCommune", 1)
    et_csv.write_text(texte, encoding="utf-8")
    with pytest.raises(ErreurUtilisateur) as exc:
        qualifier(
            ul_csv,
            et_csv,
            tmp_path / "s.parquet",
            territoires=faux_territoires,
            afficher_progression=False,
        )
    assert exc.value.champ == "codeCommuneEtablissement"
    assert "« codeCommune »" in exc.value.message and "renommée" in exc.value.message


def test_noms_de_colonnes_sans_casse_et_colonnes_en_plus(tmp_path, aides) -> None:
    en_tete = [c.upper() if c == "siren" else c for c in aides.EN_TETE_UL] + ["colonneFuture2027"]
    lignes = [
        {("SIREN" if k == "siren" else k): v for k, v in u.items()} | {"colonneFuture2027": "x"}
        for u in unites(aides)
    ]
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", en_tete, lignes)
    qualifier(chemin, None, tmp_path / "s.parquet", afficher_progression=False)
    assert resultat(tmp_path / "s.parquet") == ATTENDU


def test_latin1_transcode_et_signale(tmp_path, aides) -> None:
    chemin = aides.ecrire_csv(
        tmp_path / "ul.csv", aides.EN_TETE_UL, unites(aides), encodage="latin-1"
    )
    rapport = qualifier(chemin, None, tmp_path / "s.parquet", afficher_progression=False)
    assert resultat(tmp_path / "s.parquet") == ATTENDU
    assert any("Latin-1" in a for a in rapport.avertissements)


def test_latin1_apres_l_echantillon_erreur_claire(tmp_path, aides, monkeypatch) -> None:
    monkeypatch.setattr(lecture, "TAILLE_ECHANTILLON", 64)
    lignes = [aides.ul(f"{i:09d}", "9220") for i in range(50)]
    lignes.append(aides.ul("999999999", "9220", denominationUniteLegale="CAFÉ"))
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", aides.EN_TETE_UL, lignes, encodage="latin-1")
    with pytest.raises(ErreurUtilisateur) as exc:
        qualifier(chemin, None, tmp_path / "s.parquet", afficher_progression=False)
    assert "UTF-8" in exc.value.texte() and "iconv" in (exc.value.correctif or "")


def test_csv_tronque_au_milieu_d_une_ligne(tmp_path, aides) -> None:
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", aides.EN_TETE_UL, unites(aides))
    texte = chemin.read_text(encoding="utf-8")
    chemin.write_text(texte[: len(texte) - 40], encoding="utf-8")
    with pytest.raises(ErreurUtilisateur) as exc:
        qualifier(chemin, None, tmp_path / "s.parquet", afficher_progression=False)
    assert "illisible" in exc.value.message


def test_parquet_types_natifs(tmp_path) -> None:
    table = pa.table(
        {
            "siren": ["000325175", "100000002"],
            "categorieJuridiqueUniteLegale": ["9220", "5458"],
            "activitePrincipaleUniteLegale": ["88.99B", "9499Z"],
            "economieSocialeSolidaireUniteLegale": ["O", None],
            "dateCreationUniteLegale": pa.array([None, None], pa.date32()),
            "anneeEffectifsUniteLegale": pa.array([2022, None], pa.int64()),
            "trancheEffectifsUniteLegale": ["01", "00"],
            "activitePrincipaleNAF25UniteLegale": ["88.99Y", None],
        }
    )
    pq.write_table(table, tmp_path / "ul.parquet")
    qualifier(tmp_path / "ul.parquet", None, tmp_path / "s.parquet", afficher_progression=False)
    lignes = duckdb.sql(
        f"SELECT siren, famille_ess, naf, annee_effectif, effectif_central FROM '{tmp_path / 's.parquet'}' ORDER BY 1"
    ).fetchall()
    assert lignes == [
        ("000325175", "association", "88.99B", 2022, 1.5),
        ("100000002", "cooperative", "94.99Z", None, 0.0),
    ]


def test_parquet_tronque(tmp_path) -> None:
    pq.write_table(
        pa.table({"siren": ["000325175"] * 100, "categorieJuridiqueUniteLegale": ["9220"] * 100}),
        tmp_path / "ul.parquet",
    )
    donnees = (tmp_path / "ul.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(donnees[: len(donnees) // 2])
    with pytest.raises(ErreurUtilisateur, match="Parquet illisible ou tronqué"):
        qualifier(tmp_path / "t.parquet", None, tmp_path / "s.parquet", afficher_progression=False)


def test_siren_en_double_et_invalide(tmp_path, aides) -> None:
    lignes = [*unites(aides), aides.ul("000325175", "9220"), aides.ul("12345", "9220")]
    chemin = aides.ecrire_csv(tmp_path / "ul.csv", aides.EN_TETE_UL, lignes)
    rapport = qualifier(chemin, None, tmp_path / "s.parquet", afficher_progression=False)
    assert rapport.lignes_ecrites == 2
    assert rapport.lignes_rejetees == 2
    assert {r.identifiant for r in rapport.rejets_exemples} == {"000325175", "12345"}


def test_fichier_absent_et_format_de_sortie(tmp_path) -> None:
    with pytest.raises(ErreurUtilisateur, match="introuvable"):
        qualifier(tmp_path / "absent.csv", None, tmp_path / "s.parquet", afficher_progression=False)
    with pytest.raises(ErreurUtilisateur, match="Format de sortie"):
        qualifier(tmp_path / "absent.csv", None, tmp_path / "s.xlsx", afficher_progression=False)
