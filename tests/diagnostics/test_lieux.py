"""Placing a commune or a QPV: INSEE région table, and the imported territories when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from essq.diagnostics import executer
from essq.diagnostics.lieux import region_de_departement, regions, situer


def test_table_des_regions_complete() -> None:
    departements = [d for fiche in regions().values() for d in fiche["departements"]]  # type: ignore[attr-defined]
    assert len(departements) == len(set(departements)) == 101
    assert region_de_departement("2A") == ("94", "Corse")
    assert region_de_departement("974") == ("04", "La Réunion")


def test_situer_sans_territoires_importes(home: Path) -> None:
    lieu = situer(commune="97411")
    assert (lieu.departement, lieu.region) == ("974", "La Réunion")
    lieu = situer(qpv="QN97101M")  # nothing imported: the QPV cannot be placed, no crash
    assert lieu.qpv is True and not lieu.connu
    r = executer("orientation", {"stade": "creation", "qpv": "QN97101M"})
    assert "commune" in {m["champ"] for m in r["manquant"]}


@pytest.mark.shared_data
@pytest.mark.lent
def test_qpv_situe_par_les_territoires_importes(donnees_partagees: Path, tmp_path: Path) -> None:
    from essq.territoires.cog import importer_cog
    from essq.territoires.qpv import importer_qpv

    home = tmp_path / "essq"
    importer_cog(donnees_partagees / "cog", home=home)
    importer_qpv(
        [donnees_partagees / "qpv" / "qpv2024_outremer_wgs84_4dp.geojson"], "2024", home=home
    )
    lieu = situer(qpv="QN97101M", home=home)
    assert (lieu.commune, lieu.departement, lieu.region) == ("97101", "971", "Guadeloupe")
    assert lieu.origine == "territoires importés"
    r = executer("orientation", {"stade": "creation", "qpv": "QN97101M"}, home=home)
    assert "région Guadeloupe" in next(
        x["explication"] for x in r["raisons"] if x["regle"] == "lieu"
    )
