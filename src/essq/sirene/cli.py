"""``essq sirene …``: qualify INSEE's SIRENE stocks and manage the user's ESS lists."""

from pathlib import Path
from typing import Annotated

import typer

from essq.options import (
    OptionHistoriqueEtablissements,
    OptionHistoriqueUnitesLegales,
    OptionHome,
    groupe,
)

AIDE_QUALIFIER = (
    "Qualifie un stock SIRENE : famille ESS (catégorie juridique, indicateur de l'Insee, "
    "listes), secteur, emplois estimés, commune et QPV de chaque établissement. Écrit un "
    "fichier .parquet ou .csv et affiche le rapport (comptes par famille, placement, rejets)."
)


def enregistrer(app: typer.Typer) -> None:
    sirene = groupe(
        "Fichiers stock SIRENE de l'Insee : qualification ESS des unités légales et des "
        "établissements, listes complémentaires."
    )
    listes_app = groupe(
        "Listes complémentaires d'unités de l'ESS (ESS France, ESUS, SIAE, fonds de dotation)."
    )

    @sirene.command("qualifier", help=AIDE_QUALIFIER)
    def qualifier_cmd(
        unites_legales: Annotated[
            Path,
            typer.Option(
                "--unites-legales",
                help="Stock des unités légales (StockUniteLegale : .csv, .zip, .csv.gz ou .parquet).",
            ),
        ],
        sortie: Annotated[
            Path, typer.Option("--sortie", help="Fichier produit : .parquet ou .csv.")
        ],
        etablissements: Annotated[
            Path | None,
            typer.Option(
                "--etablissements",
                help="Stock des établissements (StockEtablissement). Sans lui, une ligne par "
                "unité légale ; avec lui, les territoires doivent être importés.",
            ),
        ] = None,
        liste_ess_france: Annotated[
            Path | None,
            typer.Option(
                "--liste-ess-france", help="Liste ESS France (colonne siren) pour ce calcul."
            ),
        ] = None,
        liste_esus: Annotated[
            Path | None,
            typer.Option("--liste-esus", help="Liste des entreprises agréées ESUS pour ce calcul."),
        ] = None,
        liste_siae: Annotated[
            Path | None,
            typer.Option("--liste-siae", help="Liste des SIAE, EA et ESAT pour ce calcul."),
        ] = None,
        liste_fonds_dotation: Annotated[
            Path | None,
            typer.Option(
                "--liste-fonds-dotation", help="Liste des fonds de dotation pour ce calcul."
            ),
        ] = None,
        sans_exclusions_naf: Annotated[
            bool,
            typer.Option(
                "--sans-exclusions-naf",
                help="Ne pas retirer les activités réputées hors champ (administration, "
                "syndicats, cultes, partis) des familles statutaires.",
            ),
        ] = False,
        exclure_fonds_dotation: Annotated[
            bool,
            typer.Option(
                "--exclure-fonds-dotation",
                help="Retirer de la famille fondation les fonds de dotation connus par une liste.",
            ),
        ] = False,
        memoire: Annotated[
            str, typer.Option("--memoire", help="Mémoire maximale de DuckDB (ex. 3GB).")
        ] = "3GB",
        distances: Annotated[
            str,
            typer.Option(
                "--distances",
                help="Lignes qui reçoivent le QPV le plus proche et leur distance : « toutes » "
                "(par défaut) ou « ess » (établissements de l'ESS seulement, plus rapide ; "
                "c'est ce dont l'observatoire a besoin).",
            ),
        ] = "toutes",
        date_historique: Annotated[
            str | None,
            typer.Option(
                "--date-historique",
                help="Reconstitue le stock tel qu'il était à cette date passée (AAAA-MM-JJ) à "
                "partir des fichiers historiques de l'Insee (--historique-…).",
            ),
        ] = None,
        historique_unites_legales: OptionHistoriqueUnitesLegales = None,
        historique_etablissements: OptionHistoriqueEtablissements = None,
        en_json: Annotated[
            bool, typer.Option("--json", help="Affiche le rapport en JSON.")
        ] = False,
        home: OptionHome = None,
    ) -> None:
        from essq.console import afficher_json
        from essq.sirene.qualification import qualifier

        listes = {
            t: p
            for t, p in (
                ("ess_france", liste_ess_france),
                ("esus", liste_esus),
                ("siae", liste_siae),
                ("fonds_dotation", liste_fonds_dotation),
            )
            if p is not None
        }
        rapport = qualifier(
            unites_legales,
            etablissements,
            sortie,
            home=home,
            listes=listes,
            exclusions_naf=not sans_exclusions_naf,
            exclure_fonds_dotation=exclure_fonds_dotation,
            memoire=memoire,
            distances=distances,
            date_historique=date_historique,
            historique_unites_legales=historique_unites_legales,
            historique_etablissements=historique_etablissements,
        )
        if en_json:
            afficher_json(rapport.en_dict())
        else:
            typer.echo(rapport.texte())

    @listes_app.command(
        "importer",
        help="Importe une liste d'unités (CSV ou Parquet avec une colonne siren ou siret) ; "
        "elle sert ensuite à chaque qualification.",
    )
    def importer_cmd(
        fichier: Annotated[Path, typer.Argument(help="Fichier de la liste (.csv ou .parquet).")],
        type_liste: Annotated[
            str,
            typer.Option(
                "--type",
                help="Type de liste : ess_france, esus, siae ou fonds_dotation.",
            ),
        ],
        home: OptionHome = None,
    ) -> None:
        from essq.sirene.listes import TYPES_LISTE, importer_liste

        info = importer_liste(type_liste, fichier, home=home)
        typer.echo(
            f"Liste « {TYPES_LISTE[type_liste][0]} » importée : {info.siren_valides} SIREN "
            f"({info.lignes_lues} lignes lues, {info.lignes_rejetees} rejetées faute de SIREN valide)."
        )

    @listes_app.command("voir", help="Affiche les listes importées et leur provenance.")
    def voir_cmd(home: OptionHome = None) -> None:
        from essq.sirene.listes import TYPES_LISTE, provenance_listes

        listes = provenance_listes(home)
        if not listes:
            typer.echo("Aucune liste importée.")
            return
        for t, meta in listes.items():
            typer.echo(
                f"{t} — {TYPES_LISTE[t][0]} : {meta.get('siren_valides')} SIREN, "
                f"fichier {meta.get('fichier')}, importée le {meta.get('date_import')}"
            )

    sirene.add_typer(listes_app, name="listes")
    app.add_typer(sirene, name="sirene")
