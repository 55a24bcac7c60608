"""A tiny, valid référentiel written in a temporary folder, that tests can then break."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

G0 = "000_aec176e962352d18.txt"
G1 = "001_6896deeae8272fff.txt"
G4 = "004_737dac3eb2a78ca3.txt"

FICHIERS: dict[str, str] = {
    "familles/familles.yaml": f"""
        - id: famille-cooperative
          titre: Coopératives
          famille: cooperative
          ess_de_droit: true
          description: >-
            Entreprises détenues par leurs membres, qui décident ensemble selon le principe
            une personne, une voix, et mettent leurs excédents en réserve.
          mots_cles: [coopération, sociétariat]
          sources:
            - {{document: {G0}, section: "2.6", lignes: "L341-351"}}
    """,
    "statuts/statuts.yaml": f"""
        - id: statut-scop
          titre: Société coopérative et participative (SCOP)
          famille: famille-cooperative
          forme_juridique: SA, SARL ou SAS coopérative
          description: >-
            Coopérative de production dont les salariés détiennent la majorité du capital et
            des droits de vote ; les réserves restent dans l'entreprise.
          regles:
            - {{code: capital-salaries, libelle: Part du capital détenue par les salariés, operateur: ">=", valeur: 51, unite: "%"}}
            - {{code: loi, libelle: Loi de référence, date_validite: 1978-07-19}}
          sources:
            - {{document: {G0}, lignes: "L341-351"}}
    """,
    "dispositifs/dispositifs.yaml": f"""
        - id: disp-dla
          titre: Dispositif local d'accompagnement (DLA)
          porteur: État, Banque des territoires, Mouvement associatif
          type: accompagnement
          stades: [developpement, consolidation]
          besoins: [accompagnement, expertise]
          echelle: departemental
          description: >-
            Accompagnement gratuit des associations et structures d'utilité sociale employeuses
            pour consolider leur modèle économique et leurs emplois.
          eligibilite: {{qpv: false, esus: true, pre_creation: false}}
          initiatives: [ini-001-epicerie-des-lilas]
          sources:
            - {{document: {G0}, section: "Accompagnement"}}
        - id: disp-citeslab
          titre: CitésLab
          porteur: Bpifrance
          type: programme
          stades: [idee, emergence]
          besoins: [accompagnement, reseau]
          echelle: local
          description: >-
            Chefs de projet implantés dans les quartiers prioritaires qui détectent et orientent
            les habitants qui veulent créer leur entreprise, y compris coopérative.
          eligibilite: {{qpv: true}}
          sources:
            - {{document: {G1}, lignes: "L10-20"}}
    """,
    "leviers/seed004.yaml": f"""
        - id: lev004-1
          titre: Soutenir l'émergence des projets
          cadre: seed004_6_leviers
          niveau: levier
          numero: "1"
          description: >-
            La collectivité repère et accompagne les projets d'utilité sociale dès l'idée, avec
            ses partenaires de l'accompagnement.
          sources:
            - {{document: {G4}, section: "Levier 1"}}
        - id: lev004-1-1
          titre: Insérer les projets dans les appels à projets locaux
          cadre: seed004_6_leviers
          niveau: action
          numero: "1.1"
          parent: lev004-1
          description: >-
            Ouvrir les appels à projets de la collectivité aux structures de l'insertion par
            l'activité économique et aux coopératives naissantes.
          dispositifs: [disp-dla]
          sources:
            - {{document: {G4}, section: "Levier 1, action 1"}}
    """,
    "besoins/besoins.yaml": f"""
        - id: bes-alimentation
          titre: Alimentation
          description: >-
            Accès de tous à une alimentation de qualité et à un prix abordable, circuits courts
            et épiceries solidaires.
          sources:
            - {{document: {G0}, lignes: "L703-709"}}
    """,
    "initiatives/seed001.yaml": f"""
        - id: ini-001-epicerie-des-lilas
          titre: Épicerie solidaire des Lilas
          lieu: {{commune: Marseille, code_insee: "13055", departement: "13", qpv: [Les Lilas]}}
          besoins: [bes-alimentation]
          statut: statut-scop
          description: >-
            Une épicerie coopérative qui vend des produits frais à prix réduit aux habitants du
            quartier et emploie des salariés en insertion.
          chiffres:
            - {{libelle: Salariés, valeur: 12, unite: personnes, annee: 2022}}
          leviers: [lev004-1-1]
          voir_aussi: ["dispositifs:disp-citeslab"]
          sources:
            - {{document: {G1}, lignes: "L100-120"}}
    """,
    "glossaire/glossaire.yaml": f"""
        - id: glo-iae
          titre: IAE
          terme: Insertion par l'activité économique
          description: >-
            Parcours d'accompagnement vers l'emploi des personnes éloignées du marché du travail,
            porté par des structures conventionnées par l'État.
          sources:
            - {{document: {G0}, lignes: "L450-489"}}
        - id: glo-mobilite-solidaire
          titre: Mobilité solidaire
          terme: Mobilité solidaire
          description: >-
            Aider les habitants à se déplacer pour insérer leur recherche d'emploi dans un bassin
            plus large que leur quartier.
          sources:
            - {{document: {G0}, lignes: "L700"}}
    """,
}


def ecrire(racine: Path, fichiers: dict[str, str]) -> Path:
    for nom, contenu in fichiers.items():
        chemin = racine / nom
        chemin.parent.mkdir(parents=True, exist_ok=True)
        chemin.write_text(textwrap.dedent(contenu).lstrip("\n"), encoding="utf-8")
    return racine


@pytest.fixture()
def ecrire_ref() -> Callable[[Path, dict[str, str]], Path]:
    """Write extra files (``{"collection/fichier.yaml": yaml}``) into a référentiel folder."""
    return ecrire


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    """A valid miniature référentiel folder."""
    return ecrire(tmp_path / "ref", FICHIERS)


@pytest.fixture()
def casser(mini: Path) -> Callable[[str, str, str], Path]:
    """Replace ``avant`` by ``apres`` in one file of the mini référentiel."""

    def _casser(fichier: str, avant: str, apres: str) -> Path:
        chemin = mini / fichier
        texte = chemin.read_text(encoding="utf-8")
        assert avant in texte, f"{avant!r} absent de {fichier}"
        chemin.write_text(texte.replace(avant, apres, 1), encoding="utf-8")
        return mini

    return _casser


@pytest.fixture(scope="session")
def graines_partagees() -> Path:
    """The five seed documents (../shared/seeds or ESSQ_GRAINES); skips, saying why, if absent."""
    import os

    dossier = Path(
        os.environ.get("ESSQ_GRAINES", Path(__file__).resolve().parents[3] / "shared" / "seeds")
    )
    if not dossier.is_dir():
        pytest.skip(
            f"documents sources (graines) absents ({dossier}) : placer shared/seeds à côté du "
            "dépôt ou définir ESSQ_GRAINES"
        )
    return dossier


@pytest.fixture(autouse=True)
def cache_referentiel(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Keep the référentiel's disk cache of these tests out of the user's cache folder."""
    dossier = tmp_path_factory.getbasetemp() / "cache-referentiel"
    monkeypatch.setenv("ESSQ_CACHE_REFERENTIEL", str(dossier))
    return dossier
