"""The demo territory, built by the real pipeline, shows credible headline figures.

Published references (ESS France / ANCT, "L'ESS dans les quartiers"): the ESS is 17.0 % of all
jobs and 27.0 % of private jobs located in QPV, 10.4 % and 13.9 % in France; associations are
88.6 % of ESS employer establishments in QPV; action sociale is the first ESS sector by jobs.
A demo far from these figures would mislead every user who discovers the tool with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from essq.observatoire import Entrepot

EPCI_DEMO = "epci:200000001"


@pytest.fixture(scope="module")
def indicateurs_demo(home_demo: Path) -> dict[str, Any]:
    return Entrepot.ouvrir(home_demo).indicateurs(EPCI_DEMO)


def test_part_ess_emploi_agglomeration(indicateurs_demo: dict[str, Any]) -> None:
    ensemble = indicateurs_demo["ensemble"]
    assert 0.10 <= ensemble["part_ess_emploi"] <= 0.15
    assert 0.12 <= ensemble["part_ess_emploi_prive"] <= 0.18


def test_part_ess_emploi_en_qpv(indicateurs_demo: dict[str, Any]) -> None:
    en_qpv = indicateurs_demo["en_qpv"]
    assert 0.15 <= en_qpv["part_ess_emploi"] <= 0.25
    assert 0.20 <= en_qpv["part_ess_emploi_prive"] <= 0.30
    # The ESS weighs more in the QPV than in the rest of the agglomération, as published.
    hors = indicateurs_demo["hors_qpv"]
    assert en_qpv["part_ess_emploi"] > hors["part_ess_emploi"]
    assert en_qpv["part_ess_emploi_prive"] > hors["part_ess_emploi_prive"]


def test_secteur_public_present(indicateurs_demo: dict[str, Any]) -> None:
    """Public employers (town halls, schools, hospital) make private jobs a real subset."""
    for perimetre in ("ensemble", "en_qpv"):
        m = indicateurs_demo[perimetre]
        part_public = 1 - m["effectif_prive"] / m["effectif_total"]
        assert 0.15 <= part_public <= 0.45, (perimetre, part_public)


def test_associations_parmi_employeurs_ess_en_qpv(indicateurs_demo: dict[str, Any]) -> None:
    en_qpv = indicateurs_demo["en_qpv"]
    par_famille = en_qpv["par_famille"]
    total = sum(f["etablissements_ess_employeurs"] for f in par_famille.values())
    assert total == en_qpv["etablissements_ess_employeurs"] > 20
    part = par_famille["association"]["etablissements_ess_employeurs"] / total
    assert 0.80 <= part <= 0.92


@pytest.mark.parametrize("perimetre", ["ensemble", "en_qpv"])
def test_action_sociale_premier_secteur_ess(
    indicateurs_demo: dict[str, Any], perimetre: str
) -> None:
    par_secteur = indicateurs_demo[perimetre]["par_secteur"]
    emplois = {s: v["effectif_ess"]["central"] for s, v in par_secteur.items()}
    assert max(emplois, key=lambda s: emplois[s]) == "Action sociale", emplois
