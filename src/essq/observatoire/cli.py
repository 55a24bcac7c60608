"""Commands ``essq construire``, ``essq indicateurs``, ``essq evolution``, ``essq exporter``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from essq.console import afficher_json, console
from essq.options import (
    OptionHistoriqueEtablissements,
    OptionHistoriqueUnitesLegales,
    OptionHome,
)

OptionDateStock = Annotated[
    str | None,
    typer.Option(
        "--date-stock",
        help="Date du stock SIRENE (AAAA-MM-JJ) ; par défaut la plus récente de l'entrepôt.",
    ),
]
OptionMillesime = Annotated[
    str,
    typer.Option("--millesime", help="Millésime de la géographie prioritaire : 2024 ou 2015."),
]


def enregistrer(app: typer.Typer) -> None:
    @app.command("construire")
    def construire_cmd(
        etablissements: Annotated[
            Path,
            typer.Option(
                "--etablissements",
                help="Stock SIRENE des établissements (StockEtablissement, CSV ou Parquet).",
            ),
        ],
        unites_legales: Annotated[
            Path,
            typer.Option(
                "--unites-legales",
                help="Stock SIRENE des unités légales (StockUniteLegale, CSV ou Parquet).",
            ),
        ],
        date_stock: Annotated[
            list[str] | None,
            typer.Option(
                "--date-stock",
                metavar="AAAA-MM-JJ",
                help="Date du stock SIRENE (AAAA-MM-JJ) ; par défaut la date de modification du "
                "fichier des établissements. Avec les fichiers historiques : la date passée à "
                "reconstituer, répétable (--date-stock 2022-12-31 --date-stock 2023-12-31) "
                "pour construire une série.",
            ),
        ] = None,
        historique_etablissements: OptionHistoriqueEtablissements = None,
        historique_unites_legales: OptionHistoriqueUnitesLegales = None,
        home: OptionHome = None,
    ) -> None:
        """Construit l'entrepôt de l'observatoire : qualification SIRENE puis indicateurs de chaque QPV et de chaque territoire (ajoute ou remplace cette date de stock, de façon atomique)."""
        from essq.erreurs import ErreurUtilisateur
        from essq.observatoire.construction import construire

        dates: list[str | None] = [*date_stock] if date_stock else [None]
        historique = historique_etablissements is not None or historique_unites_legales is not None
        if len(dates) > 1 and not historique:
            raise ErreurUtilisateur(
                "Plusieurs dates de stock pour un seul stock SIRENE.",
                champ="--date-stock",
                correctif="un stock n'a qu'une date ; plusieurs --date-stock servent à reconstituer "
                "des dates passées avec --historique-etablissements et/ou "
                "--historique-unites-legales.",
            )
        for date in dates:  # one atomic build per date: a failure keeps the dates already built
            rapport = construire(
                etablissements,
                unites_legales,
                date_stock=date,
                home=home,
                historique_etablissements=historique_etablissements,
                historique_unites_legales=historique_unites_legales,
            )
            _afficher_construction(rapport)

    def _afficher_construction(rapport: Any) -> None:
        console.print(
            f"[green]Entrepôt construit[/] : {rapport.entrepot}\n"
            f"  date de stock {rapport.date_stock}, millésimes QPV {', '.join(rapport.millesimes_qpv)}\n"
            f"  {rapport.lignes_qualifiees} établissements lus, {rapport.etablissements_actifs} actifs, "
            f"{rapport.etablissements_ess_actifs} actifs de l'ESS\n"
            f"  dates de stock disponibles : {', '.join(rapport.dates_stock_entrepot)}\n"
            f"  durée : {rapport.duree_secondes:.1f} s",
            highlight=False,
        )
        for avertissement in rapport.avertissements:
            console.print(f"[yellow]Attention :[/] {avertissement}", highlight=False)

    @app.command("indicateurs")
    def indicateurs_cmd(
        territoire: Annotated[
            str,
            typer.Argument(
                help="Territoire : qpv:QN09301M, qpv:QP093001, commune:93066, epci:200054781, "
                "departement:93, region:11 ou france.",
                show_default=False,
            ),
        ],
        date_stock: OptionDateStock = None,
        millesime: OptionMillesime = "2024",
        format: Annotated[
            str, typer.Option("--format", help="Format de sortie : json, csv ou xlsx.")
        ] = "json",
        sortie: Annotated[
            Path | None,
            typer.Option(
                "--sortie",
                help="Fichier de sortie (obligatoire pour xlsx ; sinon sortie standard).",
            ),
        ] = None,
        home: OptionHome = None,
    ) -> None:
        """Affiche les chiffres clés de l'ESS d'un territoire (ensemble, en QPV, hors QPV) ; pour un QPV, comparés à son EPCI, sa région et la France."""
        from essq.erreurs import ErreurUtilisateur
        from essq.fichiers import ecriture_atomique
        from essq.observatoire.entrepot import Entrepot

        format = format.lower()
        if format not in ("json", "csv", "xlsx"):
            raise ErreurUtilisateur(
                f"Format inconnu : {format}.",
                champ="--format",
                correctif="choisir json, csv ou xlsx.",
            )
        with Entrepot.ouvrir(home) as entrepot:
            res = entrepot.indicateurs(territoire, date_stock=date_stock, millesime=millesime)
        if format == "json":
            texte = json.dumps(res, ensure_ascii=False, indent=2)
            if sortie is None:
                sys.stdout.write(texte + "\n")
            else:
                with ecriture_atomique(sortie) as tmp:
                    tmp.write_text(texte, encoding="utf-8")
            return
        from essq.observatoire.exports import ecrire_indicateurs

        texte_csv = ecrire_indicateurs(res, format, sortie)
        if texte_csv is not None:
            sys.stdout.write(texte_csv)

    @app.command("evolution")
    def evolution_cmd(
        territoire: Annotated[
            str,
            typer.Argument(
                help="Territoire : qpv:QN09301M, commune:93066, epci:…, departement:93, region:11 ou france.",
                show_default=False,
            ),
        ],
        debut: Annotated[
            str | None,
            typer.Option("--debut", help="Date de stock de départ (par défaut l'avant-dernière)."),
        ] = None,
        fin: Annotated[
            str | None,
            typer.Option("--fin", help="Date de stock d'arrivée (par défaut la plus récente)."),
        ] = None,
        millesime: OptionMillesime = "2024",
        home: OptionHome = None,
    ) -> None:
        """Évolution de l'ESS d'un territoire entre deux dates de stock : établissements créés, fermés, entrés ou sortis des QPV, variation des effectifs."""
        from essq.observatoire.entrepot import Entrepot

        with Entrepot.ouvrir(home) as entrepot:
            res = entrepot.evolution(
                territoire, date_debut=debut, date_fin=fin, millesime=millesime
            )
        afficher_json(res)

    @app.command("exporter")
    def exporter_cmd(
        niveau: Annotated[
            str,
            typer.Option(
                "--niveau",
                help="Niveau de territoire : qpv, commune, epci, departement, region ou france.",
            ),
        ],
        format: Annotated[
            str,
            typer.Option(
                "--format", help="Format : csv, parquet, xlsx ou geojson (QPV seulement)."
            ),
        ],
        sortie: Annotated[Path, typer.Option("--sortie", help="Fichier à écrire.")],
        date_stock: OptionDateStock = None,
        millesime: OptionMillesime = "2024",
        home: OptionHome = None,
    ) -> None:
        """Exporte la table complète des indicateurs d'un niveau de territoire, avec l'attribution des sources (Licence Ouverte)."""
        from essq.observatoire.entrepot import Entrepot
        from essq.observatoire.exports import exporter

        with Entrepot.ouvrir(home) as entrepot:
            res = exporter(
                entrepot, niveau, format, sortie, date_stock=date_stock, millesime=millesime
            )
        console.print(
            f"[green]Export écrit[/] : {res['fichier']} ({res['lignes']} lignes, {res['colonnes']} colonnes)",
            highlight=False,
        )
