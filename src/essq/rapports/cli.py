"""``essq portrait``: the printable Portrait ESS of a territory, or of every QPV of a territory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from essq.console import console, progression
from essq.erreurs import ErreurUtilisateur
from essq.fichiers import ecriture_atomique
from essq.options import OptionHome


def enregistrer(app: typer.Typer) -> None:
    @app.command("portrait")
    def portrait_cmd(
        territoire: Annotated[
            str,
            typer.Argument(
                help="Territoire : qpv:QN09301M, commune:93066, epci:200054781, departement:93, "
                "region:11 ou france.",
                show_default=False,
            ),
        ],
        sortie: Annotated[
            Path,
            typer.Option(
                "--sortie",
                help="Fichier à écrire (ou dossier avec --tous-les-qpv) ; remplacé seulement si "
                "tout a réussi.",
                show_default=False,
            ),
        ],
        format: Annotated[
            str, typer.Option("--format", help="Format du portrait : pdf ou html.")
        ] = "pdf",
        tous_les_qpv: Annotated[
            bool,
            typer.Option(
                "--tous-les-qpv",
                help="Écrire dans le dossier --sortie le portrait de chaque QPV du territoire "
                "(fichiers portrait-CODE.pdf).",
            ),
        ] = False,
        date_stock: Annotated[
            str | None,
            typer.Option(
                "--date-stock",
                help="Date du stock SIRENE (AAAA-MM-JJ) ; par défaut la plus récente de l'entrepôt.",
                show_default=False,
            ),
        ] = None,
        millesime: Annotated[
            str,
            typer.Option(
                "--millesime", help="Millésime de la géographie prioritaire : 2024 ou 2015."
            ),
        ] = "2024",
        home: OptionHome = None,
    ) -> None:
        """Produit le portrait ESS imprimable d'un territoire (PDF ou HTML) : identité, chiffres
        clés comparés, graphiques, carte, annuaire, dispositifs et leviers."""
        from essq.rapports.portraits import portrait, portraits_qpv, verifier_format

        format = verifier_format(format)
        if tous_les_qpv:
            if sortie.exists() and not sortie.is_dir():
                raise ErreurUtilisateur(
                    f"{sortie} existe et n'est pas un dossier.",
                    champ="--sortie",
                    correctif="avec --tous-les-qpv, --sortie désigne un dossier (remplacé en entier).",
                )
            with progression() as barre:
                tache = barre.add_task("Portraits des QPV", total=None)

                def avancer(code: str, rang: int, total: int) -> None:
                    barre.update(tache, completed=rang, total=total, description=f"Portrait {code}")

                fichiers = portraits_qpv(
                    territoire,
                    sortie,
                    format=format,
                    home=home,
                    date_stock=date_stock,
                    millesime=millesime,
                    avancement=avancer,
                )
            console.print(f"{len(fichiers)} portrait(s) écrit(s) dans {sortie}", highlight=False)
            return
        if sortie.is_dir():
            raise ErreurUtilisateur(
                f"{sortie} est un dossier.",
                champ="--sortie",
                correctif="donner un nom de fichier (ex. portrait.pdf), ou ajouter --tous-les-qpv.",
            )
        with progression(transitoire=True) as barre:
            barre.add_task(f"Portrait {territoire}", total=None)
            octets = portrait(
                territoire, format=format, home=home, date_stock=date_stock, millesime=millesime
            )
        with ecriture_atomique(sortie) as tmp:
            tmp.write_bytes(octets)
        console.print(f"Portrait écrit : {sortie} ({len(octets) // 1024} Ko)", highlight=False)
