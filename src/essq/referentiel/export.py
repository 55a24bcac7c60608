"""Exports of the référentiel: a Frictionless Data Package (CSV + Table Schema) and JSON.

Data Package layout (``datapackage.json`` + one CSV per resource, UTF-8, comma-separated):

- ``<collection>.csv`` for each of the 15 collections, one row per entry. Scalar fields keep
  their type (string, integer, number, boolean); enum fields carry an ``enum`` constraint;
  nested objects are flattened with ``_`` (``lieu_code_insee``, ``eligibilite_qpv``); **list
  fields are JSON arrays** in one cell (Table Schema type ``array``), e.g.
  ``["creation","developpement"]`` or ``[{"document": "…", "lignes": "L12-20"}]``.
  Primary key ``id``; a single-valued link (``statuts.famille``, ``leviers.parent``,
  ``initiatives.statut``, ``initiatives.modele_socio_economique``) is a foreign key.
- ``entrees.csv``: every id with its collection and title (key of the tables below).
- ``liens.csv``: every link, typed or ``voir_aussi`` (source, champ, cible), both ends
  foreign keys to ``entrees`` — the multi-valued links as a relational table.
- ``sources.csv``: one row per cited source (entree, rang, document, graine, section, lignes,
  url); ``divergences.csv``: one row per recorded discrepancy (seed vs law or seed vs seed).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import types
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from essq.erreurs import ErreurUtilisateur
from essq.fichiers import dossier_atomique
from essq.referentiel.modele import Referentiel
from essq.referentiel.schemas import COLLECTIONS, LIENS, SEEDS
from essq.referentiel.validation import GRAINE_DU_FICHIER

FORMATS = ("datapackage", "json")
MARQUEURS = ("datapackage.json", "referentiel.json")
TITRES_COLLECTIONS = {
    "familles": "Familles de l'ESS",
    "statuts": "Statuts juridiques",
    "structures_inclusion": "Structures d'insertion et du travail protégé et adapté",
    "dispositifs": "Dispositifs d'accompagnement et de financement, réseaux",
    "leviers": "Leviers d'action publique (trois cadres)",
    "cadres_cooperation": "Cadres de coopération",
    "initiatives": "Initiatives décrites par les graines",
    "modeles_socio_economiques": "Modèles socio-économiques",
    "ressources": "Types de ressources",
    "criteres_perennite": "Critères de pérennité",
    "besoins": "Domaines de besoins",
    "activites": "Activités d'utilité sociale",
    "chiffres_cles": "Chiffres clés",
    "glossaire": "Glossaire",
    "ressources_documentaires": "Ressources documentaires",
}


# ---------------------------------------------------------------- Table Schema from pydantic


def _sans_optionnel(annotation: Any) -> Any:
    origine = typing.get_origin(annotation)
    if origine is typing.Annotated:
        return _sans_optionnel(typing.get_args(annotation)[0])
    if origine in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _sans_optionnel(args[0])
        return annotation
    return annotation


def _enum_de(annotation: Any) -> list[str] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    if typing.get_origin(annotation) is Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


def _type_scalaire(annotation: Any) -> tuple[str, dict[str, Any]]:
    """Table Schema (type, constraints) of a scalar annotation."""
    annotation = _sans_optionnel(annotation)
    valeurs = _enum_de(annotation)
    if valeurs is not None:
        return "string", {"enum": valeurs}
    if annotation is bool:
        return "boolean", {}
    if annotation is int:
        return "integer", {}
    if annotation is float:
        return "number", {}
    if annotation is dt.date:
        return "date", {}
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return "any", {}
    return "string", {}


def _est_liste(annotation: Any) -> bool:
    return typing.get_origin(_sans_optionnel(annotation)) is list


def _sous_modele(annotation: Any) -> type[BaseModel] | None:
    annotation = _sans_optionnel(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _colonnes(
    modele: type[BaseModel],
) -> Iterator[tuple[str, tuple[str, ...], FieldInfo, dict[str, Any]]]:
    """(column name, attribute path, field info, Table Schema field) for each CSV column."""
    for nom, info in modele.model_fields.items():
        sous = _sous_modele(info.annotation)
        if sous is not None:
            for sous_nom, sous_info in sous.model_fields.items():
                champ = _champ_schema(f"{nom}_{sous_nom}", sous_info, requis=False)
                yield champ["name"], (nom, sous_nom), sous_info, champ
            continue
        champ = _champ_schema(nom, info, requis=info.is_required())
        yield nom, (nom,), info, champ


def _champ_schema(nom: str, info: FieldInfo, *, requis: bool) -> dict[str, Any]:
    champ: dict[str, Any] = {"name": nom}
    if _est_liste(info.annotation):
        champ["type"] = "array"
        item = typing.get_args(_sans_optionnel(info.annotation))[0]
        valeurs = _enum_de(_sans_optionnel(item))
        detail = f" Valeurs permises : {', '.join(valeurs)}." if valeurs else ""
        champ["description"] = (
            (info.description + ". " if info.description else "")
            + "Liste sérialisée en tableau JSON."
            + detail
        )
    else:
        typ, contraintes = _type_scalaire(info.annotation)
        champ["type"] = typ
        if info.description:
            champ["description"] = info.description
        if contraintes:
            champ["constraints"] = dict(contraintes)
    if requis:
        champ.setdefault("constraints", {})["required"] = True
    return champ


def schema_collection(collection: str) -> dict[str, Any]:
    """The Table Schema of one collection's CSV."""
    modele = COLLECTIONS[collection]
    champs = [champ for _, _, _, champ in _colonnes(modele)]
    for champ in champs:
        if champ["name"] == "id":
            champ.setdefault("constraints", {})["unique"] = True
    cles: list[dict[str, Any]] = [
        {"fields": "id", "reference": {"resource": "entrees", "fields": "id"}}
    ]
    for (coll, champ_lien), cible in LIENS.items():
        if coll != collection:
            continue
        info = modele.model_fields[champ_lien]
        if _est_liste(info.annotation):
            continue
        cles.append(
            {
                "fields": champ_lien,
                "reference": {"resource": "" if cible == collection else cible, "fields": "id"},
            }
        )
    return {"fields": champs, "primaryKey": "id", "foreignKeys": cles, "missingValues": [""]}


# ---------------------------------------------------------------- writing


def _cellule(valeur: Any, type_schema: str) -> str:
    if valeur is None:
        return ""
    if type_schema == "array":
        return json.dumps(
            [
                v.model_dump(mode="json", exclude_none=True) if isinstance(v, BaseModel) else v
                for v in valeur
            ],
            ensure_ascii=False,
        )
    if isinstance(valeur, bool):
        return "true" if valeur else "false"
    if isinstance(valeur, Enum):
        return str(valeur.value)
    if isinstance(valeur, dt.date):
        return valeur.isoformat()
    if type_schema == "any" and not isinstance(valeur, str):
        return json.dumps(valeur, ensure_ascii=False)
    return str(valeur)


def _ecrire_csv(chemin: Path, entetes: list[str], lignes: Iterator[list[str]]) -> int:
    nombre = 0
    with open(chemin, "w", encoding="utf-8", newline="") as f:
        ecrivain = csv.writer(f, lineterminator="\n")
        ecrivain.writerow(entetes)
        for ligne in lignes:
            ecrivain.writerow(ligne)
            nombre += 1
    return nombre


def _ressource(nom: str, titre: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": nom,
        "path": f"{nom}.csv",
        "profile": "tabular-data-resource",
        "title": titre,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def _champ(
    nom: str,
    type_: str = "string",
    *,
    requis: bool = False,
    description: str | None = None,
    **contraintes: Any,
) -> dict[str, Any]:
    """A Table Schema field; ``contraintes`` (unique, enum, minimum…) follow « required »."""
    champ: dict[str, Any] = {"name": nom, "type": type_}
    if description:
        champ["description"] = description
    tout = ({"required": True} if requis else {}) | contraintes
    if tout:
        champ["constraints"] = tout
    return champ


def _table(
    dossier: Path,
    nom: str,
    titre: str,
    description: str,
    champs: list[dict[str, Any]],
    lignes: Iterator[list[str]],
    *,
    cle: str | list[str] | None = None,
    references: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Write ``<nom>.csv`` (one column per field) and return its Data Package resource;
    ``references`` are the columns holding ids of the « entrees » index."""
    _ecrire_csv(dossier / f"{nom}.csv", [c["name"] for c in champs], lignes)
    schema: dict[str, Any] = {"fields": champs}
    if cle is not None:
        schema["primaryKey"] = cle
    if references:
        schema["foreignKeys"] = [
            {"fields": c, "reference": {"resource": "entrees", "fields": "id"}} for c in references
        ]
    schema["missingValues"] = [""]
    return _ressource(nom, titre, description, schema)


def _version() -> str:
    from essq import __version__

    return __version__


def ecrire_datapackage(ref: Referentiel, dossier: Path) -> dict[str, Any]:
    """Write the Data Package into ``dossier`` (an existing, empty folder); return the descriptor."""
    ressources: list[dict[str, Any]] = []

    def lignes_entrees() -> Iterator[list[str]]:
        for entree in ref:
            yield [entree.id, ref.collection_de(entree.id), entree.titre]

    ressources.append(
        _table(
            dossier,
            "entrees",
            "Index des entrées",
            "Chaque identifiant du référentiel avec sa collection et son titre.",
            [
                _champ("id", requis=True, unique=True),
                _champ("collection", requis=True, enum=list(COLLECTIONS)),
                _champ("titre", requis=True),
            ],
            lignes_entrees(),
            cle="id",
        )
    )

    for collection in COLLECTIONS:
        modele = COLLECTIONS[collection]
        colonnes = list(_colonnes(modele))
        schema = schema_collection(collection)

        def lignes(
            collection: str = collection, colonnes: list[Any] = colonnes
        ) -> Iterator[list[str]]:
            for entree in ref.collection(collection):
                ligne = []
                for _, chemin, _, champ in colonnes:
                    valeur: Any = entree
                    for partie in chemin:
                        valeur = getattr(valeur, partie, None) if valeur is not None else None
                    ligne.append(_cellule(valeur, champ["type"]))
                yield ligne

        _ecrire_csv(dossier / f"{collection}.csv", [c[0] for c in colonnes], lignes())
        doc = (modele.__doc__ or "").strip().splitlines()[0] if modele.__doc__ else ""
        ressources.append(
            _ressource(
                collection,
                TITRES_COLLECTIONS[collection],
                f"Collection « {collection} » du référentiel. {doc}".strip(),
                schema,
            )
        )

    def lignes_liens() -> Iterator[list[str]]:
        for entree in ref:
            for lien in ref.liens(entree.id):
                yield [lien.source, lien.champ, lien.cible, lien.collection_cible]

    ressources.append(
        _table(
            dossier,
            "liens",
            "Liens entre entrées",
            "Chaque lien d'une entrée vers une autre : champ typé (besoins, leviers, parent…) "
            "ou « voir_aussi ».",
            [
                _champ("source", requis=True),
                _champ("champ", requis=True),
                _champ("cible", requis=True),
                _champ("collection_cible", requis=True, enum=list(COLLECTIONS)),
            ],
            lignes_liens(),
            references=("source", "cible"),
        )
    )

    def lignes_sources() -> Iterator[list[str]]:
        for entree in ref:
            for rang, source in enumerate(entree.sources, start=1):
                yield [
                    entree.id,
                    str(rang),
                    source.document,
                    GRAINE_DU_FICHIER.get(source.document, ""),
                    source.section or "",
                    source.lignes or "",
                    source.url or "",
                ]

    ressources.append(
        _table(
            dossier,
            "sources",
            "Sources citées",
            "Chaque source d'une entrée : document (graine ou texte officiel), section, lignes.",
            [
                _champ("entree", requis=True),
                _champ("rang", "integer", requis=True, minimum=1),
                _champ("document", requis=True),
                _champ(
                    "graine",
                    description="Code de la graine (000 à 004) quand le document en est une",
                    enum=list(SEEDS),
                ),
                _champ("section"),
                _champ("lignes", description="Lignes du fichier de la graine, ex. L341-351"),
                _champ("url"),
            ],
            lignes_sources(),
            cle=["entree", "rang"],
            references=("entree",),
        )
    )

    def lignes_divergences() -> Iterator[list[str]]:
        for entree in ref:
            for rang, divergence in enumerate(entree.divergences, start=1):
                yield [
                    entree.id,
                    str(rang),
                    divergence.constat,
                    divergence.retenu,
                    _cellule(divergence.sources, "array"),
                ]

    ressources.append(
        _table(
            dossier,
            "divergences",
            "Divergences relevées",
            "Là où une graine contredit une autre graine ou la loi : le constat, ce que le "
            "référentiel retient (la loi) et les sources.",
            [
                _champ("entree", requis=True),
                _champ("rang", "integer", requis=True, minimum=1),
                _champ("constat", requis=True),
                _champ("retenu", requis=True),
                _champ(
                    "sources",
                    "array",
                    requis=True,
                    description="Sources de la divergence, tableau JSON",
                ),
            ],
            lignes_divergences(),
            cle=["entree", "rang"],
            references=("entree",),
        )
    )

    descripteur = {
        "profile": "tabular-data-package",
        "name": "essq-referentiel",
        "title": "Référentiel ESS Quartiers",
        "description": "Familles et statuts de l'ESS, structures d'inclusion, dispositifs, "
        "leviers des collectivités, cadres de coopération, initiatives, modèles "
        "socio-économiques, critères de pérennité, besoins, activités, chiffres clés, glossaire "
        "et ressources documentaires, rédigés à partir de cinq documents sources et sourcés "
        "entrée par entrée. Les listes sont des tableaux JSON dans une cellule.",
        "version": _version(),
        "licenses": [{"name": "MIT", "title": "Licence MIT, celle du dépôt ESS Quartiers"}],
        "sources": [{"title": fichier, "path": fichier} for fichier in SEEDS.values()],
        "resources": ressources,
    }
    (dossier / "datapackage.json").write_text(
        json.dumps(descripteur, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return descripteur


def ecrire_json(ref: Referentiel, dossier: Path) -> dict[str, Any]:
    """Write ``referentiel.json`` (every entry, by collection) and ``schemas.json`` (the
    JSON Schema of each collection) into ``dossier``; return a summary."""
    contenu = {
        "format": "essq-referentiel",
        "version": _version(),
        "graines": SEEDS,
        "stats": ref.stats(),
        "collections": ref.en_dict(),
    }
    (dossier / "referentiel.json").write_text(
        json.dumps(contenu, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    schemas = {nom: modele.model_json_schema() for nom, modele in COLLECTIONS.items()}
    (dossier / "schemas.json").write_text(
        json.dumps(schemas, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return {"fichiers": ["referentiel.json", "schemas.json"], "entrees": len(ref)}


def exporter(ref: Referentiel, format: str, sortie: Path | str) -> Path:
    """Export into folder ``sortie`` (replaced atomically: all or nothing).

    Refuses to replace a non-empty folder that does not hold a previous export, so that a
    mistyped ``--sortie`` never wipes unrelated files.
    """
    if format not in FORMATS:
        raise ErreurUtilisateur(
            f"Format d'export « {format} » inconnu",
            correctif=f"Choisir parmi : {', '.join(FORMATS)}.",
            champ="format",
        )
    destination = Path(sortie).expanduser().resolve()
    if destination.exists():
        if not destination.is_dir():
            raise ErreurUtilisateur(
                f"{destination} est un fichier : l'export attend un dossier",
                correctif="Indiquer avec --sortie un dossier (il sera créé s'il n'existe pas).",
                fichier=str(destination),
            )
        contenu = [p.name for p in destination.iterdir()]
        if contenu and not any(m in contenu for m in MARQUEURS):
            raise ErreurUtilisateur(
                f"Le dossier {destination} n'est pas vide et ne contient pas d'export précédent : "
                "il ne sera pas remplacé",
                correctif="Indiquer un dossier vide ou nouveau, ou le dossier d'un export précédent.",
                fichier=str(destination),
            )
    with dossier_atomique(destination) as tmp:
        tmp.chmod(0o755)  # an export is meant to be shared (the temporary folder is private)
        if format == "datapackage":
            ecrire_datapackage(ref, tmp)
        else:
            ecrire_json(ref, tmp)
    return destination
