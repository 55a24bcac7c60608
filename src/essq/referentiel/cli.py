"""``essq referentiel …``: validate, count, search, show and export the référentiel."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from essq.erreurs import ErreurUtilisateur
from essq.options import FormatSortie, OptionFormat, afficher_json, groupe

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


referentiel = groupe(
    "Référentiel de l'ESS : familles et statuts, structures d'inclusion, dispositifs, "
    "leviers, cadres de coopération, initiatives, chiffres clés… validé, relié et cherchable.",
)


def enregistrer(app: typer.Typer) -> None:
    """Add the ``referentiel`` sub-command group to the main CLI."""
    app.add_typer(referentiel, name="referentiel")


@referentiel.command("valider")
def valider_cmd(
    dossier: OptionDossier = None,
    graines: Annotated[
        Path | None,
        typer.Option(
            "--graines",
            envvar="ESSQ_GRAINES",
            help="Dossier des cinq documents sources (graines) : vérifie aussi que les lignes "
            "citées existent et signale les passages recopiés au lieu d'être reformulés "
            "(variable ESSQ_GRAINES).",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Compter les avertissements comme des erreurs (code de sortie 1)."
        ),
    ] = False,
    format: OptionFormat = FormatSortie.texte,
) -> None:
    """Valide le référentiel et affiche chaque erreur avec sa correction.

    Vérifie le schéma de chaque entrée (champs, valeurs permises, dates et montants typés), l'unicité des identifiants, la résolution de chaque lien, la présence des sources et la hiérarchie des leviers. Chaque erreur nomme le fichier, la ligne, l'entrée, le champ, le problème et la façon de le corriger. Code de sortie : 0 si le référentiel est valide, 1 s'il contient au moins une erreur.
    """
    from essq.referentiel.modele import DOSSIER_DONNEES
    from essq.referentiel.validation import lire

    racine = (dossier or DOSSIER_DONNEES).resolve()
    lecture = lire(racine)
    problemes = list(lecture.problemes)
    if graines is not None:
        from essq.referentiel.graines import verifier_graines

        problemes.extend(verifier_graines(lecture, graines))
    erreurs = [p for p in problemes if p.gravite == "erreur"]
    avertissements = [p for p in problemes if p.gravite == "avertissement"]
    nb_entrees = len(lecture.entrees)
    if format is FormatSortie.json:
        afficher_json(
            {
                "dossier": str(racine),
                "fichiers": lecture.fichiers,
                "entrees_valides": nb_entrees,
                "erreurs": [p.en_dict() for p in erreurs],
                "avertissements": [p.en_dict() for p in avertissements],
            }
        )
    else:
        for probleme in [*erreurs, *avertissements]:
            typer.echo(probleme.texte() + "\n")
        bilan = f"{lecture.fichiers} fichier(s), {nb_entrees} entrée(s) valide(s)"
        if avertissements:
            bilan += f", {len(avertissements)} avertissement(s)"
        if erreurs:
            typer.echo(f"{len(erreurs)} erreur(s) dans le référentiel {racine} ({bilan}).")
        else:
            typer.echo(f"Référentiel valide : {bilan} ({racine}).")
    if erreurs or (strict and avertissements):
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

    En JSON : {"collection": nombre, …} ; avec --par-graine : {"graine": {"collection": nombre}}. Une entrée qui cite deux graines compte pour chacune ; « autres » regroupe les entrées sourcées uniquement par des textes officiels.
    """
    from essq.referentiel.modele import charger

    ref = charger(dossier)
    totaux = ref.stats()
    graines = ref.stats_par_graine()
    if format is FormatSortie.json:
        afficher_json(graines if par_graine else totaux)
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


def _filtres(valeurs: list[str]) -> dict[str, list[str]]:
    filtres: dict[str, list[str]] = {}
    for brut in valeurs:
        champ, egal, valeur = brut.partition("=")
        if not egal or not champ.strip() or not valeur.strip():
            raise ErreurUtilisateur(
                f"Filtre « {brut} » mal écrit",
                correctif="Écrire --filtre champ=valeur (ex. --filtre stades=creation, "
                "--filtre eligibilite.qpv=oui, --filtre graine=001) ; plusieurs valeurs "
                "séparées par des virgules sont alternatives.",
                champ="--filtre",
            )
        filtres.setdefault(champ.strip(), []).extend(
            v.strip() for v in valeur.split(",") if v.strip()
        )
    return filtres


@referentiel.command("chercher")
def chercher_cmd(
    texte: Annotated[
        str,
        typer.Argument(
            help="Mots cherchés (accents et pluriels indifférents) ; vide : toutes les entrées "
            "qui passent les filtres.",
            show_default=False,
        ),
    ] = "",
    collection: Annotated[
        str | None,
        typer.Option(
            "--collection", "-c", help="Ne chercher que dans cette collection (ex. dispositifs)."
        ),
    ] = None,
    filtre: Annotated[
        list[str] | None,
        typer.Option(
            "--filtre",
            "-f",
            help="Filtre champ=valeur, répétable (ex. stades=creation, echelle=national, "
            "cadre=seed004_6_leviers, lieu.departement=93, graine=001) ; valeurs alternatives "
            "séparées par des virgules.",
        ),
    ] = None,
    limite: Annotated[
        int, typer.Option("--limite", "-n", help="Nombre maximal de résultats affichés.", min=0)
    ] = 20,
    dossier: OptionDossier = None,
    format: OptionFormat = FormatSortie.texte,
) -> None:
    """Cherche dans le référentiel (texte intégral, racines françaises, facettes).

    Le titre pèse plus que les mots-clés, qui pèsent plus que la description. Tous les mots doivent être présents ; si aucune entrée ne les a tous, celles qui en ont au moins un sont proposées (mode « ou »). Les facettes comptent les entrées trouvées par collection, graine et champ énuméré (stades, besoins, echelle, cadre, famille…).
    """
    from essq.referentiel.modele import charger

    ref = charger(dossier)
    resultats = ref.chercher(
        texte, collection=collection, filtres=_filtres(filtre or []), limite=limite
    )
    if format is FormatSortie.json:
        afficher_json(resultats.en_dict())
        return
    if resultats.mode == "tout":
        entete = f"{resultats.total} entrée(s)"
    elif resultats.mode == "ou":
        entete = (
            f"Aucune entrée ne contient tous les mots de « {texte} » ; "
            f"{resultats.total} en contiennent au moins un"
        )
    else:
        entete = f"{resultats.total} résultat(s) pour « {texte} »"
    if resultats.filtres:
        entete += " avec " + ", ".join(f"{c}={','.join(v)}" for c, v in resultats.filtres.items())
    typer.echo(
        entete
        + (f" ({len(resultats)} affiché(s))" if len(resultats) < resultats.total else "")
        + "."
    )
    for rang, r in enumerate(resultats, start=1):
        typer.echo(
            f"\n{rang:>3}. {r.titre}  [{r.collection} · {r.id}]"
            + (f"  score {r.score:.2f}" if resultats.mode != "tout" else "")
        )
        typer.echo(f"     {r.extrait}")
    if resultats.facettes:
        typer.echo("\nFacettes :")
        for champ, comptes in resultats.facettes.items():
            valeurs = ", ".join(f"{v} ({n})" for v, n in list(comptes.items())[:12])
            suite = f", … ({len(comptes) - 12} autres)" if len(comptes) > 12 else ""
            typer.echo(f"  {champ} : {valeurs}{suite}")


@referentiel.command("montrer")
def montrer_cmd(
    ident: Annotated[
        str, typer.Argument(help="Identifiant de l'entrée (ex. disp-dla).", show_default=False)
    ],
    dossier: OptionDossier = None,
    format: OptionFormat = FormatSortie.texte,
) -> None:
    """Affiche une entrée avec ses liens résolus et les entrées qui la citent."""
    import yaml

    from essq.referentiel.modele import charger

    ref = charger(dossier)
    fiche = ref.fiche(ident)
    if format is FormatSortie.json:
        afficher_json(fiche)
        return
    entree = ref.get(ident)
    assert entree is not None
    origine = ref.origine(ident)
    donnees = fiche["entree"]
    liens, retroliens = fiche["liens"], fiche["retroliens"]
    typer.echo(f"{entree.titre}\n{'=' * len(entree.titre)}")
    typer.echo(f"Identifiant : {ident} · collection : {ref.collection_de(ident)}")
    if origine:
        typer.echo(
            f"Fichier : {origine.fichier}" + (f", ligne {origine.ligne}" if origine.ligne else "")
        )
    typer.echo(f"\n{entree.description}\n")
    communs = ("mots_cles", "divergences", "sources")
    autres = {
        k: v
        for k, v in donnees.items()
        if k not in {"id", "titre", "description", "voir_aussi", *communs}
    }
    autres.update({k: donnees[k] for k in communs if k in donnees})
    typer.echo(yaml.safe_dump(autres, allow_unicode=True, sort_keys=False, width=100).rstrip())

    def lister(titre: str, elements: list[dict[str, str]]) -> None:
        typer.echo(f"\n{titre} :" if elements else f"\n{titre} : aucun")
        for e in elements:
            typer.echo(f"  - {e['champ']} → {e['titre']} [{e['collection']} · {e['id']}]")

    lister("Liens", liens)
    lister("Cité par", retroliens)


class FormatExport(StrEnum):
    datapackage = "datapackage"
    json = "json"


@referentiel.command("exporter")
def exporter_cmd(
    sortie: Annotated[
        Path,
        typer.Option(
            "--sortie",
            "-o",
            help="Dossier où écrire l'export (créé, ou remplacé s'il contient un export précédent).",
            show_default=False,
        ),
    ],
    format: Annotated[
        FormatExport,
        typer.Option(
            "--format",
            help="datapackage : Frictionless Data Package (un CSV par collection avec son Table "
            "Schema, plus entrees, liens, sources et divergences) ; json : referentiel.json et "
            "schemas.json.",
            case_sensitive=False,
        ),
    ] = FormatExport.datapackage,
    dossier: OptionDossier = None,
) -> None:
    """Exporte le référentiel validé en Data Package Frictionless ou en JSON."""
    from essq.referentiel.export import exporter
    from essq.referentiel.modele import charger

    ref = charger(dossier)
    destination = exporter(ref, format.value, sortie)
    typer.echo(f"Export {format.value} de {len(ref)} entrée(s) écrit dans {destination}.")
