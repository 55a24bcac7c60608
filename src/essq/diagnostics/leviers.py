"""Diagnostic « leviers-collectivite »: which levers can our collectivité pull?

Candidates are the levers of seeds 003 and 004 in the référentiel, at their finest level
(broad fields, such as seed 000's, are not ranked). Each is kept only if the collectivité type may use it
(``collectivites``), then scored on the stage of the enterprises to support (``stades``), the
collectivité's competences and priorities (words of the lever, needs of its examples), its
means (``donnees/leviers.yaml``) and examples from comparable territories (linked
initiatives: QPV, same département or région).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from essq.diagnostics.cadre import (
    LIBELLES_VALEURS,
    Diagnostic,
    ModeleEntree,
    Rapport,
    enregistrer,
    enumeration,
)
from essq.diagnostics.classement import classer, conclure_classement, initiatives_liees
from essq.diagnostics.lieux import MOTIF_DEPARTEMENT, replier, situer
from essq.diagnostics.seuils import donnees_yaml
from essq.erreurs import ErreurUtilisateur
from essq.referentiel.schemas import Stade


class TypeCollectivite(StrEnum):
    commune = "commune"
    epci = "epci"
    metropole = "metropole"
    departement = "departement"
    region = "region"


class Moyens(StrEnum):
    limites = "limites"
    moyens = "moyens"
    importants = "importants"


def donnees() -> dict[str, Any]:
    lu: dict[str, Any] = donnees_yaml("leviers.yaml")
    return lu


Competence = enumeration("Competence", donnees()["competences"])


class EntreeLeviers(ModeleEntree):
    type_collectivite: TypeCollectivite | None = Field(
        default=None,
        title="Type de collectivité",
        description="Commune, EPCI (communauté de communes ou d'agglomération), métropole, département ou région.",
    )
    competences: list[Competence] = Field(  # type: ignore[valid-type]
        default_factory=list,
        max_length=20,
        title="Compétences et politiques mobilisables",
        description="Compétences exercées ou politiques que la collectivité veut mobiliser "
        "(développement économique, politique de la ville, commande publique, foncier…).",
    )
    moyens: Moyens | None = Field(
        default=None,
        title="Moyens disponibles",
        description="Budget et ingénierie mobilisables : limites, moyens ou importants.",
    )
    priorites: list[str] = Field(
        default_factory=list,
        max_length=30,
        title="Besoins prioritaires du territoire",
        description="Identifiants de besoins du référentiel (bes-alimentation, bes-mobilite, "
        "bes-emploi-insertion…), pour privilégier les leviers dont les exemples y répondent.",
    )
    stades: list[Stade] = Field(
        default_factory=list,
        max_length=6,
        title="Stade des entreprises de l'ESS à soutenir",
        description="idee, emergence, creation, developpement, consolidation, changement_echelle.",
    )
    en_qpv: bool | None = Field(
        default=None,
        title="Territoire comprenant des QPV",
        description="Le territoire compte-t-il des quartiers prioritaires de la politique de la ville ?",
    )
    en_zrr: bool | None = Field(
        default=None,
        title="Territoire rural fragile (ZRR/FRR)",
        description="Le territoire est-il classé en zone de revitalisation rurale (France ruralités revitalisation) ?",
    )
    departement: str | None = Field(
        default=None,
        pattern=MOTIF_DEPARTEMENT,
        title="Département",
        description="Code du département (ex. 93, 2A, 974), pour citer des exemples proches.",
    )
    limite: int = Field(
        default=10,
        ge=1,
        le=100,
        title="Nombre de leviers",
        description="Nombre de leviers à proposer.",
    )

    @field_validator("priorites")
    @classmethod
    def _ids(cls, valeurs: list[str]) -> list[str]:
        for v in valeurs:
            if not v.startswith("bes-"):
                raise ValueError(f"« {v} » n'est pas un identifiant de besoin (bes-…)")
        return valeurs


def _racine(ref: Any, ident: str) -> str:
    vus = set()
    entree = ref.get(ident)
    while entree is not None and getattr(entree, "parent", None) and entree.id not in vus:
        vus.add(entree.id)
        entree = ref.get(entree.parent)
    return entree.id if entree is not None else ident


def _cout(ref: Any, ident: str) -> str | None:
    couts = donnees()["cout"]
    racine = _racine(ref, ident)
    if racine in couts:
        return str(couts[racine])
    entree = ref.get(racine)
    for eq in getattr(entree, "equivalents", []):
        if _racine(ref, eq) in couts:
            return str(couts[_racine(ref, eq)])
    return None


def _exemples(ref: Any, levier: Any) -> list[Any]:
    vus: dict[str, Any] = {}
    for i in initiatives_liees(ref, levier):
        if i not in vus and ref.get(i) is not None:
            vus[i] = ref.get(i)
    return list(vus.values())


def moteur(e: EntreeLeviers, r: Rapport) -> None:
    ref = r.referentiel
    r.avertissement = (
        "Pistes d'action classées à partir des cadres des graines 003 et 004 : chaque levier "
        "s'exerce dans le respect des compétences de la collectivité et du droit des aides et de la "
        "commande publique, à vérifier avec ses services juridiques."
    )
    inconnus = [p for p in e.priorites if ref.get(p) is None]
    if inconnus:
        raise ErreurUtilisateur(
            f"Besoin inconnu du référentiel : {inconnus[0]}",
            champ=f"priorites.{e.priorites.index(inconnus[0])}",
            correctif="Choisir des identifiants de la collection besoins (essq referentiel chercher --collection besoins).",
        )
    if e.type_collectivite is None:
        r.manque(
            "type_collectivite",
            "Quel est le type de collectivité (commune, EPCI, métropole, département, région) ?",
        )
    if not e.stades:
        r.manque("stades", "À quel stade sont les entreprises de l'ESS à soutenir ?")
    if not e.competences:
        r.manque(
            "competences",
            "Quelles compétences ou politiques la collectivité veut-elle mobiliser (développement "
            "économique, politique de la ville, commande publique, foncier…) ?",
        )
    if not e.priorites:
        r.manque(
            "priorites",
            "Quels besoins du territoire sont prioritaires (alimentation, mobilité, emploi…) ?",
        )
    if e.moyens is None:
        r.manque("moyens", "De quels moyens (budget, ingénierie) la collectivité dispose-t-elle ?")
    lieu = situer(departement=e.departement, en_qpv=e.en_qpv)
    competences = donnees()["competences"]
    mots = [(c, [replier(m) for m in competences[c]["mots"]]) for c in e.competences]
    priorites = set(e.priorites)
    leviers = ref.collection("leviers")
    parents = {getattr(x, "parent", None) for x in leviers}
    type_c = e.type_collectivite
    acceptes = {type_c} | ({"epci"} if type_c == "metropole" else set()) if type_c else set()
    exclus = 0
    notes: list[tuple[float, dict[str, Any]]] = []
    for levier in leviers:
        if levier.id in parents or getattr(levier, "niveau", "") == "champ":
            continue  # rank actionable levers at their finest level, not broad fields
        pourquoi: list[str] = []
        score = 0.0
        types = set(getattr(levier, "collectivites", []))
        if type_c and types and not (acceptes & types):
            exclus += 1
            continue
        if type_c and types:
            pourquoi.append(
                f"Ouvert aux collectivités de type « {LIBELLES_VALEURS.get(type_c, type_c)} »."
            )
        stades = set(getattr(levier, "stades", []))
        commun = stades & set(e.stades)
        if commun:
            score += 2
            pourquoi.append(
                "Adapté au(x) stade(s) : "
                + ", ".join(LIBELLES_VALEURS.get(x, x).lower() for x in sorted(commun))
                + "."
            )
        elif e.stades and stades:
            score -= 1
        texte = replier(" ".join([levier.titre, levier.description, *levier.mots_cles]))
        for c, liste in mots:
            if any(m in texte for m in liste):
                score += 1.5
                pourquoi.append(f"Mobilise la compétence « {competences[c]['libelle']} ».")
        cout = _cout(ref, levier.id)
        if e.moyens and cout:
            if e.moyens == "limites" and cout == "eleve":
                score -= 2
                pourquoi.append(
                    "Demande un budget ou un patrimoine importants, au-delà des moyens déclarés."
                )
            elif e.moyens == "limites" and cout == "faible":
                score += 1
                pourquoi.append("Peu coûteux : réoriente des pratiques existantes.")
            elif e.moyens == "importants" and cout == "eleve":
                score += 1
        exemples = _exemples(ref, levier)
        choisis = []
        for ini in exemples:
            points, motifs = 0.0, []
            besoins = set(getattr(ini, "besoins", []))
            if priorites & besoins:
                points += 1
                motifs.append("répond à une priorité")
            lieu_ini = getattr(ini, "lieu", None)
            if e.en_qpv and lieu_ini is not None and lieu_ini.qpv:
                points += 0.5
                motifs.append("en QPV")
            if (
                e.en_zrr
                and lieu_ini is not None
                and not lieu_ini.qpv
                and "004" in ref.graines(ini.id)
            ):
                points += 0.5
                motifs.append("territoire fragile étudié par la graine 004 (QPV ou ZRR)")
            if (
                lieu.departement
                and lieu_ini is not None
                and lieu_ini.departement == lieu.departement
            ):
                points += 1
                motifs.append("même département")
            elif (
                lieu.region
                and lieu_ini is not None
                and lieu_ini.region
                and replier(lieu_ini.region) == replier(lieu.region)
            ):
                points += 0.5
                motifs.append("même région")
            choisis.append((points, ini, motifs))
        choisis.sort(key=lambda t: -t[0])
        bonus = min(3.0, sum(p for p, _, _ in choisis))
        if bonus:
            score += bonus
            pourquoi.append("Exemples dans des territoires ou sur des besoins comparables.")
        parent = (
            ref.get(str(getattr(levier, "parent", ""))) if getattr(levier, "parent", None) else None
        )
        resultat = {
            "collection": "leviers",
            "id": levier.id,
            "titre": levier.titre,
            "cadre": getattr(levier, "cadre", None),
            "numero": getattr(levier, "numero", None),
            "parent": {"id": parent.id, "titre": parent.titre} if parent else None,
            "score": round(score, 2),
            "pourquoi": pourquoi,
            "outils_juridiques": [
                o.model_dump(exclude_none=True) for o in getattr(levier, "outils_juridiques", [])
            ],
            "conditions": list(getattr(levier, "conditions", [])),
            "exemples": [
                {
                    "id": ini.id,
                    "titre": ini.titre,
                    "lieu": getattr(ini.lieu, "commune", None) or getattr(ini.lieu, "region", None),
                    "pourquoi": motifs,
                }
                for _, ini, motifs in choisis[:3]
            ],
            "dispositifs": [
                {"id": d, "titre": getattr(ref.get(d), "titre", d)}
                for d in getattr(levier, "dispositifs", [])
                if ref.get(d)
            ],
        }
        notes.append((score, resultat))
    classer(r, notes, e.limite)
    source = "Graine 004, partie II (L269-660) ; graine 003, champs d'action #1 à #7"
    if type_c:
        r.raison(
            "competences-collectivite",
            source,
            f"{exclus} levier(s) écarté(s) car le référentiel ne les ouvre pas aux collectivités de type « {LIBELLES_VALEURS.get(type_c, type_c)} »"
            + (
                " (depuis la loi NOTRe, la région est cheffe de file des aides aux entreprises et le département ne "
                "peut plus financer directement les acteurs économiques)."
                if type_c == "departement"
                else "."
            ),
            "information",
        )
    if e.en_zrr:
        r.raison(
            "territoire-rural",
            "Graine 004, territoires fragiles (L135-152) et sélection des monographies (L774-778)",
            "Les leviers de la graine 004 ont été observés dans des territoires fragiles, QPV et ZRR : ses "
            "monographies rurales servent d'exemples comparables.",
            "information",
        )
    r.raison(
        "classement",
        source,
        f"{len(notes)} levier(s) compatibles classés selon le stade des entreprises, les compétences, les moyens "
        "et des exemples comparables ; les moyens requis sont un repère ESS Quartiers (donnees/leviers.yaml).",
        "information",
    )
    conclure_classement(
        r,
        "classement",
        "levier(s) proposés",
        "Levier le mieux classé : outils juridiques, conditions et exemples",
        "aucun_levier",
        "Aucun levier ne correspond : élargir les stades ou le type de collectivité",
    )
    r.suite("disp-cress", "La CRESS accompagne les collectivités dans leur politique ESS")


DIAGNOSTIC = enregistrer(
    Diagnostic(
        nom="leviers-collectivite",
        titre="Leviers pour ma collectivité",
        description="Quels leviers notre collectivité peut-elle actionner pour l'ESS ? Classe les "
        "leviers des graines 003 et 004 selon le type de collectivité, ses compétences, ses moyens, "
        "ses priorités, son territoire et le stade des entreprises à soutenir, avec outils juridiques, "
        "conditions et exemples de territoires comparables.",
        modele=EntreeLeviers,
        moteur=moteur,
    )
)
