"""``essq referentiel …``: validate, count, search, show and export the référentiel."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

OptionDossier = Annotated[
    Path | None,
    typer.Option(
        "--dossier",
        envvar="ESSQ_REFERENTIEL",
        help="Dossier du référentiel à utiliser (un sous-dossier par collection), par exemple un "
        "brouillon d'expert ; par défaut, le référentiel livré avec ESS Quartiers "
        "(variable ESSQ_REFERENTIEL).",
        show_default=False,
    ),
]


class FormatSortie(StrEnum):
    texte = "texte"
    json = "json"


OptionFormat = Annotated[
    FormatSortie,
    typer.Option(
        "--format", help="Format de sortie : texte (lisible) ou json.", case_sensitive=False
    ),
]

referentiel = typer.Typer(
    help="Référentiel de l'ESS : familles et statuts, structures d'inclusion, dispositifs, "
    "leviers, cadres de coopération, initiatives, chiffres clés… validé, relié et cherchable.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def enregistrer(app: typer.Typer) -> None:
    """Add the ``referentiel`` sub-command group to the main CLI."""
    app.add_typer(referentiel, name="referentiel")


def _json(valeur: object) -> None:
    typer.echo(json.dumps(valeur, ensure_ascii=False, indent=2, default=str))


@referentiel.command("valider")
def valider_cmd(
    dossier: OptionDossier = None,
    format: OptionFormat = FormatSortie.texte,
) -> None:
    """Valide le référentiel et affiche chaque erreur avec sa correction.

    Vérifie le schéma de chaque entrée (champs, valeurs permises, dates et montants typés),
    l'unicité des identifiants, la résolution de chaque lien, la présence des sources et la
    hiérarchie des leviers. Chaque erreur nomme le fichier, la ligne, l'entrée, le champ, le
    problème et la façon de le corriger. Code de sortie : 0 si le référentiel est valide,
    1 s'il contient au moins une erreur.
    """
    from essq.referentiel.modele import DOSSIER_DONNEES
    from essq.referentiel.validation import lire

    racine = (dossier or DOSSIER_DONNEES).resolve()
    lecture = lire(racine)
    nb_entrees = len(lecture.entrees)
    if format is FormatSortie.json:
        _json(
            {
                "dossier": str(racine),
                "fichiers": lecture.fichiers,
                "entrees_valides": nb_entrees,
                "erreurs": [p.en_dict() for p in lecture.problemes],
            }
        )
    else:
        for probleme in lecture.problemes:
            typer.echo(probleme.texte() + "\n")
        if lecture.problemes:
            typer.echo(
                f"{len(lecture.problemes)} erreur(s) dans le référentiel {racine} "
                f"({lecture.fichiers} fichier(s), {nb_entrees} entrée(s) valide(s))."
            )
        else:
            typer.echo(
                f"Référentiel valide : {nb_entrees} entrée(s) dans {lecture.fichiers} fichier(s) ({racine})."
            )
    if lecture.problemes:
        raise typer.Exit(1)


@referentiel.command("stats")
def stats_cmd(
    dossier: OptionDossier = None,
    format: OptionFormat = FormatSortie.texte,
    par_graine: Annotated[
        bool,
        typer.Option(
            "--par-graine",
            help="En JSON, compter par graine citée dans les sources "
            '({"graine": {"collection": nombre}}) au lieu du seul total par collection.',
        ),
    ] = False,
) -> None:
    """Compte les entrées par collection et par graine citée dans leurs sources.

    En JSON : {"collection": nombre, …} ; avec --par-graine : {"graine": {"collection":
    nombre}}. Une entrée qui cite deux graines compte pour chacune ; « autres » regroupe les
    entrées sourcées uniquement par des textes officiels.
    """
    from essq.referentiel.modele import charger

    ref = charger(dossier)
    totaux = ref.stats()
    graines = ref.stats_par_graine()
    if format is FormatSortie.json:
        _json(graines if par_graine else totaux)
        return
    colonnes = list(graines)
    largeur = max(len(n) for n in totaux) + 2
    typer.echo(f"{'collection':<{largeur}}{'total':>7}" + "".join(f"{g:>8}" for g in colonnes))
    for nom, total in totaux.items():
        typer.echo(
            f"{nom:<{largeur}}{total:>7}" + "".join(f"{graines[g][nom]:>8}" for g in colonnes)
        )
    typer.echo(
        f"{'total':<{largeur}}{sum(totaux.values()):>7}"
        + "".join(f"{sum(graines[g].values()):>8}" for g in colonnes)
    )
    typer.echo(
        "\nColonnes 000 à 004 : entrées dont les sources citent cette graine ; « autres » : "
        "entrées sourcées uniquement par des textes officiels."
    )
