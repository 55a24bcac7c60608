"""Completeness of the référentiel against seed 001 (RTES / CGET « Repères » guide, 2016).

The expected numbers below were established by hand from the English extraction of the seed
(../shared/reference/seed-001-extraction.md, « EXT » below) and checked against the French text
(001_6896deeae8272fff.txt). Each number says where it comes from, so that a reviewer can
recount. Only the files written for seed 001 (``<collection>/seed-001.yaml``) are counted here:
shared national entries that seed 001 also cites live in other files and have their own tests.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from essq.referentiel.schemas import SEEDS, Initiative
from essq.referentiel.validation import DOSSIER_DONNEES, EntreeLue, Lecture, lire

GRAINE = SEEDS["001"]
NB_LIGNES_GRAINE = 7033  # EXT header: « 7 033 lines »
FICHIER = "seed-001.yaml"

# ---------------------------------------------------------------- expected counts
# initiatives = 26 + 41 + 47 + 7 = 121
#   26: the initiative sheets of Part 3 (EXT §3.1 table, 9 detailed + 17 short sheets, L2943-6559).
#   41: initiatives attached to a sheet, each with its own name and activity (EXT §3.2; the
#       Villejean/Blosne CJS is row 14 of EXT §3.3, told with the Maurepas sheet):
#       5 restaurants of the PTCE Restos Passerelle, 6 co-founders of L'Autre Boutique and its
#       caterer Heure Locale, the CUCM solidarity garden, the Villejean/Blosne CJS and the CAE
#       Élan Créateur, 9 tenants or partners of ARTIS (IFRA, Propulse, L'Equytable, La Brocante
#       de Mamie, Solidura, Motors Alpes, Bistrot qui roule, Solidarauto 38, SCIC La Pousada),
#       Coop & Bat, Spark&Co, the Goutte d'Or craftsmen's cooperative, the 7 Lieux Collectifs de
#       Proximité, 4 offshoots of Rues du Développement Durable (Crêt de Liens, Le Pied des
#       Marches, UniPopRoc, Accorderie), H2H, the Ginko neighbourhood concierge and Inserfac.
#       (5 + 7 + 1 + 2 + 9 + 1 + 1 + 1 + 7 + 4 + 1 + 1 + 1 = 41)
#   47: initiatives and local approaches cited outside the sheets: the 60 rows of EXT §3.3
#       give 43 entries (rows turned into schemes — DESSINE, Plaine Commune and Nantes calls,
#       Fabrique à entreprendre, MEL AMI, MEL×CDC call, ITI guarantee fund, regional
#       engineering offer — rows already covered by an entry above — 3, 14, 29, 44-52 — and row 55,
#       a figure, are not initiatives; row 15 gives 3 entries, row 54 gives 2), plus the 4
#       collectivité approaches described in Part 1 and 2.3 (Dunkerque contrat de ville,
#       Plaine Commune, Saint-Étienne Métropole, Ille-et-Vilaine governance).
#    7: carrier organisations and approaches named in the sheets and chapters: APPUI (L3336),
#       Entreprendre Ensemble (L868, L962), Zutique Productions (L6463), Down-up (L2126), the
#       Lormont social-innovation pole project (L4932, L4982), Grasse's « Emploi Solidarité »
#       service (L4131) and the Métropole européenne de Lille approach (L1606, L6731).
# dispositifs = 45: local, regional or specific schemes named in the seed (EXT §3.3 rows 1, 6, 7,
#   11, 24, 25, 36; EXT §5.1-5.5 tables, the sheets' partner and funding sections — Ecossolies,
#   ATIS, Réso solidaire, Nord-Pas-de-Calais ESS programme, PLDESS Plaine Centrale) that are not in the
#   shared national list (dispositifs/national.yaml: DLA, France Active, CitésLab, FEJ, CAPE,
#   concours FACE, fonds européens… are linked, not duplicated).
# chiffres_cles = 52: every national or territorial figure of EXT §8.1 and §8.2 that is a
#   reference value (population, budget, count, rate), one entry per indicator; figures that
#   belong to a single initiative are stored in that initiative's « chiffres » instead.
# glossaire = 47: the non-generic acronyms of the seed's glossary (L6832-6907: 20 of its 45
#   acronyms, DIRECCTE and DRJSCS with their 2021 successors; generic ones such as ACI, SCIC,
#   QPV are shared entries) plus 27 concepts and institutions the
#   guide defines in its text (CLT mechanics, OFS/BRS, ressourcerie, accorderie, pépinière
#   horizontale, economie informelle, diagnostic de ressources, community organizing, CGET…).
# ressources_documentaires = 23: the 17 documents and sites the guide cites (its own edition,
#   RTES publications L198-200, ANRU guide L268-282, référentiel Emploi L299-301, VRAC impact
#   study, Lorthiois grid, de Varine & Montfort, Moniteur article, Accenture/IMS guide, EU and
#   CDC texts, Bacqué-Mechmache report, seminar proceedings, CNCRES synthesis, Avise site,
#   Cour de cassation ruling) plus the 6 legal texts used to settle discrepancies or definitions
#   (loi ESS 2014, loi Ville 2014, loi ALUR, ordonnance BRS 2016, décret CAE 2015).
ATTENDU = {
    "initiatives": 121,
    "dispositifs": 45,
    "chiffres_cles": 52,
    "glossaire": 47,
    "ressources_documentaires": 23,
}

# The 26 sheets of Part 3 (EXT §3.1), with the line range of each sheet.
FICHES = {
    "ini-001-vrac": (2943, 3277),
    "ini-001-ptce-restos-passerelle": (3281, 3606),
    "ini-001-garage-solidaire-du-hainaut": (3610, 3929),
    "ini-001-l-autre-boutique": (3933, 4161),
    "ini-001-regie-de-territoire-cucm-bassin-nord": (4165, 4326),
    "ini-001-cjs-maurepas": (4330, 4530),
    "ini-001-artis": (4534, 4810),
    "ini-001-coop-alpha": (4814, 5041),
    "ini-001-clt-bruxelles": (5045, 5260),
    "ini-001-kaps-afev": (5261, 5335),
    "ini-001-epicea-creteil": (5339, 5421),
    "ini-001-regie-impulsion-henin-carvin": (5425, 5489),
    "ini-001-work-and-co": (5493, 5562),
    "ini-001-gouttes-d-or-mode-design": (5566, 5644),
    "ini-001-epicerie-solidaire-itinerante-garrigues": (5648, 5723),
    "ini-001-chantier-autour-du-livre": (5727, 5786),
    "ini-001-premier-conseil": (5790, 5863),
    "ini-001-conciergerie-solidaire": (5864, 5941),
    "ini-001-lieux-collectifs-de-proximite": (5945, 6014),
    "ini-001-rues-du-developpement-durable": (6018, 6093),
    "ini-001-fontaine-o-livres": (6097, 6174),
    "ini-001-ressourcerie-de-cenon": (6178, 6249),
    "ini-001-cooperative-hotel-du-nord": (6253, 6321),
    "ini-001-atelier-beaute-apres": (6325, 6382),
    "ini-001-chantier-le-petit-gourmand": (6386, 6455),
    "ini-001-la-coursive-boutaric": (6459, 6559),
}

INTERVALLE = re.compile(r"L?(\d+)(?:-(\d+))?")


@pytest.fixture(scope="module")
def lecture() -> Lecture:
    return lire(DOSSIER_DONNEES)


@pytest.fixture(scope="module")
def nos_entrees(lecture: Lecture) -> list[EntreeLue]:
    return [e for e in lecture.entrees if Path(e.fichier).name == FICHIER]


def _intervalles(lignes: str) -> list[tuple[int, int]]:
    resultat = []
    for morceau in lignes.split(","):
        m = INTERVALLE.fullmatch(morceau.strip())
        assert m, f"plage de lignes illisible : {lignes!r}"
        debut = int(m.group(1))
        resultat.append((debut, int(m.group(2) or debut)))
    return resultat


def test_nombre_d_entrees_par_collection(nos_entrees: list[EntreeLue]) -> None:
    comptes = Counter(e.collection for e in nos_entrees)
    assert dict(comptes) == ATTENDU


def test_les_26_fiches_initiatives_sont_presentes_et_sourcees_dans_leur_fiche(
    nos_entrees: list[EntreeLue],
) -> None:
    par_id = {e.id: e.entree for e in nos_entrees if e.collection == "initiatives"}
    manquantes = sorted(set(FICHES) - set(par_id))
    assert not manquantes, f"fiches absentes : {manquantes}"
    for ident, (debut, fin) in FICHES.items():
        entree = par_id[ident]
        plages = [
            plage
            for s in entree.sources
            if s.document == GRAINE and s.lignes
            for plage in _intervalles(s.lignes)
        ]
        assert any(debut <= a and b <= fin for a, b in plages), (
            f"{ident} ne cite aucune ligne de sa fiche L{debut}-{fin} : {plages}"
        )


def test_chaque_entree_cite_la_graine_001_avec_des_lignes_existantes(
    nos_entrees: list[EntreeLue],
) -> None:
    for lue in nos_entrees:
        assert lue.entree is not None
        sources_graine = [s for s in lue.entree.sources if s.document == GRAINE]
        assert sources_graine, f"{lue.id} ne cite pas {GRAINE}"
        for source in sources_graine:
            assert source.section, f"{lue.id} : source sans section"
            if source.lignes:
                for debut, fin in _intervalles(source.lignes):
                    assert 1 <= debut <= fin <= NB_LIGNES_GRAINE, f"{lue.id} : {source.lignes}"


def test_aucun_probleme_de_validation_dans_les_fichiers_de_la_graine_001(
    lecture: Lecture,
) -> None:
    nos_problemes = [p for p in lecture.problemes if Path(p.fichier).name == FICHIER]
    assert not nos_problemes, "\n".join(p.texte() for p in nos_problemes)


def test_les_ecarts_avec_la_loi_sont_traces_avec_le_texte_retenu(
    nos_entrees: list[EntreeLue],
) -> None:
    par_id = {e.id: e.entree for e in nos_entrees}
    # The guide dates the CAE decree « 29 octobre 2015 » (L4944): the decree is n° 2015-1363 of 27 Oct.
    for ident in ("ini-001-coop-alpha", "doc-001-decret-cae-2015"):
        retenus = " ".join(d.retenu for d in par_id[ident].divergences)
        assert "2015-1363" in retenus and "27 octobre 2015" in retenus, ident
    # The bail réel solidaire was created by ordonnance n° 2016-985 (the guide predates it).
    for ident in ("ini-001-clt-bruxelles", "glo-001-brs"):
        retenus = " ".join(d.retenu for d in par_id[ident].divergences)
        assert "2016-985" in retenus, ident
    # « article 30 (clauses d'insertion) » (L3767): clauses sociales were article 14 of the 2006 code.
    divergence = par_id["glo-001-marche-insertion-qualification"].divergences[0]
    assert "article 14" in divergence.constat
    assert any(s.document == GRAINE and s.lignes for s in divergence.sources)


def test_codes_insee_des_initiatives_existent_dans_le_cog(
    nos_entrees: list[EntreeLue], donnees_partagees: Path
) -> None:
    fichier = donnees_partagees / "cog" / "communes_2026.csv"
    if not fichier.is_file():
        pytest.skip(f"{fichier} absent")
    with fichier.open(encoding="utf-8") as flux:
        departement_de = {
            ligne["code"]: ligne["departement"]
            for ligne in csv.DictReader(flux)
            if ligne["type"] in {"commune-actuelle", "arrondissement-municipal"}
        }
    avec_code = 0
    for lue in nos_entrees:
        if lue.collection != "initiatives":
            continue
        assert isinstance(lue.entree, Initiative)
        lieu = lue.entree.lieu
        if lieu.code_insee is None:
            continue
        avec_code += 1
        assert lieu.code_insee in departement_de, f"{lue.id} : code INSEE {lieu.code_insee} inconnu"
        assert departement_de[lieu.code_insee] == lieu.departement, (
            f"{lue.id} : {lieu.code_insee} est dans le {departement_de[lieu.code_insee]}, "
            f"pas le {lieu.departement}"
        )
    # All French initiatives tied to a single commune carry its code (EXT §3.1-3.3).
    assert avec_code >= 100
