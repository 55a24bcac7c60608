"""Leviers pour ma collectivité and orientation du porteur de projet, on the référentiel."""

from __future__ import annotations

from typing import Any

import pytest

from essq.diagnostics import executer
from essq.erreurs import ErreurUtilisateur
from essq.referentiel import charger


def _entreprises_seed_004() -> list[Any]:
    return [
        e
        for e in charger().collection("initiatives")
        if e.id.startswith("ini-004-") and getattr(e, "modele_socio_economique", None)
    ]


@pytest.mark.parametrize("initiative", [e.id for e in _entreprises_seed_004()])
def test_les_leviers_observes_pour_chaque_entreprise_de_la_graine_004_sont_proposes(
    initiative: str,
) -> None:
    """For the collectivité of an enterprise's territory, the levers it benefited from are
    proposed and the enterprise itself comes as an example from a comparable territory."""
    ref = charger()
    e = ref.get(initiative)
    leviers = set(getattr(e, "leviers", []))
    types = set().union(*(set(getattr(ref.get(lv), "collectivites", [])) for lv in leviers))
    type_collectivite = "commune" if "commune" in types else sorted(types - {"etat"})[0]
    r = executer(
        "leviers-collectivite",
        {
            "type_collectivite": type_collectivite,
            "priorites": list(getattr(e, "besoins", [])),
            "departement": e.lieu.departement,
            "limite": 100,
        },
    )
    proposes = {x["id"] for x in r["resultats"]}
    attendus = {
        lv for lv in leviers if type_collectivite in getattr(ref.get(lv), "collectivites", [])
    }
    assert attendus and attendus <= proposes
    exemples = {ex["id"] for x in r["resultats"] for ex in x["exemples"]}
    assert initiative in exemples


def test_un_departement_ne_se_voit_pas_proposer_les_aides_economiques() -> None:
    r = executer("leviers-collectivite", {"type_collectivite": "departement", "limite": 100})
    proposes = {x["id"] for x in r["resultats"]}
    assert "lev004-1-4" not in proposes  # economic-development policies: not the département's
    assert "lev004-2-2" in proposes
    assert "NOTRe" in next(
        x["explication"] for x in r["raisons"] if x["regle"] == "competences-collectivite"
    )


def test_moyens_limites_privilegient_les_leviers_peu_couteux() -> None:
    base = {"type_collectivite": "commune", "stades": ["developpement"], "limite": 100}
    riche = {
        x["id"]: x["rang"]
        for x in executer("leviers-collectivite", {**base, "moyens": "importants"})["resultats"]
    }
    pauvre = {
        x["id"]: x["rang"]
        for x in executer("leviers-collectivite", {**base, "moyens": "limites"})["resultats"]
    }
    assert pauvre["lev004-3-2"] < riche["lev004-3-2"]  # buying services: existing budgets
    assert pauvre["lev004-1-1"] > riche["lev004-1-1"]  # operating subsidies: new budget


def test_leviers_resultats_complets_et_priorite_inconnue() -> None:
    r = executer(
        "leviers-collectivite",
        {"type_collectivite": "epci", "stades": ["creation"], "competences": ["commande_publique"]},
    )
    premier = r["resultats"][0]
    assert premier["rang"] == 1 and premier["pourquoi"]
    ref = charger()
    assert all(getattr(ref.get(x["id"]), "niveau", "") != "champ" for x in r["resultats"])
    assert {getattr(ref.get(x["id"]), "cadre", "") for x in r["resultats"]} <= {
        "seed003_7_champs",
        "seed004_6_leviers",
    }
    assert any(x["outils_juridiques"] for x in r["resultats"])
    with pytest.raises(ErreurUtilisateur) as exc:
        executer("leviers-collectivite", {"priorites": ["bes-inexistant"]})
    assert exc.value.champ == "priorites.0"
    with pytest.raises(ErreurUtilisateur):
        executer("leviers-collectivite", {"priorites": ["alimentation"]})


# ------------------------------------------------------------ orientation


def test_porteur_en_pre_creation_sans_siret_est_servi() -> None:
    ref = charger()
    r = executer(
        "orientation",
        {
            "stade": "idee",
            "structure_immatriculee": False,
            "besoins": ["accompagnement"],
            "commune": "93066",
            "en_qpv": True,
            "publics": ["habitants_qpv"],
            "limite": 20,
        },
    )
    assert r["resultats"]
    for res in r["resultats"]:
        assert ref.get(res["id"]).eligibilite.pre_creation
    assert "disp-dla" not in {x["id"] for x in r["resultats"]}
    assert "pre-creation" in {x["regle"] for x in r["raisons"]}


def test_structure_employeuse_en_consolidation_orientee_vers_le_dla() -> None:
    r = executer(
        "orientation",
        {
            "stade": "consolidation",
            "structure_immatriculee": True,
            "forme_juridique": "association",
            "besoins": ["accompagnement", "expertise"],
            "departement": "91",
            "limite": 10,
        },
    )
    assert "disp-dla" in {x["id"] for x in r["resultats"]}
    dla = next(x for x in r["resultats"] if x["id"] == "disp-dla")
    assert "Structure déjà créée" in dla["exigences"]


def test_dispositif_territorial_d_une_autre_region_ecarte() -> None:
    base = {
        "stade": "creation",
        "structure_immatriculee": True,
        "besoins": ["financement"],
        "limite": 100,
    }
    nord = {x["id"] for x in executer("orientation", {**base, "departement": "59"})["resultats"]}
    gironde = {x["id"] for x in executer("orientation", {**base, "departement": "33"})["resultats"]}
    assert "disp-001-fidess" in nord and "disp-001-fidess" not in gironde


def test_publics_femmes_et_lieu_inconnu() -> None:
    r = executer(
        "orientation",
        {"stade": "creation", "publics": ["femmes"], "besoins": ["accompagnement"], "limite": 10},
    )
    couveuses = next(x for x in r["resultats"] if x["id"] == "disp-couveuses")
    assert any("femmes" in motif for motif in couveuses["pourquoi"])
    assert "préciser la commune" in couveuses["lieu"]
    assert "commune" in {m["champ"] for m in r["manquant"]}


def test_orientation_codes_geographiques_valides() -> None:
    with pytest.raises(ErreurUtilisateur) as exc:
        executer("orientation", {"commune": "Bobigny"})
    assert exc.value.champ == "commune"
    r = executer("orientation", {"stade": "emergence", "region": "ile-de-france"})
    assert "Île-de-France" in next(x["explication"] for x in r["raisons"] if x["regle"] == "lieu")
