"""The frame every diagnostic shares: registry, input validation, one output shape.

A diagnostic is a :class:`Diagnostic` (name, French title and description, pydantic input
model, engine function). The engine receives the validated input and a :class:`Rapport` it
fills with reasons (rule, source, plain-French explanation, status), missing answers, and
links to référentiel entries; :meth:`Rapport.en_dict` gives the JSON every engine returns::

    {"diagnostic", "titre", "verdict": {"code", "libelle"}, "resultats": [...],
     "raisons": [{"regle", "source", "explication", "statut"}],
     "manquant": [{"champ", "question"}],
     "suites": [{"collection", "id", "titre", "pourquoi"}],
     "avertissement", "indicateurs": {...}, "graphique": {...} | None}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from essq.erreurs import ErreurUtilisateur
from essq.referentiel import Referentiel, charger

StatutRaison = Literal["remplie", "non_remplie", "inconnue", "sans_objet", "information", "alerte"]

AVERTISSEMENT_GENERAL = (
    "Ce diagnostic informe et oriente ; il ne remplace ni l'instruction d'un dossier par "
    "l'administration compétente ni le conseil d'un accompagnateur (CRESS, DLA, réseaux)."
)


class ModeleEntree(BaseModel):
    """Base of every input model: unknown fields are refused (typos are named, not ignored)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


@dataclass
class Rapport:
    """What an engine fills while it applies its rules."""

    nom: str
    titre: str
    referentiel: Referentiel
    raisons: list[dict[str, str]] = field(default_factory=list)
    manquant: list[dict[str, str]] = field(default_factory=list)
    suites: list[dict[str, str]] = field(default_factory=list)
    resultats: list[dict[str, Any]] = field(default_factory=list)
    indicateurs: dict[str, Any] = field(default_factory=dict)
    graphique: dict[str, Any] | None = None
    avertissement: str = AVERTISSEMENT_GENERAL
    verdict: dict[str, str] | None = None
    home: Path | str | None = None  # where imported territories are (None: ESSQ_HOME)

    def raison(
        self, regle: str, source: str, explication: str, statut: StatutRaison = "information"
    ) -> None:
        self.raisons.append(
            {"regle": regle, "source": source, "explication": explication, "statut": statut}
        )

    def manque(self, champ: str, question: str) -> None:
        if not any(m["champ"] == champ for m in self.manquant):
            self.manquant.append({"champ": champ, "question": question})

    def suite(self, ident: str, pourquoi: str) -> None:
        """Link to a référentiel entry (silently skipped if the id is absent: tests check ids)."""
        entree = self.referentiel.get(ident)
        if entree is None or any(s["id"] == ident for s in self.suites):
            return
        self.suites.append(
            {
                "collection": self.referentiel.collection_de(ident),
                "id": ident,
                "titre": entree.titre,
                "pourquoi": pourquoi,
            }
        )

    def conclure(self, code: str, libelle: str) -> None:
        self.verdict = {"code": code, "libelle": libelle}

    def en_dict(self) -> dict[str, Any]:
        return {
            "diagnostic": self.nom,
            "titre": self.titre,
            "verdict": self.verdict
            or {"code": "indetermine", "libelle": "Pas de conclusion possible"},
            "resultats": self.resultats,
            "raisons": self.raisons,
            "manquant": self.manquant,
            "suites": self.suites,
            "avertissement": self.avertissement,
            "indicateurs": {k: _propre(v) for k, v in self.indicateurs.items()},
            "graphique": self.graphique,
        }


def _propre(valeur: Any) -> Any:
    """JSON-safe numbers: no NaN nor infinity, floats rounded for reading."""
    if isinstance(valeur, float):
        return None if not math.isfinite(valeur) else round(valeur, 4)
    return valeur


Moteur = Callable[[Any, Rapport], None]


@dataclass(frozen=True)
class Diagnostic:
    nom: str
    titre: str
    description: str
    modele: type[ModeleEntree]
    moteur: Moteur
    enrichir_schema: Callable[[dict[str, Any], Referentiel], None] | None = None

    def fiche(self) -> dict[str, str]:
        return {"nom": self.nom, "titre": self.titre, "description": self.description}


REGISTRE: dict[str, Diagnostic] = {}

# French labels of enum values, shown by guided forms (``x-libelles`` in the JSON schema)
LIBELLES_VALEURS: dict[str, str] = {}


def libelles(valeurs: Mapping[str, str]) -> None:
    """Register French labels for enum values (a module calls it once at import)."""
    LIBELLES_VALEURS.update(valeurs)


def enumeration(nom: str, fiches: Mapping[str, Mapping[str, Any]]) -> type[StrEnum]:
    """An answer vocabulary kept as data: one value per key of ``fiches``, whose
    « libelle » (capitalised) is registered as the value's French label."""
    libelles({cle: str(fiche["libelle"]).capitalize() for cle, fiche in fiches.items()})
    return StrEnum(nom, {cle: cle for cle in fiches})  # type: ignore[misc,return-value]


def _ajouter_libelles(noeud: Any) -> None:
    if isinstance(noeud, dict):
        if "enum" in noeud and all(isinstance(v, str) for v in noeud["enum"]):
            noeud["x-libelles"] = {
                v: LIBELLES_VALEURS.get(v, v.replace("_", " ").capitalize()) for v in noeud["enum"]
            }
        for valeur in noeud.values():
            _ajouter_libelles(valeur)
    elif isinstance(noeud, list):
        for valeur in noeud:
            _ajouter_libelles(valeur)


def enregistrer(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.nom in REGISTRE:
        raise ValueError(f"diagnostic déjà enregistré : {diagnostic.nom}")
    REGISTRE[diagnostic.nom] = diagnostic
    return diagnostic


def trouver(nom: str) -> Diagnostic:
    try:
        return REGISTRE[nom]
    except KeyError:
        raise ErreurUtilisateur(
            f"Diagnostic « {nom} » inconnu",
            champ="nom",
            correctif=f"Choisir parmi : {', '.join(sorted(REGISTRE))} (essq diagnostic liste).",
        ) from None


# ---------------------------------------------------------------- validation errors in French

_MESSAGES = {
    "missing": "champ obligatoire absent",
    "extra_forbidden": "champ inconnu pour ce diagnostic",
    "bool_parsing": "doit valoir vrai (true) ou faux (false)",
    "bool_type": "doit valoir vrai (true) ou faux (false)",
    "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "string_type": "doit être un texte",
    "list_type": "doit être une liste",
    "dict_type": "doit être un objet JSON",
    "model_type": "doit être un objet JSON",
    "date_parsing": "doit être une date AAAA-MM-JJ",
    "date_from_datetime_parsing": "doit être une date AAAA-MM-JJ",
    "date_type": "doit être une date AAAA-MM-JJ",
    "finite_number": "doit être un nombre fini",
    "too_long": "contient trop d'éléments",
    "too_short": "ne contient pas assez d'éléments",
    "string_too_long": "texte trop long",
}


def _message(erreur: Mapping[str, Any]) -> str:
    type_ = str(erreur.get("type", ""))
    ctx = erreur.get("ctx") or {}
    if type_ in ("enum", "literal_error"):
        attendu = str(ctx.get("expected", "?")).replace(" or ", " ou ")
        return f"valeur non autorisée (valeurs possibles : {attendu})"
    if type_ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        signe = {
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than_equal": "≤",
            "less_than": "<",
        }[type_]
        borne = next(iter(ctx.values()), "?")
        return f"doit être {signe} {borne}"
    if type_ == "value_error":
        return str(ctx.get("error", erreur.get("msg", "valeur invalide")))
    return _MESSAGES.get(type_, f"valeur invalide ({type_})")


def valider(diagnostic: Diagnostic, entree: object) -> ModeleEntree:
    """The validated input, or ErreurUtilisateur naming the field at fault."""
    if not isinstance(entree, Mapping):
        raise ErreurUtilisateur(
            f"L'entrée du diagnostic « {diagnostic.nom} » doit être un objet JSON "
            f"(reçu : {type(entree).__name__})",
            correctif=f"Fournir un objet {{…}} ; voir le schéma : essq diagnostic {diagnostic.nom} "
            "--schema.",
        )
    try:
        return diagnostic.modele.model_validate(dict(entree))
    except ValidationError as exc:
        erreurs = exc.errors(include_url=False)
        premiere = erreurs[0]
        champ = ".".join(str(p) for p in premiere.get("loc", ())) or None
        autres = f" (et {len(erreurs) - 1} autre(s) problème(s))" if len(erreurs) > 1 else ""
        raise ErreurUtilisateur(
            f"Entrée invalide pour le diagnostic « {diagnostic.nom} » : "
            f"{champ or 'entrée'} {_message(premiere)}{autres}",
            champ=champ,
            correctif=f"Corriger ce champ ; le schéma JSON de l'entrée est donné par "
            f"« essq diagnostic {diagnostic.nom} --schema ».",
        ) from None


def executer(
    nom: str,
    entree: object,
    referentiel: Referentiel | None = None,
    *,
    home: Path | str | None = None,
) -> dict[str, Any]:
    diagnostic = trouver(nom)
    modele = valider(diagnostic, entree)
    rapport = Rapport(diagnostic.nom, diagnostic.titre, referentiel or charger(), home=home)
    diagnostic.moteur(modele, rapport)
    return rapport.en_dict()


def schema(nom: str) -> dict[str, Any]:
    diagnostic = trouver(nom)
    resultat = diagnostic.modele.model_json_schema()
    resultat["title"] = diagnostic.titre
    resultat["description"] = diagnostic.description
    if diagnostic.enrichir_schema is not None:
        diagnostic.enrichir_schema(resultat, charger())
    _ajouter_libelles(resultat)
    return resultat


def lister() -> list[dict[str, str]]:
    return [d.fiche() for d in REGISTRE.values()]
