"""End to end on the fictional demo territory (docs/donnees-demo.md): every file it ships
imports, and the SIRENE establishments are placed exactly as the generator's ground truth."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from essq.territoires import Territoires
from essq.territoires.cog import importer_cog
from essq.territoires.contours import importer_contours
from essq.territoires.qpv import importer_qpv
from essq.territoires.zonages import importer_zonage


def _nombre(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return float("nan")


@pytest.mark.lent
def test_territoire_de_demonstration_de_bout_en_bout(tmp_path: Path) -> None:
    generateur = pytest.importorskip("essq.generateur")
    m = generateur.generer_demo(tmp_path / "demo", graine=2026)
    home = tmp_path / "home"
    importer_cog(m.cog, home=home)
    importer_qpv([m.qpv_2024], "2024", home=home)
    importer_qpv([m.qpv_2015], "2015", home=home)
    for f in sorted((tmp_path / "demo" / "zonages").glob("*.csv")):
        importer_zonage(f, home=home)
    importer_contours([m.cog / "communes_contours_wgs84.geojson"], home=home)
    t = Territoires.charger(home)
    assert t.millesimes_qpv == ("2015", "2024")

    date = "2026-10-31"
    with open(
        tmp_path / "demo" / "sirene" / date / "StockEtablissement_utf8.csv", encoding="utf-8"
    ) as f:
        lignes = list(csv.DictReader(f))
    with open(tmp_path / "demo" / "verite" / f"placement_{date}.csv", encoding="utf-8") as f:
        verite = {v["siret"]: v for v in csv.DictReader(f)}
    x = np.array([_nombre(r["coordonneeLambertAbscisseEtablissement"]) for r in lignes])
    y = np.array([_nombre(r["coordonneeLambertOrdonneeEtablissement"]) for r in lignes])
    communes = t.normaliser_communes(
        np.array([r["codeCommuneEtablissement"] or None for r in lignes], dtype=object)
    )
    lot = t.localiser_lot(x, y, codes_commune=communes).to_pylist()
    compares = 0
    for r, res in zip(lignes, lot, strict=True):
        v = verite[r["siret"]]
        if v["distance_qpv_2024_m"] == "":
            continue
        compares += 1
        assert res["statut_coordonnees"] == "ok"
        assert (res["qpv_2024"] or "", res["qpv_2015"] or "") == (v["qpv_2024"], v["qpv_2015"]), r[
            "siret"
        ]
        assert res["distance_qpv_2024_m"] == pytest.approx(float(v["distance_qpv_2024_m"]), abs=0.5)
        assert res["distance_qpv_2015_m"] == pytest.approx(float(v["distance_qpv_2015_m"]), abs=0.5)
    assert compares > 1000
    # the point's commune comes from the demo's commune contours
    premier = next(r for r, res in zip(lignes, lot, strict=True) if res["qpv_2024"])
    res = t.localiser(
        *[v for v in (lot[lignes.index(premier)]["lon"], lot[lignes.index(premier)]["lat"])]
    )
    assert res["methode_commune"] == "contours des communes importés"
    assert res["commune"]["code"] == t.normaliser_communes([premier["codeCommuneEtablissement"]])[0]
