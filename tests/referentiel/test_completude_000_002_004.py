"""Completeness of the référentiel entries written from seeds 000, 002 and 004.

Seed 000: ANCT / RTES, « Comprendre — L'ESS, un atout pour la politique de la ville » (février 2025).
Seed 002: webinaire ANCT / RTES / ESS France du 26 novembre 2020 (« Flashweb ESS Quartiers »).
Seed 004: ANCT, « L'ESS, une chance pour les territoires fragiles » (mai 2021).

The expected numbers come from the seeds and their extractions
(../shared/reference/seed-000-extraction.md, seed-004-extraction.md; seed 002 has none). They are
written here on purpose: if an entry is lost or duplicated, a count changes and the test names the
part of the seed that is no longer covered. Line numbers (Lnnn) refer to the seed files.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from essq.referentiel.schemas import (
    COLLECTIONS,
    SEEDS,
    ChiffreCle,
    CriterePerennite,
    Dispositif,
    Entree,
    Initiative,
    Levier,
    Statut,
)
from essq.referentiel.validation import DOSSIER_DONNEES, lire

# Number of lines of each seed file, to check cited line ranges.
LIGNES_GRAINE = {"000": 1165, "002": 277, "004": 1130}

# Entries per file written from seeds 000, 002 and 004.
ATTENDU_PAR_FICHIER = {
    # The 5 ESS families (loi 2014 art. 1; seed 000 L163; seed 002 L81-87).
    "familles/familles.yaml": 5,
    # 10 statuses: association loi 1901, Scop, SCIC, CAE, coopérative loi 1947, coopératives
    # éphémères (CJS/CJM/CT), mutuelle, fondation, fonds de dotation, société commerciale de l'ESS
    # (seed 000 L204-564).
    "statuts/statuts.yaml": 10,
    # ACI, EI, AI, ETTI, EITI (seed 000 §3.3, L450-489), EA, ESAT (L507-525), régies (L139-157).
    "structures_inclusion/structures_inclusion.yaml": 8,
    # 17 shared national ids (ids.md) + 4 France Active tools and Serre à projets (seed 004 L351)
    # + 11 networks and support actors (Banque des Territoires, ESS France, Avise, RTES, Mouvement
    # associatif, Mouvement des Régies, La Fabrique coopérative, réseau inter-KPA, GIP France
    # Tiers-Lieux, Crea'rural, ADEFPAT) + 6 philanthropic funders (Fondation de France, company
    # foundations, FACE, DAT, FFE, La Solidaire; seed 000 L866-883, seed 004 L503) + 9 public funds
    # and labels (Fabriques de territoire, fonds TZCLD, fonds européens, contrats à impact, France
    # 2030, FEJ, EVS, FNADT, PAQTE) + 3 tools (cartographies, CAPE, La Grande Équipe).
    "dispositifs/national.yaml": 17 + 4 + 11 + 6 + 9 + 3,
    # Seed 000 §5: other actors and tools (ANCT, préfecture referents, Les Scop, 4 federations by
    # domain or family, Coorace, MES, Labo de l'ESS, France urbaine, Gesat, resource centres,
    # Accorderies network, solidarity investors, foncières, temporary occupation, social landlords,
    # conseils citoyens).
    "dispositifs/seed-000.yaml": 18,
    # Seed 004 §7: local support bodies, Avise community, 3 other steering-committee members, 6
    # networks interviewed (CPIE, health centres, fablabs, cafés, Mob'in, ANDES, Cohabilis = 7),
    # Climaxion, PAT call, atelier-relais, State-Region contracts, departmental insertion funds,
    # « art en territoire », Bistrot de pays: 1 + 1 + 3 + 7 + 7.
    "dispositifs/seed-004.yaml": 1 + 1 + 3 + 7 + 7,
    # Seed 000 §4.13: the collectivités' 7 fields of ESS action (L802-810).
    "leviers/seed-000.yaml": 7,
    # Seed 004 §3: 6 levers and their key actions, 6 + 3 + 3 + 2 + 3 + 2 = 19 (L269-541; the issue
    # says 18, the seed details 19 numbered 1.1 to 6.2).
    "leviers/seed-004.yaml": 6 + 19,
    # PTCE, SCIC, GE, GIE, tiers-lieux, TZCLD/EBE, pôles territoriaux, coopératives éphémères,
    # consortiums (seed 000 part 4, L899-1105) + GES (seed 004 L529).
    "cadres_cooperation/cadres.yaml": 9 + 1,
    # Seed 000 §6: the 27 examples I1-I27, with the Accorderies network and the Accorderie de Lille
    # kept apart (I2) and Emmaüs, Le Relais and réseau Envie kept apart (I26): 27 + 1 + 2.
    "initiatives/seed-000.yaml": 27 + 1 + 2,
    # Seed 002 table (L213): 12 examples, minus the Accorderies and the Ferme des Possibles
    # (described in seed-000.yaml, which cites seed 002) and « CJS » (a type, not a named initiative).
    "initiatives/seed-002.yaml": 12 - 2 - 1,
    # Seed 004 §5: the 16 monographed enterprises (L864-988) + Coopelis and Le Moulin Digital,
    # the groupings cited as lever examples (L519, L529).
    "initiatives/seed-004.yaml": 16 + 2,
    # The 3 socio-economic models (seed 002 L202-213, seed 000 §3.4 L642-648).
    "modeles_socio_economiques/modeles.yaml": 3,
    # 9 shared resource types (ids.md) + parts sociales, finance solidaire, fonds européens,
    # financement participatif (seed 000 L608-612, seed 004 L194, L343, L351, L503).
    "ressources/ressources.yaml": 9 + 4,
    # Seed 004 §4.2: prerequisite + 17 criteria in 3 families (7 + 4 + 6), L686-768.
    "criteres_perennite/seed-004.yaml": 1 + 17,
    # 17 shared need domains (seed 000 §4.9 L703-709, back cover L1160; seed 002 L229-235).
    "besoins/besoins.yaml": 17,
    # Seed 004 §6.1: the 15 territorial needs (L208-241).
    "besoins/seed-004.yaml": 15,
    # Seed 004 §6.3: 16 retained activities in 4 thematics (L782-809) + the 27 other activities of
    # the 37-item literature list (L208-241) once the 10 that duplicate a retained one are merged.
    "activites/seed-004.yaml": 16 + 27,
    # Seed 000 §3: ESS in QPV table (15: L568-576), associations (5), cooperatives (8), foundations
    # (2), IAE (8: salariés, 4 SIAE types, 3 IGAS shares), STPA (3), ESUS (5), policies and ecosystem
    # (13: élus, RTES x2, 4 delegations, EQ2030 target, Guid'Asso, Fondation de France,
    # Fabriques à initiatives, PTCE x2), childcare (2), tiers-lieux (11), TZCLD (2).
    "chiffres_cles/seed-000.yaml": 15 + 5 + 8 + 2 + 8 + 3 + 5 + 13 + 2 + 11 + 2,
    # Seed 002: 7 key figures (L122-143) + table 3, 12 sectors x (QPV, France) (L175-190).
    "chiffres_cles/seed-002.yaml": 7 + 12 * 2,
    # Seed 004 §9: zoning thresholds and QPV criterion (4), ONPV 2018 (2), EVS, MAPA, reserved
    # contract types, FSE delay, Sapo, CRTE (6), study figures (6: needs, activities, retained
    # activities, proposed enterprises, monographs, webinar participants).
    "chiffres_cles/seed-004.yaml": 4 + 2 + 6 + 6,
    # Acronyms of seed 000 §13 and seed 004 §7.4 used by the référentiel (45) + 8 notions + the
    # State's 2024 priorities (L776-786), the waves of ESS in QPV (L124-136), the regional ESS
    # strategy (L790) and two framings of seed 002 (regional profiles L154-158, L95-101).
    "glossaire/seed-000-002-004.yaml": 45 + 8 + 5,
    # Seed 000 §11: 6 RTES + 4 ANCT (the shared seminar counted once: 3 ANCT) + 11 other resources
    # (L1109-1146) = 20, plus 19 references cited in the body (Abhervé, Profession Banlieue, Atlas,
    # Recherches & Solidarités, Labo de l'ESS, CNV, Adie, ANCT 2025, IGAS, Dares, Avise x2, RTES/Avise
    # map, foundation guides, Points de RepèrESS x2, Agir guide, the guide itself, loi 2014).
    "ressources_documentaires/seed-000.yaml": 6 + 3 + 11 + 19,
    # Seed 004 annex 4 (L1081-1130): TRESSONS x2, RTES, ONPV 2018, Labo de l'ESS x2, France Active
    # (7) + the report, its thematic studies, Mignon 2009, DAJ 2019, ANRU charter, info-dla,
    # bistrot de pays, Duverger 2021, the March 2021 seminar (9).
    "ressources_documentaires/seed-004.yaml": 7 + 9,
}

# Entries of the files above that cite each seed, per collection (an entry citing two seeds
# counts for both). Seed 002 is cited wherever the webinar states the same fact.
ATTENDU_PAR_GRAINE = {
    "000": {
        "familles": 5,
        "statuts": 10,
        "structures_inclusion": 8,
        "dispositifs": 40 + 18,
        "leviers": 7,
        "cadres_cooperation": 9,
        "initiatives": 30,
        "modeles_socio_economiques": 3,
        "ressources": 11,
        "besoins": 17,
        "activites": 4,
        "chiffres_cles": 74,
        "glossaire": 37,
        "ressources_documentaires": 39,
    },
    "002": {
        "familles": 5,
        "statuts": 3,
        "dispositifs": 2,
        "initiatives": 9 + 2,  # seed-002.yaml + the Accorderies and the Ferme des Possibles
        "modeles_socio_economiques": 3,
        "ressources": 2,
        "besoins": 10,
        "activites": 6,
        "chiffres_cles": 31,
        "glossaire": 4,
    },
    "004": {
        "familles": 3,
        "statuts": 3,
        "structures_inclusion": 6,
        "dispositifs": 21 + 5 + 19,  # national + seed-000 entries also citing 004 + seed-004.yaml
        "leviers": 25,
        "cadres_cooperation": 4,
        "initiatives": 18,
        "ressources": 11,
        "criteres_perennite": 18,
        "besoins": 16,
        "activites": 43,
        "chiffres_cles": 18,
        "glossaire": 17,
        "ressources_documentaires": 16,
    },
}

# Ids other packages rely on (the shared list of ids.md).
IDS_PARTAGES = {
    "familles": [
        "famille-association",
        "famille-cooperative",
        "famille-mutuelle",
        "famille-fondation",
        "famille-societe-commerciale-ess",
    ],
    "statuts": [
        "statut-association-loi-1901",
        "statut-scop",
        "statut-scic",
        "statut-cae",
        "statut-cooperative-loi-1947",
        "statut-cooperative-ephemere",
        "statut-mutuelle",
        "statut-fondation",
        "statut-fonds-de-dotation",
        "statut-societe-commerciale-ess",
    ],
    "structures_inclusion": [
        f"si-{s}" for s in ("aci", "ei", "ai", "etti", "eiti", "ea", "esat", "regie-de-quartier")
    ],
    "dispositifs": [
        "disp-dla",
        "disp-france-active",
        "disp-entrepreneuriat-quartiers-2030",
        "disp-citeslab",
        "disp-fabriques-a-initiatives",
        "disp-incubateurs-ess",
        "disp-couveuses",
        "disp-cae",
        "disp-adie",
        "disp-bpifrance",
        "disp-fondations-territoriales",
        "disp-fdva",
        "disp-credits-politique-de-la-ville",
        "disp-ami-ptce",
        "disp-guid-asso",
        "disp-cress",
        "disp-agrement-esus",
    ],
    "cadres_cooperation": [
        "coop-ptce",
        "coop-scic",
        "coop-groupement-employeurs",
        "coop-gie",
        "coop-tiers-lieu",
        "coop-tzcld-ebe",
        "coop-pole-territorial",
        "coop-cooperative-ephemere",
        "coop-consortium",
    ],
    "modeles_socio_economiques": ["mse-1", "mse-2", "mse-3"],
    "ressources": [
        "res-ventes-privees",
        "res-commande-publique",
        "res-subventions-fonctionnement",
        "res-subventions-projet",
        "res-dons-mecenat",
        "res-cotisations",
        "res-benevolat",
        "res-contributions-nature",
        "res-aides-emploi",
    ],
    "besoins": [
        f"bes-{b}"
        for b in (
            "alimentation",
            "mobilite",
            "logement-habitat",
            "numerique",
            "emploi-insertion",
            "culture",
            "sante",
            "education-jeunesse",
            "environnement-transition",
            "lien-social",
            "acces-aux-droits",
            "services-proximite",
            "commerce-proximite",
            "petite-enfance",
            "sport-loisirs",
            "economie-circulaire",
            "cadre-de-vie",
        )
    ],
}

# Seed 004 key actions per lever (L277, L357, L407, L458, L484, L515).
ACTIONS_PAR_LEVIER = {1: 6, 2: 3, 3: 3, 4: 2, 5: 3, 6: 2}

# Seed 004 §6.3 (L782-809): retained activity -> monographed enterprise, by thematic.
ACTIVITES_RETENUES = {
    "Consommation et production responsables": {
        "act-circuits-courts-alimentaires": "ini-004-les-loco-motives",
        "act-ressourceries-recycleries": "ini-004-bell-occas",
        "act-fablabs": "ini-004-8-fablab-drome",
        "act-production-biens-circuit-court": "ini-004-ambiance-bois",
    },
    "Attractivité": {
        "act-conciergerie-solidaire": "ini-004-desbals-services",
        "act-festivals": "ini-004-espace-culturel-de-chaillol",
        "act-patrimoine-naturel": "ini-004-cpie-du-haut-doubs",
        "act-patrimoine-culturel": "ini-004-amis-de-la-pierre-de-masgot",
    },
    "Lien social": {
        "act-cafes-associatifs": "ini-004-cafe-pluche",
        "act-cohabitation-intergenerationnelle": "ini-004-sos-gramounes-isoles",
        "act-habitat-inclusif": "ini-004-habit-age",
    },
    "Inclusion": {
        "act-acces-soins-premier-recours": "ini-004-centre-de-sante-des-3-cites",
        "act-epiceries-sociales-solidaires": "ini-004-la-pioche",
        "act-plateformes-mobilite-inclusive": "ini-004-reseau-pouce-pouce",
        "act-pratiques-sportives-inclusives": "ini-004-cap-sport",
        "act-services-personne-collectivite": "ini-004-hercule-insertion",
    },
}


def _collection(fichier: str) -> str:
    return fichier.split("/")[0]


def _entrees(fichier: str) -> list[Entree]:
    chemin = DOSSIER_DONNEES / fichier
    donnees: Any = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    assert isinstance(donnees, list), f"{chemin} doit contenir une liste d'entrées"
    modele = COLLECTIONS[_collection(fichier)]
    return [modele.model_validate(brut) for brut in donnees]


@pytest.fixture(scope="module")
def par_fichier() -> dict[str, list[Entree]]:
    return {fichier: _entrees(fichier) for fichier in ATTENDU_PAR_FICHIER}


@pytest.fixture(scope="module")
def par_id(par_fichier: dict[str, list[Entree]]) -> dict[str, Entree]:
    return {e.id: e for entrees in par_fichier.values() for e in entrees}


@pytest.mark.parametrize("fichier", sorted(ATTENDU_PAR_FICHIER))
def test_chaque_fichier_couvre_sa_partie_des_graines(
    fichier: str, par_fichier: dict[str, list[Entree]]
) -> None:
    ids = [e.id for e in par_fichier[fichier]]
    doublons = [i for i, n in Counter(ids).items() if n > 1]
    assert not doublons, f"identifiants en double : {doublons}"
    assert len(ids) == ATTENDU_PAR_FICHIER[fichier]


@pytest.mark.parametrize("graine", sorted(ATTENDU_PAR_GRAINE))
def test_nombre_d_entrees_par_graine_et_par_collection(
    graine: str, par_fichier: dict[str, list[Entree]]
) -> None:
    compte: Counter[str] = Counter()
    for fichier, entrees in par_fichier.items():
        for entree in entrees:
            if any(s.document == SEEDS[graine] for s in entree.sources):
                compte[_collection(fichier)] += 1
    assert dict(compte) == ATTENDU_PAR_GRAINE[graine]


def test_chaque_entree_cite_une_graine_avec_des_lignes_existantes(
    par_fichier: dict[str, list[Entree]],
) -> None:
    codes = {nom: code for code, nom in SEEDS.items() if code in LIGNES_GRAINE}
    for entrees in par_fichier.values():
        for entree in entrees:
            citees = [s for s in entree.sources if s.document in codes]
            assert citees, f"{entree.id} ne cite aucune des graines 000, 002, 004"
            assert any(s.lignes for s in citees), f"{entree.id} : plage de lignes manquante"
            for source in citees:
                maximum = LIGNES_GRAINE[codes[source.document]]
                for nombre in re.findall(r"\d+", source.lignes or ""):
                    assert 1 <= int(nombre) <= maximum, f"{entree.id} : ligne {nombre}"


@pytest.mark.parametrize("collection", sorted(IDS_PARTAGES))
def test_les_identifiants_partages_existent(collection: str, par_id: dict[str, Entree]) -> None:
    manquants = [i for i in IDS_PARTAGES[collection] if i not in par_id]
    assert not manquants
    attendu = COLLECTIONS[collection]
    assert all(isinstance(par_id[i], attendu) for i in IDS_PARTAGES[collection])


def test_six_leviers_et_leurs_actions_numerotes_comme_la_graine_004(
    par_fichier: dict[str, list[Entree]],
) -> None:
    leviers = [e for e in par_fichier["leviers/seed-004.yaml"] if isinstance(e, Levier)]
    racines = sorted(e.id for e in leviers if e.niveau == "levier")
    assert racines == [f"lev004-{k}" for k in range(1, 7)]
    for k, nombre in ACTIONS_PAR_LEVIER.items():
        actions = [e for e in leviers if e.parent == f"lev004-{k}"]
        assert sorted(e.id for e in actions) == [f"lev004-{k}-{n}" for n in range(1, nombre + 1)]
        assert sorted(e.numero for e in actions) == [f"{k}.{n}" for n in range(1, nombre + 1)]
        assert all(e.niveau == "action" for e in actions)
    assert {e.cadre for e in leviers} == {"seed004_6_leviers"}


def test_les_actions_citent_leurs_monographies_et_outils(
    par_fichier: dict[str, list[Entree]], par_id: dict[str, Entree]
) -> None:
    actions = [
        e for e in par_fichier["leviers/seed-004.yaml"] if isinstance(e, Levier) and e.parent
    ]
    for action in actions:
        assert action.initiatives, f"{action.id} : aucun exemple de la graine"
        assert all(i.startswith("ini-004-") for i in action.initiatives)
    marches = par_id["lev004-3-2"]
    assert isinstance(marches, Levier)
    references = " ".join(o.reference or "" for o in marches.outils_juridiques)
    for article in ("L2113-12", "L2113-13", "L2113-14", "L2113-15", "R2122-8"):
        assert article in references  # the four reserved contracts and the small-amount rule
    assert marches.divergences  # the 40 000 € HT threshold of 2021 is dated
    capital = par_id["lev004-1-2"]
    assert isinstance(capital, Levier)
    assert any("50 %" in (o.conditions or "") for o in capital.outils_juridiques)


def test_champs_des_collectivites_du_seed_000_relies_aux_deux_autres_cadres(
    par_fichier: dict[str, list[Entree]],
) -> None:
    champs = [e for e in par_fichier["leviers/seed-000.yaml"] if isinstance(e, Levier)]
    assert sorted(e.id for e in champs) == [f"lev000-{k}" for k in range(1, 8)]
    ids_003 = {e.id for lue in lire(DOSSIER_DONNEES).entrees if (e := lue.entree)}
    for champ in champs:
        assert champ.niveau == "champ" and champ.cadre == "seed000_champs_collectivites"
        numero = champ.id.removeprefix("lev000-")
        assert f"lev003-ca{numero}" in champ.equivalents  # same 7 fields in seed 003
        assert f"lev003-ca{numero}" in ids_003
        assert any(x.startswith("lev004-") for x in champ.equivalents), champ.id
        assert champ.initiatives and all(i.startswith("ini-000-") for i in champ.initiatives)


def test_grille_de_perennite_un_prerequis_et_dix_sept_criteres(
    par_fichier: dict[str, list[Entree]],
) -> None:
    criteres = [
        e
        for e in par_fichier["criteres_perennite/seed-004.yaml"]
        if isinstance(e, CriterePerennite)
    ]
    assert sorted(c.numero for c in criteres) == list(range(18))
    familles = Counter(c.famille for c in criteres)
    # Cost and revenue structure (7), team (4), partners and ecosystem (6): L694-766.
    assert familles == {
        "prerequis": 1,
        "modele_economique": 7,
        "gouvernance_organisation": 4,
        "ancrage_territorial": 6,
    }
    assert all(c.questions and (c.leviers or c.dispositifs) for c in criteres)


def test_seize_activites_prioritaires_en_quatre_thematiques(
    par_id: dict[str, Entree],
) -> None:
    for theme, activites in ACTIVITES_RETENUES.items():
        for activite_id, initiative_id in activites.items():
            activite = par_id[activite_id]
            assert getattr(activite, "theme", None) == theme, activite_id
            assert initiative_id in getattr(activite, "initiatives", []), activite_id
            initiative = par_id[initiative_id]
            assert isinstance(initiative, Initiative)
            assert activite_id in initiative.activites, initiative_id
    assert sum(len(a) for a in ACTIVITES_RETENUES.values()) == 16


def test_les_seize_monographies_utilisent_les_leviers_de_la_graine(
    par_fichier: dict[str, list[Entree]],
) -> None:
    monographies = {a for activites in ACTIVITES_RETENUES.values() for a in activites.values()}
    assert len(monographies) == 16
    initiatives = {e.id: e for e in par_fichier["initiatives/seed-004.yaml"]}
    for ident in monographies:
        initiative = initiatives[ident]
        assert isinstance(initiative, Initiative)
        assert any(x.startswith("lev004-") for x in initiative.leviers), ident
        assert initiative.forme_juridique and initiative.lieu.region, ident


def test_regles_legales_des_statuts_et_de_l_agrement_esus(par_id: dict[str, Entree]) -> None:
    def regle(statut_id: str, code: str) -> tuple[str | None, object]:
        statut = par_id[statut_id]
        assert isinstance(statut, Statut)
        trouvee = next(r for r in statut.regles if r.code == code)
        return trouvee.operateur, trouvee.valeur

    assert regle("statut-scop", "part-capital-salaries") == (">=", 51)
    assert regle("statut-scop", "part-droits-vote-salaries") == (">=", 65)
    assert regle("statut-scic", "categories-associes-minimum") == (">=", 3)
    assert regle("statut-scic", "part-capital-collectivites") == ("<=", 50)
    assert regle("statut-scic", "reserves-impartageables") == (">=", 57.5)
    esus = par_id["disp-agrement-esus"]
    assert isinstance(esus, Dispositif)
    conditions = " ".join(esus.eligibilite.conditions)
    assert "7 fois le SMIC" in conditions and "10 fois" in conditions
    assert "1 à 5" not in conditions  # the guide's wrong scale is only quoted in the divergence
    assert esus.divergences and "L3332-17-1" in esus.divergences[0].retenu


def test_chaque_chiffre_cle_porte_unite_territoire_et_provenance(
    par_fichier: dict[str, list[Entree]],
) -> None:
    for fichier in ("chiffres_cles/seed-000.yaml", "chiffres_cles/seed-002.yaml"):
        for chiffre in par_fichier[fichier]:
            assert isinstance(chiffre, ChiffreCle)
            assert chiffre.unite and chiffre.territoire, chiffre.id
            assert chiffre.annee or chiffre.annee_publication, chiffre.id
    qpv = {e.id: e for e in par_fichier["chiffres_cles/seed-002.yaml"]}
    parts = [
        e.valeur
        for i, e in qpv.items()
        if i.startswith("cc-002-qpv-emplois-ess-secteur-") and isinstance(e, ChiffreCle)
    ]
    # Table 3 (L178-190): the published shares add up to 99.9 % because of rounding.
    assert len(parts) == 12 and abs(sum(parts) - 100.0) <= 0.2


def test_aucun_probleme_de_validation_dans_ces_fichiers() -> None:
    mes_fichiers = tuple(ATTENDU_PAR_FICHIER)
    problemes = [
        p for p in lire(DOSSIER_DONNEES).problemes if str(p.fichier).endswith(mes_fichiers)
    ]
    assert not problemes, "\n".join(p.texte() for p in problemes)


def test_codes_geographiques_et_juridiques_conformes(
    donnees_partagees: Path, par_fichier: dict[str, list[Entree]]
) -> None:
    communes = donnees_partagees / "cog" / "communes_2026.csv"
    categories = donnees_partagees / "cj" / "categories_juridiques_niv3.csv"
    if not communes.is_file() or not categories.is_file():
        pytest.skip(f"COG ou nomenclature des catégories juridiques absents ({donnees_partagees})")
    with communes.open(encoding="utf-8") as flux:
        cog = {r["code"]: r for r in csv.DictReader(flux) if r["type"] == "commune-actuelle"}
    with categories.open(encoding="utf-8") as flux:
        codes_cj = {r["code"] for r in csv.DictReader(flux)}
    avec_code = [
        e
        for fichier in ATTENDU_PAR_FICHIER
        if fichier.startswith("initiatives/")
        for e in par_fichier[fichier]
        if isinstance(e, Initiative) and e.lieu.code_insee
    ]
    assert len(avec_code) >= 30
    for initiative in avec_code:
        commune = cog.get(initiative.lieu.code_insee or "")
        assert commune is not None, f"{initiative.id} : code absent du COG"
        assert commune["nom"] == initiative.lieu.commune, initiative.id
        assert commune["departement"] == initiative.lieu.departement, initiative.id
    for statut in par_fichier["statuts/statuts.yaml"]:
        assert isinstance(statut, Statut)
        inconnus = set(statut.categories_juridiques_insee) - codes_cj
        assert not inconnus, f"{statut.id} : {sorted(inconnus)}"


def test_ni_ligne_inexistante_ni_phrase_recopiee_des_graines(graines_partagees: Path) -> None:
    from essq.referentiel.graines import verifier_graines

    mes_fichiers = tuple(ATTENDU_PAR_FICHIER)
    problemes = [
        p
        for p in verifier_graines(lire(DOSSIER_DONNEES), graines_partagees)
        if str(p.fichier).endswith(mes_fichiers)
    ]
    assert not problemes, "\n".join(p.texte() for p in problemes)
