"""Diagnostic « orientation »: who can support a project holder at their stage, here?

Candidates are the référentiel's schemes and networks (``dispositifs``), filtered and scored
on their typed fields: ``stades`` (required match), ``besoins``, ``publics``, ``eligibilite``
(pre-creation access, QPV, ESUS, legal forms) and ``echelle``. Where a local scheme operates
is read from the initiatives linked to it; a scheme linked to initiatives in three regions or
more is treated as a network with local branches. Pre-creation holders (no SIRET yet) are
served: schemes that require a registered structure are set aside and counted, not hidden.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from essq.diagnostics.cadre import (
    LIBELLES_VALEURS,
    Diagnostic,
    ModeleEntree,
    Rapport,
    enregistrer,
    enumeration,
)
from essq.diagnostics.classement import classer, conclure_classement, initiatives_liees
from essq.diagnostics.lieux import (
    MOTIF_COMMUNE,
    MOTIF_DEPARTEMENT,
    MOTIF_QPV,
    Lieu,
    replier,
    situer,
)
from essq.diagnostics.seuils import donnees_yaml
from essq.diagnostics.vocabulaire import LIBELLE_FORME, FormeJuridique
from essq.referentiel.schemas import Dispositif, Stade, TypeBesoin

SOURCE = "Référentiel ESS Quartiers, collection dispositifs (graines 000, 001, 003, 004)"
RESEAU_MIN_REGIONS = 3

# legal form of the user -> words of ``eligibilite.formes_juridiques`` that accept it
FORMES_ACCEPTEES = {
    "association": ["association"],
    "cooperative": ["cooperative", "scop", "scic", "cae"],
    "societe_commerciale": ["societe", "sas", "sarl", "entreprise"],
    "mutuelle": ["mutuelle"],
    "fondation": ["fondation"],
    "fonds_de_dotation": ["fonds de dotation"],
}


def publics() -> dict[str, dict[str, Any]]:
    lu: dict[str, dict[str, Any]] = donnees_yaml("publics.yaml")
    return lu


Public = enumeration("Public", publics())


class EntreeOrientation(ModeleEntree):
    stade: Stade | None = Field(
        default=None,
        title="Stade du projet",
        description="idee, emergence, creation, developpement, consolidation ou changement_echelle.",
    )
    besoins: list[TypeBesoin] = Field(
        default_factory=list,
        max_length=7,
        title="Besoins",
        description="accompagnement, financement, locaux, reseau, formation, expertise, debouches.",
    )
    forme_juridique: FormeJuridique | None = Field(
        default=None,
        title="Forme juridique",
        description="Forme de la structure si elle existe ; laisser vide pour un porteur sans structure.",
    )
    structure_immatriculee: bool | None = Field(
        default=None,
        title="Structure immatriculée",
        description="La structure existe-t-elle déjà (SIRET) ? Non pour un porteur en pré-création.",
    )
    esus: bool | None = Field(
        default=None, title="Agrément ESUS", description="La structure est-elle agréée ESUS ?"
    )
    publics: list[Public] = Field(  # type: ignore[valid-type]
        default_factory=list,
        max_length=12,
        title="Publics",
        description="Publics du porteur ou du projet : jeunes, femmes, migrants, demandeurs d'emploi, habitants des QPV…",
    )
    commune: str | None = Field(
        default=None,
        pattern=MOTIF_COMMUNE,
        title="Commune",
        description="Code INSEE de la commune (ex. 93066).",
    )
    qpv: str | None = Field(
        default=None,
        pattern=MOTIF_QPV,
        title="Quartier prioritaire",
        description="Code du QPV (ex. QN09301M) si le projet y est implanté.",
    )
    en_qpv: bool | None = Field(
        default=None,
        title="Implanté en QPV",
        description="Le projet est-il implanté dans un QPV (ou s'adresse-t-il à ses habitants) ?",
    )
    departement: str | None = Field(
        default=None,
        pattern=MOTIF_DEPARTEMENT,
        title="Département",
        description="Code du département si la commune n'est pas donnée.",
    )
    region: str | None = Field(
        default=None,
        max_length=60,
        title="Région",
        description="Nom ou code de la région si ni commune ni département ne sont donnés.",
    )
    limite: int = Field(
        default=10,
        ge=1,
        le=100,
        title="Nombre de dispositifs",
        description="Nombre de dispositifs à proposer.",
    )


def _lib(valeur: str) -> str:
    return LIBELLES_VALEURS.get(valeur, valeur)


def _implantation(ref: Any, dispositif: Any) -> tuple[set[str], set[str]]:
    """Départements and régions (folded) where the scheme's linked initiatives are."""
    deps, regs = set(), set()
    for i in initiatives_liees(ref, dispositif):
        lieu = getattr(ref.get(i), "lieu", None)
        if lieu is None:
            continue
        if lieu.departement:
            deps.add(lieu.departement)
        if lieu.region:
            regs.add(replier(lieu.region))
    return deps, regs


def _lieu_compatible(ref: Any, d: Any, lieu: Lieu) -> tuple[bool | None, str]:
    """True / False / None (unknown) and a French note on geography."""
    if d.echelle == "national":
        return True, "Dispositif national."
    deps, regs = _implantation(ref, d)
    if len(regs) >= RESEAU_MIN_REGIONS:
        return True, f"Réseau présent dans {len(regs)} régions : chercher l'antenne la plus proche."
    if not deps and not regs:
        return (
            None,
            "Couverture géographique non renseignée dans le référentiel : vérifier qu'il existe près de chez vous.",
        )
    if not lieu.connu:
        return None, "Dispositif territorial : préciser la commune pour savoir s'il vous concerne."
    if d.echelle == "regional":
        ok = lieu.region is not None and replier(lieu.region) in regs
    else:
        ok = lieu.departement is not None and lieu.departement in deps
    return ok, ("Présent sur votre territoire." if ok else "Dispositif d'un autre territoire.")


def moteur(e: EntreeOrientation, r: Rapport) -> None:
    ref = r.referentiel
    r.avertissement = (
        "Orientation indicative à partir du référentiel : les conditions d'accès évoluent, "
        "contacter la structure avant toute démarche. La CRESS de votre région et les réseaux "
        "d'accompagnement peuvent compléter cette liste."
    )
    lieu = situer(
        commune=e.commune,
        qpv=e.qpv,
        departement=e.departement,
        region=e.region,
        en_qpv=e.en_qpv,
        home=r.home,
    )
    if e.stade is None:
        r.manque(
            "stade",
            "À quel stade en est le projet (idée, émergence, création, développement, consolidation, changement d'échelle) ?",
        )
    if not e.besoins:
        r.manque(
            "besoins",
            "De quoi le projet a-t-il besoin (accompagnement, financement, locaux, réseau, formation…) ?",
        )
    if not lieu.connu:
        r.manque(
            "commune",
            "Où le projet est-il implanté (code de la commune, du département ou nom de la région) ?",
        )
    pre_creation = e.structure_immatriculee is False or (
        e.structure_immatriculee is None
        and e.forme_juridique is None
        and e.stade in ("idee", "emergence")
    )
    if e.structure_immatriculee is None and e.forme_juridique is None:
        r.manque(
            "structure_immatriculee", "Le projet a-t-il déjà une structure immatriculée (SIRET) ?"
        )
    if e.structure_immatriculee is False and e.forme_juridique is not None:
        r.raison(
            "coherence-structure",
            SOURCE,
            f"Réponses à concilier : forme juridique « {LIBELLE_FORME[e.forme_juridique]} » indiquée mais "
            "structure non immatriculée ; traitée comme un projet en pré-création.",
            "alerte",
        )
    publics_donnees = publics()
    mots_publics = {p: [replier(m) for m in publics_donnees[p]["mots"]] for p in e.publics}
    ecartes = {"stade": 0, "pre_creation": 0, "qpv": 0, "forme": 0, "lieu": 0}
    notes: list[tuple[float, dict[str, Any]]] = []
    for d in ref.collection("dispositifs"):
        if not isinstance(d, Dispositif):
            continue
        elig = d.eligibilite
        stades = set(d.stades)
        if e.stade and e.stade not in stades:
            ecartes["stade"] += 1
            continue
        if pre_creation and not elig.pre_creation:
            ecartes["pre_creation"] += 1
            continue
        if elig.qpv and e.en_qpv is False and not e.qpv:
            ecartes["qpv"] += 1
            continue
        if elig.formes_juridiques and e.forme_juridique and not pre_creation:
            acceptes = FORMES_ACCEPTEES.get(e.forme_juridique, [])
            if not any(any(a in replier(f) for a in acceptes) for f in elig.formes_juridiques):
                ecartes["forme"] += 1
                continue
        ok_lieu, note_lieu = _lieu_compatible(ref, d, lieu)
        if ok_lieu is False:
            ecartes["lieu"] += 1
            continue
        score, pourquoi = 0.0, []
        if e.stade:
            score += 1
            pourquoi.append(f"Intervient au stade « {_lib(e.stade)} ».")
        communs = set(d.besoins) & set(e.besoins)
        if communs:
            score += 2 * len(communs)
            pourquoi.append(
                f"Répond au(x) besoin(s) : {', '.join(_lib(b).lower() for b in sorted(communs))}."
            )
        elif e.besoins:
            score -= 1
        texte = replier(" ".join([*d.publics, d.titre, d.description]))
        for p, mots in mots_publics.items():
            if any(m in texte for m in mots):
                score += 3
                pourquoi.append(f"S'adresse aux {publics_donnees[p]['libelle']}.")
        if elig.qpv and (e.en_qpv or e.qpv):
            score += 2
            pourquoi.append("Réservé ou prioritaire pour les quartiers prioritaires.")
        if pre_creation and elig.pre_creation:
            pourquoi.append("Accessible sans structure immatriculée (pré-création).")
        if ok_lieu and d.echelle != "national":
            score += 1.5
        elif ok_lieu is None:
            score -= 0.5 if not lieu.connu else 1
        exigences = list(elig.conditions)
        if elig.esus:
            exigences.append("Agrément ESUS exigé")
            if e.esus:
                score += 1
                pourquoi.append("Réservé aux structures agréées ESUS, comme la vôtre.")
            if e.esus is False:
                score -= 2
        if elig.formes_juridiques:
            exigences.append(f"Formes juridiques : {', '.join(elig.formes_juridiques)}")
        if not elig.pre_creation:
            exigences.append("Structure déjà créée")
        notes.append(
            (
                score,
                {
                    "collection": "dispositifs",
                    "id": d.id,
                    "titre": d.titre,
                    "type": d.type,
                    "porteur": d.porteur,
                    "echelle": d.echelle,
                    "score": round(score, 2),
                    "pourquoi": pourquoi,
                    "exigences": exigences,
                    "lieu": note_lieu,
                    "site": d.site,
                },
            )
        )
    classer(r, notes, e.limite)
    r.raison(
        "filtrage",
        SOURCE,
        f"{len(notes)} dispositif(s) retenu(s) ; écartés : {ecartes['stade']} hors stade, "
        f"{ecartes['pre_creation']} réservés aux structures déjà créées, {ecartes['qpv']} réservés aux QPV, "
        f"{ecartes['forme']} pour la forme juridique, {ecartes['lieu']} d'un autre territoire.",
        "information",
    )
    if pre_creation:
        r.raison(
            "pre-creation",
            "Graine 000, accompagnement de la création (L850-883) ; graine 001",
            "Projet sans structure : seuls les dispositifs accessibles en pré-création sont proposés, "
            "beaucoup de services publics exigeant un SIRET.",
            "information",
        )
    if lieu.region:
        r.raison(
            "lieu",
            "Code officiel géographique (INSEE)",
            f"Lieu retenu : {'département ' + lieu.departement + ', ' if lieu.departement else ''}région {lieu.region}"
            f" ({lieu.origine}).",
            "information",
        )
    conclure_classement(
        r,
        "orientation",
        "dispositif(s) adaptés",
        "Dispositif le mieux classé",
        "aucun_dispositif",
        "Aucun dispositif du référentiel ne correspond : la CRESS peut orienter",
    )
    r.suite("disp-cress", "La CRESS de votre région oriente les porteurs de projet de l'ESS")


DIAGNOSTIC = enregistrer(
    Diagnostic(
        nom="orientation",
        titre="Orientation du porteur de projet",
        description="Qui peut m'accompagner à mon stade, ici ? Propose les dispositifs et réseaux "
        "du référentiel adaptés au stade du projet, à ses besoins, à sa forme juridique (ou à son "
        "absence en pré-création), à son lieu et à ses publics, avec la raison de chaque choix et ce qu'il exige.",
        modele=EntreeOrientation,
        moteur=moteur,
    )
)
