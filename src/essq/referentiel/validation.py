"""Reading and validating a référentiel folder: every problem, precisely, in French.

A référentiel folder holds one sub-folder per collection (``familles/``, ``initiatives/``…), each
with YAML files; each file is a list of entries. :func:`lire` parses and validates the whole
folder and returns the valid entries with the list of :class:`Probleme` found: schema errors
(missing or unknown field, wrong enum value, untyped date or amount…), duplicate ids,
links that do not resolve (typed links of ``schemas.LIENS`` and ``voir_aussi``), sources that
name no known seed, inconsistent levier hierarchy, ids that break the naming convention.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from essq.referentiel import schemas
from essq.referentiel.schemas import COLLECTIONS, LIENS, SEEDS, Entree

DOSSIER_DONNEES = Path(__file__).resolve().parent / "donnees"

# Id prefix of each collection (see docs/referentiel.md, « Conventions d'identifiants »).
PREFIXES: dict[str, str] = {
    "familles": r"famille-",
    "statuts": r"statut-",
    "structures_inclusion": r"si-",
    "dispositifs": r"disp-",
    "leviers": r"lev(000|003|004)-",
    "cadres_cooperation": r"coop-",
    "initiatives": r"ini-(000|001|002|003|004)-",
    "modeles_socio_economiques": r"mse-",
    "ressources": r"res-",
    "criteres_perennite": r"crit-\d{2}-",
    "besoins": r"bes-",
    "activites": r"act-",
    "chiffres_cles": r"cc-(000|001|002|003|004)-",
    "glossaire": r"glo-",
    "ressources_documentaires": r"doc-",
}
EXEMPLES_ID: dict[str, str] = {
    "familles": "famille-cooperative",
    "statuts": "statut-scop",
    "structures_inclusion": "si-aci",
    "dispositifs": "disp-dla",
    "leviers": "lev004-1-2",
    "cadres_cooperation": "coop-ptce",
    "initiatives": "ini-001-regie-de-quartier-x",
    "modeles_socio_economiques": "mse-1",
    "ressources": "res-dons-mecenat",
    "criteres_perennite": "crit-03-diversification-des-ressources",
    "besoins": "bes-mobilite",
    "activites": "act-epicerie-solidaire",
    "chiffres_cles": "cc-000-emplois-ess-qpv",
    "glossaire": "glo-esus",
    "ressources_documentaires": "doc-guide-rtes",
}
# Which levier prefix goes with which cadre.
CADRE_DU_PREFIXE = {
    "lev000": "seed000_champs_collectivites",
    "lev003": "seed003_7_champs",
    "lev004": "seed004_6_leviers",
}
NIVEAU_PARENT = {"action": "levier", "levier": "champ"}
MOTIF_GRAINE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
GRAINE_DU_FICHIER = {fichier: code for code, fichier in SEEDS.items()}


@dataclass(frozen=True)
class Probleme:
    """One validation problem: where it is (file, line, entry, field), what is wrong, the fix."""

    fichier: str
    ligne: int | None
    id: str | None
    champ: str | None
    probleme: str
    correctif: str
    gravite: Literal["erreur", "avertissement"] = "erreur"

    @classmethod
    def du_fichier(
        cls,
        fichier: str,
        probleme: str,
        correctif: str,
        gravite: Literal["erreur", "avertissement"] = "erreur",
    ) -> Probleme:
        """A problem of a whole file or folder (no line, entry or field)."""
        return cls(fichier, None, None, None, probleme, correctif, gravite)

    def lieu(self) -> str:
        lieu = self.fichier + (f":{self.ligne}" if self.ligne is not None else "")
        if self.id:
            lieu += f" · entrée « {self.id} »"
        if self.champ:
            lieu += f" · champ « {self.champ} »"
        return lieu

    def texte(self) -> str:
        titre = "Problème" if self.gravite == "erreur" else "Avertissement"
        return f"{self.lieu()}\n  {titre} : {self.probleme}\n  Comment corriger : {self.correctif}"

    def en_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EntreeLue:
    """An entry with where it was read; ``entree`` is None when it failed its schema."""

    collection: str
    id: str
    entree: Entree | None
    fichier: str
    ligne: int | None
    noeud: yaml.Node | None = None


@dataclass
class Lecture:
    entrees: list[EntreeLue]
    problemes: list[Probleme]
    fichiers: int


# ---------------------------------------------------------------- YAML with line numbers

try:
    _Chargeur: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Chargeur = yaml.SafeLoader


def _composer(texte: str) -> tuple[yaml.Node | None, Any]:
    """Parse ``texte``; return its node tree (for line numbers) and its Python value."""
    chargeur = _Chargeur(texte)
    try:
        noeud = chargeur.get_single_node()
        valeur = chargeur.construct_document(noeud) if noeud is not None else None
    finally:
        chargeur.dispose()
    return noeud, valeur


def _cles_en_double(noeud: yaml.Node | None) -> list[tuple[str, int]]:
    """Keys written twice in the same mapping (PyYAML silently keeps the last one)."""
    doubles: list[tuple[str, int]] = []
    pile = [noeud] if noeud is not None else []
    while pile:
        courant = pile.pop()
        if isinstance(courant, yaml.MappingNode):
            vues: set[str] = set()
            for cle, valeur in courant.value:
                nom = getattr(cle, "value", None)
                if isinstance(nom, str):
                    if nom in vues:
                        doubles.append((nom, int(cle.start_mark.line) + 1))
                    vues.add(nom)
                pile.append(valeur)
        elif isinstance(courant, yaml.SequenceNode):
            pile.extend(courant.value)
    return sorted(doubles, key=lambda d: d[1])


def _ligne(noeud: yaml.Node | None, chemin: Sequence[int | str] = ()) -> int | None:
    """1-based line of the node reached by following ``chemin`` (keys and indices)."""
    if noeud is None:
        return None
    courant = noeud
    for pas in chemin:
        suivant = None
        if isinstance(courant, yaml.MappingNode) and isinstance(pas, str):
            for cle, valeur in courant.value:
                if getattr(cle, "value", None) == pas:
                    if isinstance(valeur, yaml.ScalarNode):
                        return int(cle.start_mark.line) + 1
                    suivant = valeur
                    break
        elif (
            isinstance(courant, yaml.SequenceNode)
            and isinstance(pas, int)
            and 0 <= pas < len(courant.value)
        ):
            suivant = courant.value[pas]
        if suivant is None:
            break
        courant = suivant
    return int(courant.start_mark.line) + 1


# ---------------------------------------------------------------- pydantic errors in French


def _chemin(loc: Iterable[int | str]) -> str:
    texte = ""
    for pas in loc:
        if isinstance(pas, int):
            texte += f"[{pas}]"
        else:
            texte += ("." if texte else "") + str(pas)
    return texte


def _modele_au_chemin(modele: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The nested model that holds the last element of ``loc`` (for field-name suggestions)."""
    courant: type[BaseModel] = modele
    for pas in loc[:-1]:
        if isinstance(pas, int):
            continue
        champ = courant.model_fields.get(pas)
        if champ is None:
            return None
        sous = _modele_dans(champ.annotation)
        if sous is None:
            return None
        courant = sous
    return courant


def _modele_dans(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        trouve = _modele_dans(arg)
        if trouve is not None:
            return trouve
    return None


def _entre_guillemets(valeur: Any) -> str:
    if isinstance(valeur, str):
        return f"« {valeur[:80]} »"
    return f"« {json.dumps(valeur, ensure_ascii=False, default=str)[:80]} »"


def _motif_explique(champ: str, motif: str) -> tuple[str, str]:
    if champ == "id" or champ.endswith("]") and "id" in champ:
        return (
            "identifiant mal formé",
            "Utiliser uniquement des minuscules sans accent, des chiffres et des tirets "
            "(ex. ini-001-regie-de-quartier-x), 80 caractères au plus.",
        )
    if champ.endswith("code_insee"):
        return (
            "code INSEE de commune invalide",
            'Écrire le code officiel à 5 caractères entre guillemets (ex. "93066", "2A004").',
        )
    if champ.endswith("departement"):
        return (
            "code de département invalide",
            'Écrire le code entre guillemets (ex. "93", "2A", "974").',
        )
    if champ.endswith("lignes"):
        return (
            "plage de lignes mal écrite",
            "Écrire « L341-351 », « L12 » ou plusieurs plages séparées par des virgules "
            "(« L12-20, L40 »).",
        )
    if "voir_aussi" in champ:
        return (
            "lien libre mal écrit",
            "Écrire « collection:identifiant » (ex. dispositifs:disp-dla).",
        )
    if "categories_juridiques_insee" in champ:
        return (
            "catégorie juridique INSEE invalide",
            'Écrire le code à 4 chiffres entre guillemets (ex. "9220").',
        )
    if "[" in champ or champ in {"parent", "famille", "statut", "modele_socio_economique"}:
        return (
            "identifiant mal formé",
            "Un lien s'écrit avec l'identifiant exact de l'entrée visée : minuscules, chiffres, tirets.",
        )
    return (
        f"format invalide (motif attendu : {motif})",
        "Corriger la valeur selon le format attendu.",
    )


# pydantic error types (by prefix) whose message is « <attendu>, reçu <valeur> »: what was
# expected and how to write it in YAML
_TYPES_ATTENDUS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("bool_",), "booléen attendu", "Écrire true ou false (sans guillemets)."),
    (
        ("date_", "datetime_"),
        "date attendue",
        "Écrire la date au format AAAA-MM-JJ sans guillemets (ex. 2014-07-31).",
    ),
    (
        ("list_type", "tuple_type", "set_type"),
        "liste attendue",
        "Écrire une liste YAML : une valeur par ligne, précédée de « - », ou [a, b].",
    ),
    (
        ("model_type", "dict_type", "model_attributes_type"),
        "objet attendu (des champs « nom: valeur » indentés)",
        "Écrire les sous-champs indentés sous ce champ.",
    ),
)


def traduire_erreur(modele: type[BaseModel], erreur: Any, collection: str) -> tuple[str, str, str]:
    """(champ, problème, correctif) in French for one pydantic error."""
    loc = tuple(erreur.get("loc", ()))
    champ = _chemin(loc)
    typ = erreur.get("type", "")
    ctx = erreur.get("ctx") or {}
    recu = erreur.get("input")
    nom = str(loc[-1]) if loc else ""

    if typ == "missing":
        ou = "à l'entrée" if len(loc) == 1 else f"dans « {_chemin(loc[:-1])} »"
        return (
            champ,
            "champ obligatoire absent",
            f"Ajouter le champ « {nom} » {ou} (voir docs/referentiel.md).",
        )
    if typ == "extra_forbidden":
        parent = _modele_au_chemin(modele, loc)
        permis = sorted(parent.model_fields) if parent else []
        proches = difflib.get_close_matches(nom, permis, n=1)
        conseil = f"Vouliez-vous dire « {proches[0]} » ? " if proches else ""
        ou = f"la collection « {collection} »" if len(loc) == 1 else f"« {_chemin(loc[:-1])} »"
        return (
            champ,
            f"champ inconnu pour {ou}",
            f"{conseil}Champs permis : {', '.join(permis)}.",
        )
    if typ == "string_too_short":
        minimum = ctx.get("min_length", 1)
        longueur = len(recu.strip()) if isinstance(recu, str) else 0
        if minimum > 1:
            return (
                champ,
                f"texte trop court ({longueur} caractère(s), au moins {minimum} attendus)",
                "Rédiger, dans vos propres mots, une ou deux phrases qui expliquent l'entrée ; "
                "un intitulé ne suffit pas.",
            )
        return champ, "texte vide", f"Renseigner « {nom} » ou retirer le champ s'il est facultatif."
    if typ == "string_too_long":
        return (
            champ,
            f"texte trop long (au plus {ctx.get('max_length')} caractères)",
            "Raccourcir la valeur.",
        )
    if typ == "string_pattern_mismatch":
        probleme, correctif = _motif_explique(champ, str(ctx.get("pattern", "")))
        return champ, f"{probleme} : {_entre_guillemets(recu)}", correctif
    if typ == "string_type":
        if isinstance(recu, bool | int | float | dt.date):
            return (
                champ,
                f"texte attendu, la valeur {_entre_guillemets(recu)} a été lue comme un nombre, un booléen ou une date",
                'Mettre la valeur entre guillemets (ex. "0123", "3.2") : YAML supprime sinon les zéros initiaux ou convertit la valeur.',
            )
        return (
            champ,
            f"texte attendu, reçu {_entre_guillemets(recu)}",
            "Écrire une chaîne de caractères.",
        )
    if typ in {"enum", "literal_error"}:
        attendu = str(ctx.get("expected", "")).replace(" or ", ", ")
        return (
            champ,
            f"valeur {_entre_guillemets(recu)} non permise",
            f"Choisir une des valeurs permises : {attendu}.",
        )
    if typ.startswith(("float_", "int_")) or typ in {"finite_number"}:
        entier = typ.startswith("int_")
        attendu = "un nombre entier" if entier else "un nombre"
        if isinstance(recu, str):
            correctif = (
                "Écrire le nombre seul, sans guillemets, espace, unité ni symbole "
                "(ex. 12000 ou 57.5) ; l'unité va dans le champ « unite »."
            )
        else:
            correctif = f"Écrire {attendu} (ex. {'2021' if entier else '12000.5'})."
        return champ, f"{attendu} est attendu, reçu {_entre_guillemets(recu)}", correctif
    for prefixes, attendu, correctif in _TYPES_ATTENDUS:
        if typ.startswith(prefixes):
            return champ, f"{attendu}, reçu {_entre_guillemets(recu)}", correctif
    if typ == "too_short":
        minimum = ctx.get("min_length", 1)
        if nom == "sources":
            return (
                champ,
                "aucune source",
                "Citer au moins une source : document (nom du fichier de la graine, ex. "
                f"{SEEDS['000']}) avec section et/ou lignes (ex. « L341-351 »), ou un texte officiel.",
            )
        return (
            champ,
            f"la liste doit contenir au moins {minimum} élément(s)",
            f"Compléter « {nom} ».",
        )
    if typ in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        borne = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        sens = "au moins" if typ.startswith("greater") else "au plus"
        return (
            champ,
            f"valeur {_entre_guillemets(recu)} hors bornes ({sens} {borne})",
            "Corriger la valeur (une année s'écrit sur 4 chiffres).",
        )
    if typ == "value_error":
        message = str(erreur.get("msg", "")).removeprefix("Value error, ")
        return champ, message, "Corriger l'entrée selon le message ci-dessus."
    return (
        champ,
        f"valeur invalide {_entre_guillemets(recu)} ({erreur.get('msg', typ)})",
        "Corriger la valeur.",
    )


# ---------------------------------------------------------------- reading a folder


def _affichage(chemin: Path) -> str:
    """A path the user can open: relative to the working directory when under it."""
    try:
        return str(chemin.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(chemin)


def fichiers_yaml(dossier: Path) -> Iterator[Path]:
    """Every ``<collection>/*.yaml`` file of a référentiel folder, sorted."""
    for sous in sorted(
        p for p in dossier.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    ):
        yield from sorted(
            p for p in sous.iterdir() if p.suffix == ".yaml" and not p.name.startswith(".")
        )


def empreinte(dossier: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, mtime_ns, size) of every file and folder that can change the référentiel."""
    elements: list[tuple[str, int, int]] = []
    with os.scandir(dossier) as it:
        for e in it:
            st = e.stat()
            elements.append((e.name, st.st_mtime_ns, st.st_size))
            if e.is_dir():
                with os.scandir(e.path) as it2:
                    for f in it2:
                        s2 = f.stat()
                        elements.append((f"{e.name}/{f.name}", s2.st_mtime_ns, s2.st_size))
    return tuple(sorted(elements))


def lire(dossier: Path | str | None = None) -> Lecture:
    """Parse and validate every entry of a référentiel folder; collect every problem."""
    from essq.erreurs import ErreurUtilisateur

    racine = Path(dossier) if dossier is not None else DOSSIER_DONNEES
    if not racine.is_dir():
        raise ErreurUtilisateur(
            f"Le dossier du référentiel {racine} n'existe pas",
            correctif="Indiquer avec --dossier un dossier qui contient un sous-dossier par "
            "collection (familles/, initiatives/…) rempli de fichiers .yaml.",
            fichier=str(racine),
        )
    problemes: list[Probleme] = []
    entrees: list[EntreeLue] = []
    nb_fichiers = 0

    for chemin in sorted(racine.iterdir()):
        if chemin.name.startswith((".", "_")):
            continue
        if chemin.is_file():
            if chemin.suffix in {".yaml", ".yml"}:
                problemes.append(
                    Probleme.du_fichier(
                        _affichage(chemin),
                        "fichier placé hors d'une collection : il ne serait pas lu",
                        "Le déplacer dans le sous-dossier de sa collection "
                        f"({', '.join(COLLECTIONS)}).",
                    )
                )
            continue
        if chemin.name not in COLLECTIONS:
            proches = difflib.get_close_matches(chemin.name, list(COLLECTIONS), n=1)
            problemes.append(
                Probleme.du_fichier(
                    _affichage(chemin),
                    f"dossier « {chemin.name} » : ce n'est pas une collection connue",
                    (f"Le renommer « {proches[0]} ». " if proches else "")
                    + f"Collections : {', '.join(COLLECTIONS)}.",
                )
            )
            continue
        for fichier in sorted(chemin.iterdir()):
            if fichier.name.startswith("."):
                continue
            if fichier.suffix == ".yml" or fichier.is_dir():
                problemes.append(
                    Probleme.du_fichier(
                        _affichage(fichier),
                        "ce fichier ne serait pas lu (seuls les fichiers .yaml directement dans le dossier de la collection le sont)",
                        "Le renommer en .yaml et le placer directement dans le dossier de la collection.",
                    )
                )
                continue
            if fichier.suffix != ".yaml":
                continue
            nb_fichiers += 1
            entrees.extend(_lire_fichier(fichier, chemin.name, problemes))

    _verifier_ensemble(entrees, problemes)
    return Lecture(
        entrees=[e for e in entrees if e.entree is not None],
        problemes=problemes,
        fichiers=nb_fichiers,
    )


def _lire_fichier(fichier: Path, collection: str, problemes: list[Probleme]) -> list[EntreeLue]:
    affiche = _affichage(fichier)
    try:
        texte = fichier.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problemes.append(
            Probleme.du_fichier(
                affiche,
                f"fichier illisible en UTF-8 ({exc.reason})",
                "Enregistrer le fichier en UTF-8.",
            )
        )
        return []
    try:
        noeud, donnees = _composer(texte)
    except yaml.YAMLError as exc:
        marque = getattr(exc, "problem_mark", None)
        ligne = marque.line + 1 if marque is not None else None
        detail = getattr(exc, "problem", None) or str(exc)
        problemes.append(
            Probleme(
                affiche,
                ligne,
                None,
                None,
                f"YAML mal formé : {detail}",
                "Vérifier l'indentation (espaces, pas de tabulations), les « - » des listes et "
                "mettre entre guillemets les textes qui contiennent « : » ou « # ».",
            )
        )
        return []
    for cle, ligne_double in _cles_en_double(noeud):
        problemes.append(
            Probleme(
                affiche,
                ligne_double,
                None,
                cle,
                f"le champ « {cle} » est écrit deux fois dans la même entrée : "
                "seule la dernière valeur serait lue",
                "Fusionner les deux valeurs en un seul champ « " + cle + " ».",
            )
        )
    if donnees is None:
        return []
    if not isinstance(donnees, list) or not isinstance(noeud, yaml.SequenceNode):
        problemes.append(
            Probleme(
                affiche,
                1,
                None,
                None,
                "le fichier doit être une liste d'entrées",
                "Commencer chaque entrée par « - id: … » en début de ligne.",
            )
        )
        return []
    modele = COLLECTIONS[collection]
    lues: list[EntreeLue] = []
    for rang, (brut, sous_noeud) in enumerate(zip(donnees, noeud.value, strict=True)):
        ligne = int(sous_noeud.start_mark.line) + 1
        if not isinstance(brut, dict):
            problemes.append(
                Probleme(
                    affiche,
                    ligne,
                    None,
                    None,
                    f"l'élément n° {rang + 1} n'est pas une entrée (des champs « nom: valeur »)",
                    "Écrire chaque entrée comme « - id: … » suivi de ses champs indentés.",
                )
            )
            continue
        ident = brut.get("id") if isinstance(brut.get("id"), str) else None
        try:
            entree = modele.model_validate_json(
                json.dumps(brut, ensure_ascii=False, default=_json_defaut), strict=True
            )
        except ValidationError as exc:
            for erreur in exc.errors():
                champ, probleme, correctif = traduire_erreur(modele, erreur, collection)
                problemes.append(
                    Probleme(
                        affiche,
                        _ligne(sous_noeud, erreur.get("loc", ())),
                        ident or f"(élément n° {rang + 1})",
                        champ or None,
                        probleme,
                        correctif,
                    )
                )
            if ident:  # keep the id known, so links to it are not also reported as dangling
                lues.append(EntreeLue(collection, ident, None, affiche, ligne, sous_noeud))
            continue
        lues.append(EntreeLue(collection, entree.id, entree, affiche, ligne, sous_noeud))
    return lues


def _json_defaut(valeur: Any) -> Any:
    if isinstance(valeur, dt.datetime | dt.date):
        return valeur.isoformat()
    raise TypeError(f"valeur non sérialisable : {valeur!r}")


# ---------------------------------------------------------------- whole-référentiel checks


def _valeurs_lien(valeur: Any) -> list[str]:
    if valeur is None:
        return []
    if isinstance(valeur, list):
        return [v for v in valeur if isinstance(v, str)]
    return [valeur] if isinstance(valeur, str) else []


def _verifier_ensemble(lues: list[EntreeLue], problemes: list[Probleme]) -> None:
    # 1. Unique ids across the whole référentiel (valid and invalid entries alike).
    premiers: dict[str, EntreeLue] = {}
    for lue in lues:
        ident = lue.id
        deja = premiers.get(ident)
        if deja is None:
            premiers[ident] = lue
            continue
        problemes.append(
            Probleme(
                lue.fichier,
                lue.ligne,
                ident,
                "id",
                f"identifiant en double : déjà utilisé dans {deja.fichier}:{deja.ligne} "
                f"(collection « {deja.collection} »)",
                "Donner un identifiant unique à l'une des deux entrées, ou fusionner les deux "
                "si elles décrivent la même chose.",
            )
        )
    collection_de = {ident: lue.collection for ident, lue in premiers.items()}
    ids_par_collection: dict[str, list[str]] = {}
    for ident, coll in collection_de.items():
        ids_par_collection.setdefault(coll, []).append(ident)

    liens_par_collection: dict[str, list[tuple[str, str]]] = {}
    for (coll, champ), cible in LIENS.items():
        liens_par_collection.setdefault(coll, []).append((champ, cible))

    for lue in lues:
        entree = lue.entree
        if entree is None:
            continue
        _verifier_prefixe(lue, problemes)
        # 2. Typed links.
        for champ, cible in liens_par_collection.get(lue.collection, []):
            valeur = getattr(entree, champ)
            vus: set[str] = set()
            for rang, ident in enumerate(_valeurs_lien(valeur)):
                nom_champ = f"{champ}[{rang}]" if isinstance(valeur, list) else champ
                chemin: tuple[int | str, ...] = (
                    (champ, rang) if isinstance(valeur, list) else (champ,)
                )
                if ident in vus:
                    problemes.append(
                        Probleme(
                            lue.fichier,
                            _ligne(lue.noeud, chemin),
                            entree.id,
                            nom_champ,
                            f"identifiant « {ident} » répété dans la liste",
                            "Retirer le doublon.",
                        )
                    )
                    continue
                vus.add(ident)
                probleme = _lien_casse(ident, cible, collection_de, ids_par_collection)
                if ident == entree.id:
                    probleme = ("l'entrée pointe vers elle-même", "Retirer ce lien.")
                if probleme:
                    problemes.append(
                        Probleme(
                            lue.fichier, _ligne(lue.noeud, chemin), entree.id, nom_champ, *probleme
                        )
                    )
        # 3. Free links « collection:id ».
        for rang, lien in enumerate(entree.voir_aussi):
            coll, _, ident = lien.partition(":")
            chemin = ("voir_aussi", rang)
            if coll not in COLLECTIONS:
                proches = difflib.get_close_matches(coll, list(COLLECTIONS), n=1)
                probleme = (
                    f"collection « {coll} » inconnue dans « {lien} »",
                    (f"Vouliez-vous dire « {proches[0]}:{ident} » ? " if proches else "")
                    + f"Collections : {', '.join(COLLECTIONS)}.",
                )
            elif ident == entree.id:
                probleme = ("l'entrée pointe vers elle-même", "Retirer ce lien.")
            else:
                probleme = _lien_casse(ident, coll, collection_de, ids_par_collection, libre=True)
            if probleme:
                problemes.append(
                    Probleme(
                        lue.fichier,
                        _ligne(lue.noeud, chemin),
                        entree.id,
                        f"voir_aussi[{rang}]",
                        *probleme,
                    )
                )
        # 4. Sources name a known seed and a sensible line range.
        _verifier_sources(lue, problemes)

    # 5. Levier hierarchy.
    entrees = {e.entree.id: e for e in lues if e.entree is not None}
    for lue in lues:
        if lue.collection == "leviers" and lue.entree is not None:
            _verifier_levier(lue, entrees, problemes)
        if lue.collection == "criteres_perennite" and lue.entree is not None:
            _verifier_critere(lue, problemes)
        if isinstance(lue.entree, schemas.Initiative):
            _verifier_lieu(lue, problemes)


def _lien_casse(
    ident: str,
    cible: str,
    collection_de: dict[str, str],
    ids_par_collection: dict[str, list[str]],
    *,
    libre: bool = False,
) -> tuple[str, str] | None:
    reelle = collection_de.get(ident)
    if reelle == cible:
        return None
    if reelle is not None:
        if libre:
            return (
                f"« {ident} » est une entrée de la collection « {reelle} », pas de « {cible} »",
                f"Écrire « {reelle}:{ident} ».",
            )
        return (
            f"« {ident} » est une entrée de la collection « {reelle} », alors que ce champ "
            f"attend une entrée de « {cible} »",
            f"Indiquer un identifiant de la collection « {cible} », ou déplacer ce lien dans "
            f"« voir_aussi » sous la forme « {reelle}:{ident} ».",
        )
    proches = _proches(ident, ids_par_collection.get(cible, []), cible)
    conseil = f"Vouliez-vous dire {', '.join(f'« {p} »' for p in proches)} ? " if proches else ""
    return (
        f"l'identifiant « {ident} » n'existe pas dans la collection « {cible} »",
        f"{conseil}Corriger l'identifiant, ou créer l'entrée dans "
        f"donnees/{cible}/, ou retirer le lien.",
    )


def _proches(ident: str, candidats: list[str], collection: str) -> list[str]:
    """Ids close to ``ident``, compared without the collection prefix they all share."""
    prefixe = re.compile("^" + PREFIXES.get(collection, ""))
    par_cle = {prefixe.sub("", c): c for c in candidats}
    cles = difflib.get_close_matches(prefixe.sub("", ident), list(par_cle), n=3, cutoff=0.75)
    return [par_cle[c] for c in cles]


def _verifier_prefixe(lue: EntreeLue, problemes: list[Probleme]) -> None:
    assert lue.entree is not None
    motif = PREFIXES.get(lue.collection)
    if motif and not re.match(motif, lue.entree.id):
        problemes.append(
            Probleme(
                lue.fichier,
                _ligne(lue.noeud, ("id",)),
                lue.entree.id,
                "id",
                f"l'identifiant ne suit pas la convention de la collection « {lue.collection} » "
                f"(préfixe {motif.replace(chr(92) + 'd', 'N')})",
                f"Renommer l'entrée sur ce modèle : {EXEMPLES_ID[lue.collection]} "
                "(et mettre à jour les liens qui la citent).",
            )
        )


def _verifier_sources(lue: EntreeLue, problemes: list[Probleme]) -> None:
    assert lue.entree is not None
    listes: list[tuple[tuple[int | str, ...], list[schemas.Source]]] = [
        (("sources",), lue.entree.sources)
    ]
    for rang, divergence in enumerate(lue.entree.divergences):
        listes.append((("divergences", rang, "sources"), divergence.sources))
    for prefixe, sources in listes:
        for rang, source in enumerate(sources):
            chemin = (*prefixe, rang)
            nom = _chemin(chemin)
            if MOTIF_GRAINE.match(source.document) and source.document not in GRAINE_DU_FICHIER:
                proches = difflib.get_close_matches(source.document, list(SEEDS.values()), n=1)
                problemes.append(
                    Probleme(
                        lue.fichier,
                        _ligne(lue.noeud, (*chemin, "document")),
                        lue.entree.id,
                        f"{nom}.document",
                        f"graine inconnue « {source.document} »",
                        (f"Vouliez-vous dire « {proches[0]} » ? " if proches else "")
                        + f"Graines : {', '.join(SEEDS.values())}.",
                    )
                )
            elif re.fullmatch(r"(graine|seed)?[ _-]?\d{3}", source.document.strip().lower()):
                code = source.document.strip()[-3:]
                problemes.append(
                    Probleme(
                        lue.fichier,
                        _ligne(lue.noeud, (*chemin, "document")),
                        lue.entree.id,
                        f"{nom}.document",
                        f"« {source.document} » : le document doit être nommé par son nom de fichier complet",
                        f"Écrire « {SEEDS.get(code, SEEDS['000'])} ».",
                    )
                )
            if source.lignes:
                for plage in source.lignes.replace("L", "").split(","):
                    debut, _, fin = plage.strip().partition("-")
                    if fin and int(fin) < int(debut):
                        problemes.append(
                            Probleme(
                                lue.fichier,
                                _ligne(lue.noeud, (*chemin, "lignes")),
                                lue.entree.id,
                                f"{nom}.lignes",
                                f"plage de lignes à l'envers « {plage.strip()} »",
                                "Écrire la première ligne puis la dernière (ex. L341-351).",
                            )
                        )


def _verifier_levier(
    lue: EntreeLue, entrees: dict[str, EntreeLue], problemes: list[Probleme]
) -> None:
    levier = lue.entree
    assert isinstance(levier, schemas.Levier)
    prefixe = levier.id.split("-", 1)[0]
    cadre_attendu = CADRE_DU_PREFIXE.get(prefixe)
    if cadre_attendu and cadre_attendu != levier.cadre:
        problemes.append(
            Probleme(
                lue.fichier,
                _ligne(lue.noeud, ("cadre",)),
                levier.id,
                "cadre",
                f"le préfixe « {prefixe} » de l'identifiant désigne le cadre « {cadre_attendu} », "
                f"pas « {levier.cadre} »",
                "Accorder le cadre et le préfixe de l'identifiant (lev004- : 6 leviers de la graine 004, "
                "lev003- : 7 champs de la graine 003, lev000- : champs des collectivités de la graine 000).",
            )
        )
    niveau_parent = NIVEAU_PARENT.get(levier.niveau)
    if levier.parent is None:
        if levier.niveau == "action":
            problemes.append(
                Probleme(
                    lue.fichier,
                    lue.ligne,
                    levier.id,
                    "parent",
                    "une action doit avoir pour parent le levier dont elle relève",
                    "Ajouter « parent: <id du levier> » (ex. parent: lev004-1 pour l'action lev004-1-2).",
                )
            )
    elif niveau_parent is None:
        problemes.append(
            Probleme(
                lue.fichier,
                _ligne(lue.noeud, ("parent",)),
                levier.id,
                "parent",
                "un champ (niveau « champ ») est le sommet de son cadre et n'a pas de parent",
                "Retirer « parent », ou corriger le niveau.",
            )
        )
    else:
        parent = entrees.get(levier.parent)
        if parent is not None and isinstance(parent.entree, schemas.Levier):
            p = parent.entree
            if p.cadre != levier.cadre:
                problemes.append(
                    Probleme(
                        lue.fichier,
                        _ligne(lue.noeud, ("parent",)),
                        levier.id,
                        "parent",
                        f"le parent « {p.id} » appartient au cadre « {p.cadre} », pas à « {levier.cadre} »",
                        "Un parent est toujours dans le même cadre ; pour relier deux cadres, utiliser « equivalents ».",
                    )
                )
            if p.niveau != niveau_parent:
                problemes.append(
                    Probleme(
                        lue.fichier,
                        _ligne(lue.noeud, ("parent",)),
                        levier.id,
                        "parent",
                        f"le parent d'un élément de niveau « {levier.niveau} » doit être de niveau "
                        f"« {niveau_parent} », or « {p.id} » est de niveau « {p.niveau} »",
                        "Corriger le parent ou le niveau (champ > levier > action).",
                    )
                )
    for rang, ident in enumerate(levier.equivalents):
        autre = entrees.get(ident)
        if (
            autre is not None
            and isinstance(autre.entree, schemas.Levier)
            and autre.entree.cadre == levier.cadre
        ):
            problemes.append(
                Probleme(
                    lue.fichier,
                    _ligne(lue.noeud, ("equivalents", rang)),
                    levier.id,
                    f"equivalents[{rang}]",
                    f"« {ident} » est dans le même cadre « {levier.cadre} » : « equivalents » relie des "
                    "leviers de cadres différents",
                    f"Déplacer ce lien dans « voir_aussi » (leviers:{ident}).",
                )
            )


def _verifier_lieu(lue: EntreeLue, problemes: list[Probleme]) -> None:
    assert isinstance(lue.entree, schemas.Initiative)
    lieu = lue.entree.lieu
    if not (lieu.code_insee and lieu.departement):
        return
    attendu = lieu.code_insee[:3] if lieu.code_insee.startswith("97") else lieu.code_insee[:2]
    if attendu != lieu.departement:
        problemes.append(
            Probleme(
                lue.fichier,
                _ligne(lue.noeud, ("lieu", "departement")),
                lue.entree.id,
                "lieu.departement",
                f"le département « {lieu.departement} » ne correspond pas au code INSEE "
                f"« {lieu.code_insee} » (département « {attendu} »)",
                "Vérifier le code officiel de la commune (COG de l'INSEE) et son département.",
            )
        )


def _verifier_critere(lue: EntreeLue, problemes: list[Probleme]) -> None:
    critere = lue.entree
    assert isinstance(critere, schemas.CriterePerennite)
    m = re.match(r"crit-(\d{2})-", critere.id)
    if m and int(m.group(1)) != critere.numero:
        problemes.append(
            Probleme(
                lue.fichier,
                _ligne(lue.noeud, ("numero",)),
                critere.id,
                "numero",
                f"le numéro {critere.numero} ne correspond pas à l'identifiant (crit-{m.group(1)}-…)",
                "Accorder « numero » et le nombre de l'identifiant.",
            )
        )
    if (critere.numero == 0) != (critere.famille == "prerequis"):
        problemes.append(
            Probleme(
                lue.fichier,
                _ligne(lue.noeud, ("famille",)),
                critere.id,
                "famille",
                "seul le critère n° 0 est le prérequis, et le prérequis porte le n° 0",
                "Donner le numéro 0 et la famille « prerequis » au prérequis, 1 à 17 aux autres critères.",
            )
        )


def graines_citees(entree: Entree) -> tuple[str, ...]:
    """Codes (« 000 »…« 004 ») of the seeds an entry cites in its sources."""
    codes = {
        GRAINE_DU_FICHIER[s.document] for s in entree.sources if s.document in GRAINE_DU_FICHIER
    }
    return tuple(sorted(codes))
