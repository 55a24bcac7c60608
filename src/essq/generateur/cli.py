"""``essq generer``: synthetic SIRENE stocks and the fictional demo territory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from essq.console import console
from essq.options import PARAMETRES, OptionHome

AIDE = (
    "Génère des fichiers aux formats officiels (stocks SIRENE, QPV, COG, zonages) pour les "
    "tests, les bancs d'essai et la démonstration. Ce ne sont pas des données réelles."
)


def enregistrer(app: typer.Typer) -> None:
    groupe = typer.Typer(
        name="generer",
        help=AIDE,
        no_args_is_help=False,
        invoke_without_command=True,
        context_settings=PARAMETRES,
    )

    @groupe.callback(invoke_without_command=True)
    def generer(
        ctx: typer.Context,
        etablissements: Annotated[
            int | None,
            typer.Option(
                "--etablissements",
                "-n",
                help="Nombre d'établissements à générer (de 1 à 100 millions ; les unités "
                "légales suivent, environ 0,67 par établissement).",
                show_default=False,
            ),
        ] = None,
        sortie: Annotated[
            Path | None,
            typer.Option(
                "--sortie", "-o", help="Dossier où écrire les fichiers.", show_default=False
            ),
        ] = None,
        graine: Annotated[
            int, typer.Option("--graine", help="Graine du tirage : mêmes arguments, mêmes octets.")
        ] = 1,
        qpv: Annotated[
            Path | None,
            typer.Option(
                "--qpv",
                help="Fichier GeoJSON des QPV (ANCT, WGS84 ou Lambert-93) : place une part des "
                "établissements dans les QPV, à moins de 300 m, à moins de 1 km et plus loin.",
                show_default=False,
            ),
        ] = None,
        format_: Annotated[
            str,
            typer.Option("--format", help="Formats écrits : csv, parquet ou csv,parquet."),
        ] = "parquet",
        date_stock: Annotated[
            str,
            typer.Option("--date-stock", help="Date du stock simulé (AAAA-MM-JJ)."),
        ] = "2026-10-31",
    ) -> None:
        """Génère des stocks SIRENE fictifs (StockEtablissement, StockUniteLegale) au format INSEE."""
        if ctx.invoked_subcommand is not None:
            return
        from essq.erreurs import ErreurUtilisateur
        from essq.generateur.stock import generer_stock, lire_date

        if etablissements is None or sortie is None:
            raise ErreurUtilisateur(
                "Il manque le nombre d'établissements ou le dossier de sortie",
                correctif="Exemple : essq generer --etablissements 100000 --sortie ./stock "
                "(ou « essq generer demo --sortie DOSSIER » pour le territoire de démonstration).",
            )
        resume = generer_stock(
            sortie,
            etablissements,
            graine=graine,
            qpv=qpv,
            formats=format_,
            date_stock=lire_date(date_stock),
        )
        console.print(
            f"[green]{resume['etablissements']:,} établissements et {resume['unites_legales']:,} "
            f"unités légales écrits dans {sortie}[/] ({resume['secondes']} s).".replace(",", " "),
            highlight=False,
        )
        typer.echo(json.dumps(resume, ensure_ascii=False, indent=2))

    @groupe.command("demo")
    def demo(
        sortie: Annotated[
            Path | None,
            typer.Option(
                "--sortie",
                "-o",
                help="Dossier où écrire le territoire de démonstration "
                "(par défaut : le dossier « demo » de ESSQ_HOME).",
                show_default=False,
            ),
        ] = None,
        graine: Annotated[int, typer.Option("--graine", help="Graine du tirage.")] = 2026,
        home: OptionHome = None,
    ) -> None:
        """Génère le territoire fictif de démonstration (QPV, COG, zonages, deux stocks SIRENE)."""
        from essq.config import emplacements
        from essq.generateur.demo import generer_demo

        dossier = sortie if sortie is not None else emplacements(home).demo
        manifeste = generer_demo(dossier, graine=graine)
        console.print(
            f"[green]Territoire de démonstration écrit dans {dossier}[/] — "
            f"{manifeste.libelle} ({len(manifeste.fichiers)} fichiers).",
            highlight=False,
        )

    app.add_typer(groupe, name="generer")
