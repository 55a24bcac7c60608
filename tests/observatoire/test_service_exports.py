"""What users read: `essq indicateurs` JSON/CSV/XLSX, evolutions, establishments, exports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from essq.cli import app
from essq.observatoire import Entrepot, construire_depuis_qualifie

runner = CliRunner()
CHAMPS = {
    "etablissements_ess",
    "etablissements_ess_employeurs",
    "effectif_ess",
    "etablissements_employeurs",
    "effectif_total",
    "effectif_prive",
    "part_ess_emploi",
    "part_ess_emploi_prive",
    "part_ess_emploi_action_sociale",
    "par_famille",
    "par_secteur",
    "par_taille",
    "par_creation",
    "etablissements_ess_300m",
    "etablissements_ess_1km",
}


def test_json_d_un_qpv_avec_comparaisons(entrepot_construit, home: Path) -> None:
    res = json.loads(
        runner.invoke(app, ["indicateurs", "qpv:QN09301A", "--home", str(home)]).stdout
    )
    assert res["territoire"] == {
        "type": "qpv",
        "code": "QN09301A",
        "libelle": "Quartier Nord",
        "epci": "200000001",
        "departement": "93",
        "region": "11",
    }
    assert res["millesime_qpv"] == "2024" and res["date_stock"] == "2025-01-01"
    assert res["perimetres"] == ["ensemble"]
    assert set(res["ensemble"]) >= CHAMPS
    assert {s["producteur"] for s in res["sources"]} == {"INSEE", "ANCT"}
    assert any("2025-01-01" in s["attribution"] for s in res["sources"])
    assert any("millésime 2024" in s["attribution"] for s in res["sources"])
    comp = res["comparaisons"]
    assert set(comp) == {"epci", "region", "france"}
    assert comp["epci"]["territoire"]["code"] == "200000001"
    assert comp["region"]["territoire"]["libelle"] == "Île-de-France"
    for c in comp.values():
        assert {"ensemble", "en_qpv", "hors_qpv"} <= set(c)
        assert c["ensemble"]["etablissements_ess"] >= res["ensemble"]["etablissements_ess"]
    e = res["ensemble"]
    assert e["part_ess_emploi"] == pytest.approx(
        e["effectif_ess"]["central"] / e["effectif_total"], abs=1e-4
    )
    assert e["effectif_ess"]["bas"] <= e["effectif_ess"]["central"] <= e["effectif_ess"]["haut"]


def test_qpv_2015_par_son_code(entrepot_construit, home: Path) -> None:
    with Entrepot.ouvrir(home) as e:
        res = e.indicateurs("qpv:QP093001")
    assert res["millesime_qpv"] == "2015"
    assert res["territoire"]["libelle"] == "Quartier Nord (2015)"
    with Entrepot.ouvrir(home) as e:
        dep15 = e.indicateurs("departement:93", millesime="2015")
        dep24 = e.indicateurs("departement:93")
    vecu = (
        "etablissements_ess_300m",
        "etablissements_ess_1km",
    )  # distances depend on the geography
    assert {k: v for k, v in dep15["ensemble"].items() if k not in vecu} == {
        k: v for k, v in dep24["ensemble"].items() if k not in vecu
    }  # same establishments…
    assert dep15["en_qpv"] != dep24["en_qpv"]  # …split by another geography


def test_csv_et_xlsx_des_indicateurs(entrepot_construit, home: Path, tmp_path: Path) -> None:
    r = runner.invoke(app, ["indicateurs", "commune:93001", "--format", "csv", "--home", str(home)])
    assert r.exit_code == 0, r.output
    lignes = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {ligne["perimetre"] for ligne in lignes} == {"ensemble", "en_qpv", "hors_qpv"}
    ess = [
        ligne
        for ligne in lignes
        if ligne["indicateur"] == "etablissements_ess" and ligne["perimetre"] == "en_qpv"
    ]
    with Entrepot.ouvrir(home) as e:
        attendu = e.indicateurs("commune:93001")["en_qpv"]["etablissements_ess"]
    assert float(ess[0]["valeur"]) == attendu
    assert "Licence Ouverte" in lignes[0]["attribution"] and "SIRENE" in lignes[0]["attribution"]
    sortie = tmp_path / "i.xlsx"
    r = runner.invoke(
        app,
        [
            "indicateurs",
            "qpv:QN09301A",
            "--format",
            "xlsx",
            "--sortie",
            str(sortie),
            "--home",
            str(home),
        ],
    )
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(sortie, read_only=True)
    assert {"colonnes", "sources"} <= set(wb.sheetnames)
    sources = [c for row in wb["sources"].iter_rows(values_only=True) for c in row if c]
    assert any("ANCT" in str(c) for c in sources) and any(
        "Licence Ouverte" in str(c) for c in sources
    )


@pytest.mark.parametrize("format", ["csv", "parquet", "xlsx", "geojson"])
def test_exports_par_niveau_avec_attribution(
    entrepot_construit, home: Path, tmp_path: Path, format: str
) -> None:
    sortie = tmp_path / f"qpv.{format}"
    r = runner.invoke(
        app,
        [
            "exporter",
            "--niveau",
            "qpv",
            "--format",
            format,
            "--sortie",
            str(sortie),
            "--home",
            str(home),
        ],
    )
    assert r.exit_code == 0, r.output
    with Entrepot.ouvrir(home) as e:
        attendu = {
            q["code"]: e.indicateurs(f"qpv:{q['code']}")["ensemble"]
            for q in e.territoires("qpv", "2024")
        }
    assert len(attendu) == 5
    if format == "csv":
        lignes = list(csv.DictReader(sortie.open(encoding="utf-8")))
        assert {ligne["code"]: int(ligne["etablissements_ess"]) for ligne in lignes} == {
            c: v["etablissements_ess"] for c, v in attendu.items()
        }
        assert all(
            "INSEE" in ligne["attribution"] and "ANCT" in ligne["attribution"] for ligne in lignes
        )
    elif format == "parquet":
        t = pq.read_table(sortie)
        assert dict(
            zip(t["code"].to_pylist(), t["etablissements_ess"].to_pylist(), strict=True)
        ) == {c: v["etablissements_ess"] for c, v in attendu.items()}
        meta = t.schema.metadata
        assert b"Licence Ouverte" in meta[b"attribution"]
        assert "etablissements_ess" in json.loads(meta[b"colonnes"])
    elif format == "xlsx":
        wb = openpyxl.load_workbook(sortie, read_only=True)
        assert wb.sheetnames == ["indicateurs_qpv", "colonnes", "sources"]
        entete = next(wb["indicateurs_qpv"].iter_rows(values_only=True))
        decrites = [r[0] for r in wb["colonnes"].iter_rows(min_row=2, values_only=True)]
        assert list(entete) == decrites
        descriptions = [r[1] for r in wb["colonnes"].iter_rows(min_row=2, values_only=True)]
        assert all(d and d != n for n, d in zip(decrites, descriptions, strict=True))
    else:
        doc = json.loads(sortie.read_text(encoding="utf-8"))
        assert "Licence Ouverte" in doc["attribution"]
        assert len(doc["features"]) == 5
        f = next(x for x in doc["features"] if x["id"] == "QN09301A")
        assert f["geometry"]["type"] == "Polygon"
        assert f["properties"]["etablissements_ess"] == attendu["QN09301A"]["etablissements_ess"]


def test_export_commune_contient_les_trois_perimetres(
    entrepot_construit, home: Path, tmp_path: Path
) -> None:
    sortie = tmp_path / "c.parquet"
    runner.invoke(
        app,
        [
            "exporter",
            "--niveau",
            "commune",
            "--format",
            "parquet",
            "--sortie",
            str(sortie),
            "--home",
            str(home),
        ],
    )
    t = pq.read_table(sortie).to_pylist()
    assert len(t) == 6 * 3
    par = {(r["code"], r["perimetre"]): r for r in t}
    for code in ("93001", "69002"):
        for col in (
            "etablissements_ess",
            "effectif_total",
            "famille_association_etablissements_ess",
        ):
            assert par[(code, "ensemble")][col] == pytest.approx(
                par[(code, "en_qpv")][col] + par[(code, "hors_qpv")][col]
            )
    assert par[("69002", "en_qpv")]["etablissements_actifs"] == 0  # commune without QPV


def test_geojson_refuse_hors_qpv(entrepot_construit, home: Path, tmp_path: Path) -> None:
    from essq.erreurs import ErreurUtilisateur
    from essq.observatoire.exports import exporter

    with Entrepot.ouvrir(home) as e, pytest.raises(ErreurUtilisateur):
        exporter(e, "commune", "geojson", tmp_path / "x.geojson")
    assert not (tmp_path / "x.geojson").exists()


def test_evolution_entre_deux_stocks(
    home: Path, territoires: Path, tmp_path: Path, fabrique
) -> None:
    """Second stock: 5 ESS establishments closed, 4 created, 3 moved into a QPV."""
    chemin1 = tmp_path / "s1.parquet"
    t1 = fabrique["qualifie"](chemin1, 600, graine=4)
    lignes = t1.to_pylist()
    actifs_ess = [
        i
        for i, r in enumerate(lignes)
        if r["etat"] == "A" and r["ess"] and r["departement"] == "93"
    ]
    hors = [i for i in actifs_ess if r_hors(lignes[i])]
    fermes = [i for i in actifs_ess if i not in hors][:5]
    deplaces = hors[:3]
    import datetime as dt

    def modifier(cols: dict) -> None:
        for i in fermes:
            cols["etat"][i] = "F"
        for i in deplaces:
            cols["qpv_2024"][i] = "QN09301A"
            cols["distance_qpv_2024_m"][i] = 0.0
            cols["code_commune"][i] = "93001"
            cols["departement"][i] = "93"
        for k in range(4):  # new establishments, created after the first stock
            j = len(cols["siret"]) - 1 - k
            cols["etat"][j] = "A"
            cols["ess"][j] = True
            cols["famille_ess"][j] = "association"
            cols["code_commune"][j] = "93002"
            cols["departement"][j] = "93"
            cols["date_creation"][j] = dt.date(2025, 3, 1)

    chemin2 = tmp_path / "s2.parquet"
    base_sirets = t1["siret"].to_pylist()
    nouveaux = [f"99999999{k:06d}" for k in range(4)]
    fabrique["qualifie"](
        chemin2,
        604,
        graine=4,
        sirets=base_sirets + nouveaux,
        modifier=lambda c: _etendre(c, t1, modifier),
    )
    construire_depuis_qualifie(chemin1, date_stock="2025-01-01", home=home, afficher=False)
    construire_depuis_qualifie(chemin2, date_stock="2025-06-01", home=home, afficher=False)
    r = runner.invoke(app, ["evolution", "departement:93", "--home", str(home)])
    assert r.exit_code == 0, r.output
    evo = json.loads(r.stdout)
    m = evo["mouvements_etablissements_ess"]
    assert (evo["date_debut"], evo["date_fin"]) == ("2025-01-01", "2025-06-01")
    assert m["fermes"] == 5
    assert m["crees"] == 4
    assert m["entres_qpv"] == 3
    assert m["sortis_qpv"] == 0
    ens = evo["perimetres"]["ensemble"]["etablissements_ess"]
    assert ens["variation"] == ens["fin"] - ens["debut"] == 4 - 5
    with Entrepot.ouvrir(home) as e:
        q = e.evolution("qpv:QN09301A", "2025-01-01", "2025-06-01")
    assert q["mouvements_etablissements_ess"]["entres_qpv"] == 3


def r_hors(r: dict) -> bool:
    return r["qpv_2024"] is None


def _etendre(cols: dict, t1, modifier) -> None:
    """Make the second stock the first one (same rows) plus 4 new rows, then apply changes."""
    n1 = t1.num_rows
    premier = t1.to_pydict()
    for nom, valeurs in cols.items():
        if nom in premier:
            valeurs[:n1] = premier[nom]
    modifier(cols)


def test_etablissements_sans_champs_masques(entrepot_construit, home: Path) -> None:
    _, table = entrepot_construit
    diffusion = {r["siret"]: r["statut_diffusion"] for r in table.to_pylist()}
    with Entrepot.ouvrir(home) as e:
        liste = e.etablissements("departement:93", limite=None)
    assert liste and all(x["etat"] == "A" for x in liste)
    masques = [x for x in liste if diffusion[x["siret"]] == "P"]
    assert masques, "the fixture has non-diffusible establishments"
    for x in masques:
        assert (
            x["denomination"] is None
            and x["enseigne"] is None
            and x["lon"] is None
            and x["lat"] is None
        )
    assert any(x["denomination"] for x in liste if diffusion[x["siret"]] == "O")
    with Entrepot.ouvrir(home) as e:
        en_qpv = e.etablissements("qpv:QN09301A", limite=None)
        assert len(en_qpv) == e.indicateurs("qpv:QN09301A")["ensemble"]["etablissements_ess"]


def test_millesime_absent_refuse_partout(home: Path, tmp_path: Path, fabrique) -> None:
    from essq.erreurs import ErreurUtilisateur

    fabrique["territoires"](home, millesimes=("2024",))
    chemin = tmp_path / "q.parquet"
    fabrique["qualifie"](chemin, 200, graine=3, millesimes=("2024",))
    construire_depuis_qualifie(chemin, date_stock="2025-01-01", home=home, afficher=False)
    construire_depuis_qualifie(chemin, date_stock="2025-02-01", home=home, afficher=False)
    with Entrepot.ouvrir(home) as e:
        for appel in (
            lambda: e.indicateurs("commune:93001", millesime="2015"),
            lambda: e.etablissements("commune:93001", millesime="2015"),
            lambda: e.evolution("commune:93001", millesime="2015"),
        ):
            with pytest.raises(ErreurUtilisateur) as exc:
                appel()
            assert exc.value.champ == "--millesime"
