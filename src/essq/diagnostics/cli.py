"""``essq diagnostic …``: list the diagnostics and run one on a JSON input (file or stdin)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from essq.config import VARIABLE_HOME
from essq.erreurs import ErreurUtilisateur
from essq.options import FormatSortie, OptionFormat, afficher_json, groupe

# Same as essq.cli.OptionHome, with a help text of its own (the diagnostics need no imported data).
OptionHome = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar=VARIABLE_HOME,
        help="Dossier des données importées, où chercher les territoires pour situer une commune "
        "ou un QPV (par défaut : variable ESSQ_HOME). Les diagnostics fonctionnent sans données importées.",
        show_default=False,
    ),
]


diagnostic = groupe(
    "Diagnostics expliqués : qualification ESS, agrément ESUS, choix de statut, modèle "
    "socio-économique, pérennité, leviers d'une collectivité, orientation d'un porteur de projet. "
    "Chaque réponse donne les règles appliquées, leurs sources et ce qui manque pour conclure.",
)


def enregistrer(app: typer.Typer) -> None:
    """Add the ``diagnostic`` sub-command group to the main CLI."""
    from essq.diagnostics import lister

    for fiche in lister():
        diagnostic.command(fiche["nom"], help=f"{fiche['titre']} : {fiche['description']}")(
            _commande(fiche["nom"])
        )
    app.add_typer(diagnostic, name="diagnostic")


@diagnostic.command("liste")
def liste_cmd(format: OptionFormat = FormatSortie.texte) -> None:
    """Liste les diagnostics disponibles, avec leur nom à passer à « essq diagnostic NOM »."""
    from essq.diagnostics import lister

    fiches = lister()
    if format == FormatSortie.json:
        afficher_json(fiches)
        return
    for fiche in fiches:
        typer.echo(f"{fiche['nom']:<26} {fiche['titre']}")
        typer.echo(f"{'':<26} {fiche['description']}\n")


def lire_entree(chemin: str) -> Any:
    """The JSON input from a file or from stdin (« - »), with French errors."""
    nom = "entrée standard" if chemin == "-" else chemin
    try:
        texte = sys.stdin.read() if chemin == "-" else Path(chemin).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ErreurUtilisateur(
            f"Fichier d'entrée introuvable : {chemin}",
            fichier=chemin,
            correctif="Vérifier le chemin, ou passer « - » pour lire l'entrée standard.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ErreurUtilisateur(
            f"Impossible de lire {nom} : {exc}",
            fichier=chemin,
            correctif="Fournir un fichier JSON encodé en UTF-8.",
        ) from None
    try:
        return json.loads(texte)
    except json.JSONDecodeError as exc:
        raise ErreurUtilisateur(
            f"JSON invalide dans {nom} : {exc.msg} (colonne {exc.colno})",
            fichier=None if chemin == "-" else chemin,
            ligne=exc.lineno,
            correctif="Corriger la syntaxe JSON (guillemets doubles, virgules, accolades).",
        ) from None


SYMBOLES = {
    "remplie": "✔",
    "non_remplie": "✘",
    "inconnue": "?",
    "sans_objet": "–",
    "information": "•",
    "alerte": "⚠",
}


def rendu_texte(resultat: dict[str, Any]) -> str:
    """A plain-French reading of a diagnostic's JSON answer."""
    lignes = [f"{resultat['titre']}", "=" * len(resultat["titre"]), ""]
    lignes.append(f"Verdict : {resultat['verdict']['libelle']} [{resultat['verdict']['code']}]")
    if resultat["resultats"]:
        lignes += ["", "Résultats :"]
        for res in resultat["resultats"]:
            rang = f"{res['rang']}. " if "rang" in res else "- "
            detail = f" ({res['adequation']})" if "adequation" in res else ""
            lignes.append(f"  {rang}{res.get('titre', res.get('id'))}{detail}")
            for motif in res.get("pourquoi", [])[:4]:
                lignes.append(f"       + {motif}")
            for motif in res.get("contre", [])[:3]:
                lignes.append(f"       - {motif}")
            for outil in res.get("outils_juridiques", [])[:3]:
                reference = f" ({outil['reference']})" if outil.get("reference") else ""
                lignes.append(f"       § {outil['nom']}{reference}")
            if res.get("exemples"):
                lignes.append(
                    "       exemples : " + " ; ".join(x["titre"] for x in res["exemples"])
                )
            for exigence in res.get("exigences", [])[:3]:
                lignes.append(f"       ! {exigence}")
            if res.get("lieu"):
                lignes.append(f"       lieu : {res['lieu']}")
            for levier in res.get("leviers", [])[:3]:
                lignes.append(f"       levier : {levier['titre']}")
    lignes += ["", "Raisons :"]
    for raison in resultat["raisons"]:
        lignes.append(f"  {SYMBOLES.get(raison['statut'], '•')} {raison['explication']}")
        lignes.append(f"      source : {raison['source']}")
    if resultat["indicateurs"]:
        lignes += ["", "Indicateurs :"]
        for cle, valeur in resultat["indicateurs"].items():
            if not isinstance(valeur, list | dict):
                lignes.append(f"  {cle} : {valeur}")
    if resultat["manquant"]:
        lignes += ["", "Pour conclure, il manque :"]
        lignes += [f"  ? {m['question']} (champ « {m['champ']} »)" for m in resultat["manquant"]]
    if resultat["suites"]:
        lignes += ["", "Pour aller plus loin :"]
        lignes += [
            f"  → {s['titre']} [{s['collection']}:{s['id']}] — {s['pourquoi']}"
            for s in resultat["suites"]
        ]
    lignes += ["", f"Avertissement : {resultat['avertissement']}"]
    return "\n".join(lignes)


def _commande(nom: str) -> Any:
    def commande(
        entree: Annotated[
            str | None,
            typer.Option(
                "--entree",
                help="Fichier JSON des réponses (« - » pour lire l'entrée standard).",
                show_default=False,
            ),
        ] = None,
        format: OptionFormat = FormatSortie.texte,
        home: OptionHome = None,
        schema: Annotated[
            bool,
            typer.Option(
                "--schema",
                help="Affiche le schéma JSON de l'entrée (titres et descriptions des champs) et quitte.",
            ),
        ] = False,
    ) -> None:
        from essq.diagnostics import executer
        from essq.diagnostics import schema as schema_de

        if schema:
            afficher_json(schema_de(nom))
            return
        if entree is None:
            raise ErreurUtilisateur(
                "Aucune entrée fournie",
                champ="--entree",
                correctif=f"Passer --entree FICHIER.json (ou « - » pour l'entrée standard) ; "
                f"« essq diagnostic {nom} --schema » décrit les champs attendus.",
            )
        donnees = lire_entree(entree)
        try:
            resultat = executer(nom, donnees, home=home)
        except ErreurUtilisateur as exc:
            if exc.fichier is None and entree != "-":
                exc.fichier = entree
            raise
        if format == FormatSortie.json:
            afficher_json(resultat)
        else:
            typer.echo(rendu_texte(resultat))

    commande.__doc__ = f"Lance le diagnostic « {nom} »."
    return commande
