"""Independent checks of the warehouse figures against plain Python recomputations."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from essq.observatoire import Entrepot, construire_depuis_qualifie
from essq.observatoire.schema import MESURES

COMMUNE_INFO = {
    "93001": ("200000001", "93", "11"),
    "93002": ("200000001", "93", "11"),
    "93003": ("200000002", "93", "11"),
    "94001": ("200000003", "94", "11"),
    "69001": ("200000004", "69", "84"),
    "69002": ("200000004", "69", "84"),
}
PARENTS = {"93099": "93003", "69381": "69001"}


def _lignes_actives(table: pa.Table) -> list[dict]:
    return [r for r in table.to_pylist() if r["etat"] == "A"]


def _territoires_de(r: dict) -> dict[str, str | None]:
    commune = PARENTS.get(r["code_commune"], r["code_commune"])
    epci, dep, reg = COMMUNE_INFO.get(commune, (None, r["departement"], None))
    return {
        "commune": commune if commune in COMMUNE_INFO else None,
        "epci": epci,
        "departement": dep,
        "region": reg,
        "france": "FR",
    }


def _recalcul(table: pa.Table, millesime: str) -> dict[tuple[str, str, str], dict[str, float]]:
    """Straightforward per-row recomputation of the main measures, in Python."""
    res: dict[tuple[str, str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    q = f"qpv_{millesime}"
    for r in _lignes_actives(table):
        terr = _territoires_de(r)
        cles = []
        for niveau, code in terr.items():
            if code is None:
                continue
            cles.append((niveau, code, "ensemble"))
            cles.append((niveau, code, "en_qpv" if r[q] else "hors_qpv"))
        if r[q]:
            cles.append(("qpv", r[q], "ensemble"))
        eff = r["effectif_central"] or 0.0
        for cle in cles:
            d = res[cle]
            d["etablissements_actifs"] += 1
            d["effectif_total"] += eff
            if r["employeur"]:
                d["etablissements_employeurs"] += 1
            if not r["secteur_public"]:
                d["effectif_prive"] += eff
            if r["ess"]:
                d["etablissements_ess"] += 1
                d["effectif_ess_central"] += eff
                d["effectif_ess_bas"] += r["effectif_bas"] or 0.0
                d["effectif_ess_haut"] += r["effectif_haut"] or 0.0
                if r["employeur"]:
                    d["etablissements_ess_employeurs"] += 1
                if r["naf"][:2] in ("87", "88"):
                    d["effectif_ess_action_sociale"] += eff
                if not r[q] and r[f"distance_qpv_{millesime}_m"] is not None:
                    if cle[0] != "qpv" and r[f"distance_qpv_{millesime}_m"] <= 300:
                        d["etablissements_ess_300m"] += 1
                    if cle[0] != "qpv" and r[f"distance_qpv_{millesime}_m"] <= 1000:
                        d["etablissements_ess_1km"] += 1
            if r["naf"][:2] in ("87", "88"):
                d["effectif_action_sociale"] += eff
    return res


def _indicateurs(
    home: Path, millesime: str, date: str = "2025-01-01"
) -> dict[tuple[str, str, str], dict[str, float]]:
    con = duckdb.connect(str(home / "entrepot" / "essq.duckdb"), read_only=True)
    try:
        cur = con.execute(
            f"SELECT niveau, code, perimetre, {', '.join(MESURES)} FROM indicateurs WHERE millesime = ? AND date_stock = ?",
            [millesime, date],
        )
        return {(r[0], r[1], r[2]): dict(zip(MESURES, r[3:], strict=True)) for r in cur.fetchall()}
    finally:
        con.close()


@pytest.mark.parametrize("millesime", ["2024", "2015"])
def test_chiffres_egaux_a_un_recalcul_independant(
    entrepot_construit, home: Path, millesime: str
) -> None:
    _, table = entrepot_construit
    attendu = _recalcul(table, millesime)
    obtenu = _indicateurs(home, millesime)
    verifiees = 0
    for cle, mesures in attendu.items():
        assert cle in obtenu, cle
        for nom, valeur in mesures.items():
            assert obtenu[cle][nom] == pytest.approx(valeur), (cle, nom)
            verifiees += 1
    assert verifiees > 500
    # every territory absent from the recomputation really has nothing
    for cle, mesures in obtenu.items():
        if cle not in attendu:
            assert mesures["etablissements_actifs"] == 0, cle


def test_totaux_france_egaux_aux_lignes_qualifiantes(entrepot_construit, home: Path) -> None:
    _, table = entrepot_construit
    actives = _lignes_actives(table)
    with Entrepot.ouvrir(home) as e:
        fr = e.indicateurs("france")
    assert fr["ensemble"]["etablissements_actifs"] == len(actives)
    assert fr["ensemble"]["etablissements_ess"] == sum(1 for r in actives if r["ess"])
    assert fr["ensemble"]["etablissements_ess_employeurs"] == sum(
        1 for r in actives if r["ess"] and r["employeur"]
    )
    assert fr["en_qpv"]["etablissements_ess"] == sum(
        1 for r in actives if r["ess"] and r["qpv_2024"]
    )
    ess_central = sum(r["effectif_central"] or 0 for r in actives if r["ess"])
    assert fr["ensemble"]["effectif_ess"]["central"] == pytest.approx(ess_central)


@pytest.mark.parametrize("millesime", ["2024", "2015"])
def test_ensemble_egal_en_qpv_plus_hors_qpv(entrepot_construit, home: Path, millesime: str) -> None:
    obtenu = _indicateurs(home, millesime)
    territoires = {(n, c) for n, c, p in obtenu if n != "qpv"}
    assert len(territoires) >= 6 + 4 + 3 + 2 + 1
    for n, c in territoires:
        for nom in MESURES:
            assert obtenu[(n, c, "ensemble")][nom] == pytest.approx(
                obtenu[(n, c, "en_qpv")][nom] + obtenu[(n, c, "hors_qpv")][nom]
            ), (n, c, nom)
    con = duckdb.connect(str(home / "entrepot" / "essq.duckdb"), read_only=True)
    ecarts = con.execute(
        """SELECT niveau, code, dimension, modalite,
                  sum(etablissements_ess) FILTER (WHERE perimetre = 'ensemble') AS e,
                  sum(etablissements_ess) FILTER (WHERE perimetre <> 'ensemble') AS p,
                  sum(effectif_total) FILTER (WHERE perimetre = 'ensemble') AS te,
                  sum(effectif_total) FILTER (WHERE perimetre <> 'ensemble') AS tp
           FROM repartitions WHERE niveau <> 'qpv' AND millesime = ?
           GROUP BY ALL HAVING coalesce(e, 0) <> coalesce(p, 0) OR abs(coalesce(te, 0) - coalesce(tp, 0)) > 1e-6""",
        [millesime],
    ).fetchall()
    n_rep = con.execute(
        "SELECT count(*) FROM repartitions WHERE millesime = ?", [millesime]
    ).fetchone()
    con.close()
    assert ecarts == []
    assert n_rep is not None and n_rep[0] > 100


@pytest.mark.parametrize("millesime", ["2024", "2015"])
def test_somme_des_qpv_d_un_departement_egale_son_perimetre_en_qpv(
    entrepot_construit, home: Path, millesime: str
) -> None:
    obtenu = _indicateurs(home, millesime)
    with Entrepot.ouvrir(home) as e:
        qpv = e.territoires("qpv", millesime)
    assert qpv
    for dep in ("93", "94", "69"):
        codes = [t["code"] for t in qpv if t["departement"] == dep and t["millesime"] == millesime]
        for nom in MESURES:
            if nom in ("etablissements_ess_300m", "etablissements_ess_1km"):
                continue  # quartier vécu: outside QPV by definition (0 in en_qpv)
            somme = sum(obtenu[("qpv", c, "ensemble")][nom] for c in codes)
            assert somme == pytest.approx(obtenu[("departement", dep, "en_qpv")][nom]), (dep, nom)
        assert obtenu[("departement", dep, "en_qpv")]["etablissements_ess_1km"] == 0


def test_repartitions_egales_au_recalcul(entrepot_construit, home: Path) -> None:
    _, table = entrepot_construit
    actives = [
        r for r in _lignes_actives(table) if r["ess"] and r["departement"] == "93" and r["qpv_2024"]
    ]
    familles: dict[str, int] = defaultdict(int)
    secteurs: dict[str, float] = defaultdict(float)
    for r in actives:
        familles[r["famille_ess"]] += 1
        secteurs[r["secteur_ess"]] += r["effectif_central"] or 0
    with Entrepot.ouvrir(home) as e:
        res = e.indicateurs("departement:93")["en_qpv"]
    assert {k: v["etablissements_ess"] for k, v in res["par_famille"].items()} == dict(familles)
    for s, eff in secteurs.items():
        assert res["par_secteur"][s]["effectif_ess"]["central"] == pytest.approx(eff)
    assert sum(v["etablissements_ess"] for v in res["par_taille"].values()) == len(actives)
    assert sum(v["etablissements_ess"] for v in res["par_creation"].values()) == len(actives)
    assert sum(v["part_etablissements_ess"] for v in res["par_famille"].values()) == pytest.approx(
        1, abs=1e-3
    )


def test_quartier_vecu_d_un_qpv_compte_son_voisinage(entrepot_construit, home: Path) -> None:
    _, table = entrepot_construit
    code = "QN09301A"
    proches = [
        r
        for r in _lignes_actives(table)
        if r["ess"]
        and r["qpv_2024"] is None
        and r["qpv_proche_2024"] == code
        and r["distance_qpv_2024_m"] is not None
    ]
    with Entrepot.ouvrir(home) as e:
        res = e.indicateurs(f"qpv:{code}")["ensemble"]
    assert res["etablissements_ess_300m"] == sum(
        1 for r in proches if r["distance_qpv_2024_m"] <= 300
    )
    assert res["etablissements_ess_1km"] == sum(
        1 for r in proches if r["distance_qpv_2024_m"] <= 1000
    )
    assert res["etablissements_ess_1km"] > res["etablissements_ess_300m"] > 0


def test_communes_deleguees_et_codes_inconnus(
    home: Path, territoires: Path, tmp_path: Path, fabrique
) -> None:
    """A row coded on a commune déléguée counts in its current commune; an unknown commune code
    still counts in France and its département."""

    def modifier(cols: dict) -> None:
        for i in range(10):
            cols["code_commune"][i] = "93099"
            cols["departement"][i] = "93"
            cols["etat"][i] = "A"
            cols["ess"][i] = True
            cols["famille_ess"][i] = "association"
        cols["code_commune"][10] = "93999"
        cols["departement"][10] = "93"
        cols["etat"][10] = "A"

    chemin = tmp_path / "q.parquet"
    table = fabrique["qualifie"](chemin, 400, graine=5, modifier=modifier)
    construire_depuis_qualifie(chemin, date_stock="2025-01-01", home=home, afficher=False)
    rows = table.to_pylist()
    attendu_93003 = sum(
        1 for r in rows if r["etat"] == "A" and r["ess"] and r["code_commune"] in ("93003", "93099")
    )
    with Entrepot.ouvrir(home) as e:
        assert e.indicateurs("commune:93003")["ensemble"]["etablissements_ess"] == attendu_93003
        assert e.indicateurs("france")["ensemble"]["etablissements_actifs"] == sum(
            1 for r in rows if r["etat"] == "A"
        )
        dep = sum(1 for r in rows if r["etat"] == "A" and r["departement"] == "93")
        assert e.indicateurs("departement:93")["ensemble"]["etablissements_actifs"] == dep


def test_provenance_enregistree(entrepot_construit, home: Path) -> None:
    chemin, _ = entrepot_construit
    with Entrepot.ouvrir(home) as e:
        prov = e.provenance()
    assert prov["date_stock"] == "2025-01-01"
    assert prov["millesimes_qpv"] == ["2015", "2024"]
    assert prov["version_code"]
    assert prov["lignes_qualifiees"] == 3000
    assert prov["territoires"]["date"] == "2026-01-01"
    assert prov["duree_secondes"] > 0


def test_fichiers_source_et_sommes_de_controle(
    home: Path, territoires: Path, tmp_path: Path, fabrique
) -> None:
    chemin = tmp_path / "q.parquet"
    fabrique["qualifie"](chemin, 200, graine=2)
    construire_depuis_qualifie(
        chemin,
        date_stock="2024-06-30",
        home=home,
        fichiers_source=[chemin],
        commande="essq construire test",
        afficher=False,
    )
    import hashlib

    with Entrepot.ouvrir(home) as e:
        prov = e.provenance("2024-06-30")
    assert prov["commande"] == "essq construire test"
    assert prov["fichiers"][0]["sha256"] == hashlib.sha256(chemin.read_bytes()).hexdigest()


def test_un_seul_millesime_importe(home: Path, tmp_path: Path, fabrique) -> None:
    fabrique["territoires"](home, millesimes=("2024",))
    chemin = tmp_path / "q.parquet"
    fabrique["qualifie"](chemin, 300, graine=3, millesimes=("2024",))
    rapport = construire_depuis_qualifie(chemin, date_stock="2025-01-01", home=home, afficher=False)
    assert rapport.millesimes_qpv == ["2024"]
    with Entrepot.ouvrir(home) as e:
        assert e.millesimes() == ["2024"]
        assert e.indicateurs("qpv:QN09302A")["millesime_qpv"] == "2024"
