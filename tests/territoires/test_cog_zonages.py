"""COG and zoning imports: formats, validation (demo codes accepted, malformed refused)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from essq.erreurs import ErreurUtilisateur
from essq.territoires import Territoires
from essq.territoires.cog import importer_cog, lire_cog
from essq.territoires.zonages import importer_zonage, lire_zonage


def test_cog_etalab_json_territoire_de_demo(home: Path, cog_synthetique: Path) -> None:
    rapport = importer_cog(cog_synthetique, home=home)
    assert rapport.format == "etalab-json" and rapport.communes == 4 and rapport.epci == 1
    communes = pq.read_table(home / "territoires" / "communes.parquet").to_pylist()
    par_code = {c["code"]: c for c in communes}
    assert par_code["00101"]["commune_parente"] == "00001"
    assert (
        par_code["00003"]["type"] == "commune-deleguee"
        and par_code["00003"]["commune_parente"] == "00002"
    )
    assert par_code["00001"]["epci"] == "200000001"  # from the EPCI members
    assert pq.read_table(home / "territoires" / "epci.parquet").to_pylist()[0]["membres"] == [
        "00001",
        "00002",
    ]


def test_cog_insee_csv(tmp_path: Path) -> None:
    d = tmp_path / "insee"
    d.mkdir()
    (d / "v_commune_2024.csv").write_text(
        "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
        "COM,75056,11,75,75C,751,0,PARIS,Paris,Paris,7599,\n"
        "ARM,75112,,,,751,0,PARIS 12,Paris 12e,Paris 12e Arrondissement,,75056\n"
        "COM,2A004,94,2A,20D,2A1,0,AJACCIO,Ajaccio,Ajaccio,2A98,\n"
        "COMD,01015,84,01,01D,011,0,ARBIGNIEU,Arbignieu,Arbignieu,,01015\n",
        encoding="utf-8",
    )
    (d / "v_departement_2024.csv").write_text(
        "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n75,11,75056,0,PARIS,Paris,Paris\n",
        encoding="utf-8",
    )
    (d / "v_region_2024.csv").write_text(
        "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n11,75056,1,ILE DE FRANCE,Île-de-France,Île-de-France\n",
        encoding="utf-8",
    )
    tables, rapport = lire_cog(d)
    assert rapport.format == "insee-csv"
    assert rapport.par_type == {
        "commune-actuelle": 2,
        "arrondissement-municipal": 1,
        "commune-deleguee": 1,
    }
    arm = [c for c in tables["communes"].to_pylist() if c["code"] == "75112"][0]
    assert (
        arm["commune_parente"] == "75056" and arm["departement"] == "75" and arm["region"] == "11"
    )
    assert tables["regions"].to_pylist() == [{"code": "11", "nom": "Île-de-France"}]


@pytest.mark.shared_data
def test_cog_csv_partage_et_arrondissements(home: Path, donnees_partagees: Path) -> None:
    rapport = importer_cog(donnees_partagees / "cog", home=home)
    assert rapport.format == "etalab-csv"
    assert rapport.par_type == {
        "commune-actuelle": 34969,
        "commune-deleguee": 2105,
        "commune-associee": 471,
        "arrondissement-municipal": 45,
    }
    assert (rapport.epci, rapport.departements, rapport.regions) == (1255, 109, 26)


@pytest.mark.parametrize(
    "modification,champ",
    [
        ({"code": "7505"}, "code"),
        ({"code": "ABCDE"}, "code"),
        ({"type": "commune-fusionnee"}, "type"),
        ({"departement": "1"}, "departement"),
    ],
)
def test_cog_codes_mal_formes_refuses(
    tmp_path: Path, cog_synthetique: Path, modification: dict, champ: str
) -> None:
    communes = json.loads((cog_synthetique / "communes.json").read_text())
    communes[1].update(modification)
    (cog_synthetique / "communes.json").write_text(json.dumps(communes))
    with pytest.raises(ErreurUtilisateur) as exc:
        lire_cog(cog_synthetique)
    assert (
        exc.value.champ == champ
        and exc.value.ligne == 2
        and "communes.json" in (exc.value.fichier or "")
    )


def test_cog_deleguee_sans_rattachement_refusee(cog_synthetique: Path) -> None:
    communes = json.loads((cog_synthetique / "communes.json").read_text())
    del communes[3]["chefLieu"]
    (cog_synthetique / "communes.json").write_text(json.dumps(communes))
    with pytest.raises(ErreurUtilisateur, match="rattachement"):
        lire_cog(cog_synthetique)


def test_cog_dossier_sans_communes(tmp_path: Path) -> None:
    with pytest.raises(ErreurUtilisateur, match="Aucun fichier de communes"):
        lire_cog(tmp_path)


def test_territoire_demo_commune_et_normalisation(home_synthetique: Path) -> None:
    t = Territoires.charger(home_synthetique)
    assert t.normaliser_communes(["00101", "00003", "00009", "00001", "12345"]).tolist() == [
        "00001",
        "00002",
        "00001",
        "00001",
        "12345",
    ]
    assert t.normaliser_communes_arrow(
        pa.array(["00101", "00003", None, " 00009", "12345"])
    ).to_pylist() == ["00001", "00002", None, "00001", "12345"]
    c = t.commune("00101")
    assert (
        c["code"] == "00001"
        and c["nom_epci"] == "CA de Démo"
        and c["nom_region"] == "Région de démonstration"
    )
    assert t.communes_avec_qpv("2024") == {"00001", "00002"}
    assert t.chercher("franc moisin")[0]["code"] == "QN00003N"
    assert t.chercher("villeneuve sur demo")[0]["code"] == "00001"


def test_zonages_programmes_csv(home: Path, tmp_path: Path, cog_synthetique: Path) -> None:
    importer_cog(cog_synthetique, home=home)
    acv = tmp_path / "acv.csv"
    acv.write_text(
        "insee_com,lib_com,id_acv,lib_acv,date_signature\n00001,Villeneuve,ACV001,Villeneuve,25-01-2024\n",
        encoding="utf-8",
    )
    pvd = tmp_path / "pvd.csv"
    pvd.write_text(
        "insee_com,lib_com,id_pvd,date_signature\n00002,Saint-Exemple,pvd-00-01-1,2021-03-02\n00009,Ancien,pvd-00-02-1,15/04/2022\n",
        encoding="utf-8",
    )
    ort = tmp_path / "ort.csv"
    ort.write_text(
        'Commune,Code commune,Signée ?,"Si signée, date de signature"\n00 - Villeneuve,00001,Signée,2019-10-07\n00 - Saint-Exemple,00002,Terminée,\n',
        encoding="utf-8",
    )
    assert importer_zonage(acv, home=home).par_zonage == {"acv": 1}
    r = importer_zonage(pvd, zonage="pvd", home=home)
    assert r.codes_normalises == 1  # 00009 is an old code of 00001
    r = importer_zonage(ort, home=home)
    assert r.par_zonage == {"ort": 1} and r.non_classees == 1
    t = Territoires.charger(home)
    zonages = {z["zonage"]: z for z in t.commune("00001")["zonages"]}
    assert zonages["acv"]["date"] == "2024-01-25" and zonages["pvd"]["date"] == "2022-04-15"
    assert zonages["ort"]["valeur"] == "signee"
    # re-importing ACV replaces only the ACV rows
    acv.write_text(
        "insee_com,lib_com,id_acv,lib_acv,date_signature\n00002,Saint-Exemple,ACV002,X,01-01-2025\n",
        encoding="utf-8",
    )
    importer_zonage(acv, home=home)
    t = Territoires.charger(home)
    assert {z["zonage"] for z in t.commune("00001")["zonages"]} == {"pvd", "ort"}


def test_zrr_preambule_et_frr(tmp_path: Path) -> None:
    frr = tmp_path / "frr.csv"
    frr.write_text(
        '"Champ : France"\n"Source : ANCT"\n\n"Code Insee","Libellé","Classement FRR"\n'
        '"CODGEO","LIBGEO","FRR_SIMP"\n"01001","A","C - Classée en FRR"\n"01002","B","NC - Commune non classée"\n\n',
        encoding="utf-8",
    )
    lignes, r = lire_zonage(frr)
    assert [(l_["commune"], l_["zonage"], l_["valeur"]) for l_ in lignes] == [("01001", "frr", "C")]
    assert r.non_classees == 1
    with pytest.raises(ErreurUtilisateur, match="--type frr"):
        lire_zonage(frr, "zrr")


@pytest.mark.shared_data
def test_zrr_reelle(donnees_partagees: Path) -> None:
    lignes, r = lire_zonage(donnees_partagees / "zonages" / "zrr_communes_cog2021_anct.csv")
    valeurs = [l_["valeur"] for l_ in lignes]
    assert (valeurs.count("C"), valeurs.count("P"), r.non_classees) == (17694, 36, 17235)


@pytest.mark.parametrize(
    "contenu,attendu",
    [
        ("a,b\n1,2\n", "non reconnu"),
        ("insee_com,lib_com,id_acv,date_signature\n930,X,ACV1,2020-01-01\n", "mal formé"),
        ("insee_com,lib_com,id_acv,date_signature\n93066,X,ACV1,le 3 mai\n", "Date illisible"),
        ('{"meta": {}}', "communes"),
    ],
)
def test_zonages_invalides(tmp_path: Path, contenu: str, attendu: str) -> None:
    f = tmp_path / "z.csv"
    f.write_text(contenu, encoding="utf-8")
    with pytest.raises(ErreurUtilisateur, match=attendu):
        lire_zonage(f)


def test_zrr_classeur_xlsx_et_xls_refuse(tmp_path: Path) -> None:
    import openpyxl

    classeur = openpyxl.Workbook()
    feuille = classeur.active
    for ligne in (
        ["Champ : France"],
        ["Source : ANCT"],
        [],
        ["Code Insee", "Libellé", "Classement en ZRR"],
        ["CODGEO", "LIBGEO", "ZRR_SIMP", "ZONAGE_ZRR"],
        ["01060", "Brénod", "C - Classée en ZRR", "M"],
        ["01001", "A", "NC - Commune non classée", "NC"],
    ):
        feuille.append(ligne)
    classeur.save(tmp_path / "zrr.xlsx")
    lignes, _ = lire_zonage(tmp_path / "zrr.xlsx")
    assert [(l_["commune"], l_["valeur"]) for l_ in lignes] == [("01060", "C")]
    (tmp_path / "zrr.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ErreurUtilisateur, match="xls"):
        lire_zonage(tmp_path / "zrr.xls")
