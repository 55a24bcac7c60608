"""The real SIRENE extract (3,375 ESS legal units of the digital sector, INSEE ≈ early 2026)."""

from __future__ import annotations

import csv
from collections import Counter

import duckdb

from essq.sirene import qualifier
from essq.sirene.nomenclatures import table_cj


def test_extrait_reel_familles_par_cj(donnees_partagees, tmp_path) -> None:
    source = donnees_partagees / "sirene" / "unites_legales_ess_numerique_extrait.csv"
    with open(source, encoding="utf-8") as f:
        attendu = {r["siren"]: r for r in csv.DictReader(f)}
    sortie = tmp_path / "ul.parquet"
    rapport = qualifier(source, None, sortie, afficher_progression=False)
    lignes = duckdb.sql(
        f"SELECT siren, categorieJuridiqueUniteLegale, famille_ess, ess, sources_ess FROM '{sortie}'"
    ).fetchall()
    assert len(lignes) == len(attendu) == 3375
    familles = table_cj().famille
    for siren, cj, famille, ess, sources in lignes:
        assert cj == attendu[siren]["categorieJuridiqueUniteLegale"]
        assert famille == familles.get(cj, "societe_commerciale_ess"), (siren, cj)
        assert ess is True, siren
        assert "insee" in sources.split(";")
    compte = Counter(f for _, _, f, _, _ in lignes)
    # Counts reported to the lead engineer (issue 4): 2 365 associations, 210 coopératives,
    # 4 fondations, 796 other forms recognised ESS by INSEE's flag (SAS, SARL, GIP…).
    assert compte == {
        "association": 2365,
        "cooperative": 210,
        "fondation": 4,
        "societe_commerciale_ess": 796,
    }
    assert rapport.par_famille == compte
    assert rapport.ess == 3375 and rapport.lignes_rejetees == 0
    assert rapport.secteur_public == sum(
        1 for r in attendu.values() if r["categorieJuridiqueUniteLegale"].startswith("7")
    )
