"""Thresholds are dated legal data; every référentiel id the engines name exists."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from essq.diagnostics import choix_statut, esus, leviers, modele_economique, vocabulaire
from essq.diagnostics.seuils import DOSSIER, baremes_smic, seuil, seuils, smic_a
from essq.referentiel import charger


def test_chaque_seuil_a_sa_reference_et_ses_dates() -> None:
    tous = seuils()
    assert len(tous) >= 20
    for s in tous.values():
        assert s.reference_legale and s.en_vigueur_depuis <= s.verifie_le
        if s.origine == "loi":
            assert any(m in s.reference_legale for m in ("Loi", "Code", "loi", "code")), s.code


def test_seuils_legaux_de_l_issue() -> None:
    attendus = {
        "esus-charges-utilite-sociale": (">=", 66),
        "esus-remuneration-moyenne-5": ("<=", 7),
        "esus-remuneration-plus-haute": ("<=", 10),
        "scop-capital-salaries": (">=", 51),
        "scop-droits-vote-salaries": (">=", 65),
        "scic-reserves-impartageables": (">=", 57.5),
        "scic-capital-public": ("<=", 50),
        "scic-categories-associes": (">=", 3),
    }
    for code, (op, valeur) in attendus.items():
        assert (seuil(code).operateur, seuil(code).valeur) == (op, valeur), code


def test_les_seuils_concordent_avec_les_regles_des_statuts_du_referentiel() -> None:
    """Two sources, one truth: a divergence between référentiel and diagnostics fails here."""
    ref = charger()
    paires = {
        ("statut-scop", "part-capital-salaries"): "scop-capital-salaries",
        ("statut-scop", "part-droits-vote-salaries"): "scop-droits-vote-salaries",
        ("statut-scic", "categories-associes-minimum"): "scic-categories-associes",
        ("statut-scic", "part-capital-collectivites"): "scic-capital-public",
        ("statut-scic", "reserves-impartageables"): "scic-reserves-impartageables",
        ("statut-societe-commerciale-ess", "fonds-de-developpement"): "ess-fonds-developpement",
        ("statut-societe-commerciale-ess", "report-et-reserves"): "ess-report-et-reserves",
        ("statut-societe-commerciale-ess", "benefices-reinvestis"): "ess-benefices-reinvestis",
    }
    for (statut, code_regle), code_seuil in paires.items():
        regles = {r.code: r for r in getattr(ref.get(statut), "regles", [])}
        assert code_regle in regles, (statut, code_regle)
        regle = regles[code_regle]
        assert float(regle.valeur) == seuil(code_seuil).valeur, code_seuil
        assert regle.operateur == seuil(code_seuil).operateur, code_seuil


def test_smic_selon_la_date() -> None:
    assert smic_a(dt.date(2026, 1, 1)).horaire_brut == 12.02
    assert smic_a(dt.date(2025, 12, 31)).horaire_brut == 11.88
    assert smic_a(dt.date(2026, 1, 1)).annuel_brut == pytest.approx(21876.36)
    assert smic_a(dt.date(2000, 1, 1)) == baremes_smic()[0]
    dates = [s.date_effet for s in baremes_smic()]
    assert dates == sorted(dates)


def test_ids_partages_cites_par_les_moteurs_existent() -> None:
    ref = charger()
    cites = {
        "disp-cress",
        "disp-agrement-esus",
        "disp-france-active",
        "disp-dla",
        "disp-cae",
        "statut-cae",
        "statut-societe-commerciale-ess",
        "coop-scic",
        "lev004-1-1",
        "lev004-3",
        "crit-11-mobilisation-parties-prenantes",
    }
    cites |= set(vocabulaire.FAMILLE_DE_FORME.values())
    cites |= set(esus.SI_DE_DROIT.values())
    cites |= set(modele_economique.CHAMPS_RESSOURCES.values())
    donnees = yaml.safe_load((DOSSIER / "choix_statut.yaml").read_text(encoding="utf-8"))
    cites |= set(donnees["candidats"])
    for regle in donnees["regles"]:
        cites |= set(regle["effets"])
        assert set(regle["si"]) <= set(choix_statut.EntreeChoixStatut.model_fields), regle["code"]
    cites |= set(leviers.donnees()["cout"])
    absents = sorted(i for i in cites if ref.get(i) is None)
    assert not absents, absents


def test_les_explications_de_choix_statut_citent_des_seuils_existants() -> None:
    for regle in choix_statut.regles()["regles"]:
        for effet in regle["effets"].values():
            texte = choix_statut._texte(effet["explication"])
            assert "{" not in texte, texte


def test_fichiers_de_regles_bien_formes() -> None:
    """Each choix-statut rule: one condition, a source, and for each form either points or an
    incompatibility, always with an explanation; leviers and publics files complete."""
    for regle in choix_statut.regles()["regles"]:
        assert len(regle["si"]) == 1 and regle["source"] and regle["code"]
        for effet in regle["effets"].values():
            assert effet["explication"]
            assert effet.get("incompatible") is True or isinstance(effet.get("points"), int)
    codes = [r["code"] for r in choix_statut.regles()["regles"]]
    assert len(codes) == len(set(codes))
    assert set(leviers.donnees()["cout"].values()) <= {"faible", "moyen", "eleve"}
    for competence in leviers.donnees()["competences"].values():
        assert competence["libelle"] and competence["mots"]
        assert all(m == m.lower() for m in competence["mots"])
    from essq.diagnostics.orientation import publics

    for public in publics().values():
        assert public["libelle"] and public["mots"]
