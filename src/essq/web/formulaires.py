"""Guided forms generated from a diagnostic's JSON schema, and the answers read back.

A form is a list of steps (one per nested object of the schema, the top-level fields first;
long flat schemas are cut into steps of a few fields). Each field has its French title, its
help text (the schema's ``description``) and a widget chosen from its type. The form is sent
with GET, so the result page's address holds the answers: sharing it shares the answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from essq.erreurs import ErreurUtilisateur

CHAMPS_PAR_ETAPE = 6


@dataclass
class Champ:
    nom: str  # dotted path, e.g. "activite.chiffre_affaires"
    titre: str
    aide: str | None
    widget: str  # texte, nombre, entier, booleen, choix, choix_multiple, zone
    obligatoire: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    defaut: Any = None


@dataclass
class Etape:
    titre: str
    aide: str | None
    champs: list[Champ]


def _resoudre(schema: dict[str, Any], racine: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and single-branch ``allOf``/``anyOf`` (nullable) wrappers."""
    for _ in range(10):
        if "$ref" in schema:
            chemin = schema["$ref"].lstrip("#/").split("/")
            cible: Any = racine
            for p in chemin:
                cible = cible.get(p, {})
            fusion = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**cible, **fusion}
            continue
        for cle in ("allOf", "anyOf", "oneOf"):
            if cle in schema:
                branches = [b for b in schema[cle] if b.get("type") != "null"]
                if len(branches) == 1:
                    fusion = {k: v for k, v in schema.items() if k != cle}
                    schema = {**branches[0], **fusion}
                    break
        else:
            return schema
    return schema


def _options(s: dict[str, Any]) -> list[tuple[str, str]]:
    valeurs = s.get("enum") or []
    libelles = s.get("x-libelles") or s.get("x-enum-libelles") or {}
    if isinstance(libelles, list):
        libelles = dict(zip(valeurs, libelles, strict=False))
    return [(str(v), str(libelles.get(v, v)).replace("_", " ")) for v in valeurs]


def _champ(nom: str, s: dict[str, Any], obligatoire: bool, racine: dict[str, Any]) -> Champ:
    titre = s.get("title") or nom.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    aide = s.get("description")
    t = s.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    widget = "texte"
    options: list[tuple[str, str]] = []
    if "enum" in s:
        widget, options = "choix", _options(s)
    elif "const" in s:
        widget, options = "choix", [(str(s["const"]), str(s["const"]))]
    elif t == "boolean":
        widget = "booleen"
    elif t == "integer":
        widget = "entier"
    elif t == "number":
        widget = "nombre"
    elif t == "array":
        items = _resoudre(s.get("items", {}), racine)
        if "enum" in items:
            widget, options = "choix_multiple", _options(items)
        else:
            widget = "zone"
    elif s.get("maxLength", 0) and s["maxLength"] > 200:
        widget = "zone"
    mini = s.get("minimum", s.get("exclusiveMinimum"))
    maxi = s.get("maximum", s.get("exclusiveMaximum"))
    return Champ(nom, titre, aide, widget, obligatoire, options, mini, maxi, s.get("default"))


def etapes(schema: dict[str, Any]) -> list[Etape]:
    """The steps of the guided form of a JSON schema."""
    racine = schema
    s = _resoudre(schema, racine)
    requis = set(s.get("required", []))
    simples: list[Champ] = []
    groupes: list[Etape] = []
    for nom, prop in (s.get("properties") or {}).items():
        p = _resoudre(prop, racine)
        if p.get("type") == "object" and p.get("properties"):
            sous_requis = set(p.get("required", []))
            champs = [
                _champ(
                    f"{nom}.{n}", _resoudre(sp, racine), n in sous_requis and nom in requis, racine
                )
                for n, sp in p["properties"].items()
            ]
            groupes.append(
                Etape(
                    p.get("title") or nom.replace("_", " ").capitalize(),
                    p.get("description"),
                    champs,
                )
            )
        else:
            simples.append(_champ(nom, p, nom in requis, racine))
    resultat: list[Etape] = []
    if simples:
        n = math.ceil(len(simples) / CHAMPS_PAR_ETAPE)
        taille = math.ceil(len(simples) / n)
        for i in range(n):
            morceau = simples[i * taille : (i + 1) * taille]
            titre = "Informations générales" if i == 0 else f"Informations générales (suite {i})"
            resultat.append(Etape(titre, None, morceau))
    return resultat + groupes


def _convertir(champ: Champ, valeurs: list[str]) -> Any:
    valeurs = [v for v in valeurs if v.strip() != ""]
    if not valeurs:
        return None
    v = valeurs[-1].strip()
    try:
        if champ.widget == "booleen":
            if v not in ("oui", "non", "true", "false"):
                raise ValueError
            return v in ("oui", "true")
        if champ.widget == "entier":
            return int(v)
        if champ.widget == "nombre":
            x = float(v.replace(",", ".").replace("\u202f", "").replace(" ", ""))
            if not math.isfinite(x):
                raise ValueError
            return x
    except ValueError as exc:
        raise ErreurUtilisateur(
            f"Réponse invalide à « {champ.titre} » : {v[:40]}.",
            champ=champ.nom,
            correctif="saisir un nombre (ex. 12,5)"
            if champ.widget != "booleen"
            else "choisir oui ou non",
        ) from exc
    if champ.widget == "choix_multiple":
        return valeurs
    if champ.widget == "zone" and champ.options == []:
        return v
    return v


def reponses(etapes_: list[Etape], parametres: dict[str, list[str]]) -> dict[str, Any]:
    """The JSON input of the diagnostic from the form's query parameters (empty answers left out)."""
    entree: dict[str, Any] = {}
    for etape in etapes_:
        for champ in etape.champs:
            valeur = _convertir(champ, parametres.get(champ.nom, []))
            if valeur is None:
                continue
            cible = entree
            parties = champ.nom.split(".")
            for p in parties[:-1]:
                cible = cible.setdefault(p, {})
            cible[parties[-1]] = valeur
    return entree


def valeurs_formulaire(entree: dict[str, Any], prefixe: str = "") -> dict[str, Any]:
    """Flatten a JSON input back to dotted names, to pre-fill the form."""
    res: dict[str, Any] = {}
    for k, v in entree.items():
        nom = f"{prefixe}{k}"
        if isinstance(v, dict):
            res.update(valeurs_formulaire(v, nom + "."))
        else:
            res[nom] = v
    return res
