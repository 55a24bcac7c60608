"""``essq demo``: build the fictional demo territory end to end, then serve the application.

Every step goes through the product's real pipeline, exactly as with official data:
generate the files (essq.generateur, official formats, labelled "Données fictives de
démonstration"), import the COG, both QPV generations and the zonings (essq.territoires),
qualify and aggregate both SIRENE stock dates into the warehouse (essq.observatoire), then
``essq servir``. Only this orchestration knows the generator exists.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from essq.config import emplacements
from essq.console import console
from essq.options import OptionHome

LIBELLE = "Données fictives de démonstration"


def construire_demo(home: Path | str | None = None, *, graine: int = 2026) -> dict[str, object]:
    """Generate, import and build the demo territory in ``home``; return a summary."""
    from essq.generateur import generer_demo
    from essq.observatoire import construire
    from essq.territoires.cog import importer_cog
    from essq.territoires.qpv import importer_qpv
    from essq.territoires.zonages import importer_zonage

    lieux = emplacements(home).creer()
    debut = time.perf_counter()
    etapes: list[tuple[str, float]] = []

    def etape(nom: str, t0: float) -> None:
        etapes.append((nom, time.perf_counter() - t0))
        console.print(f"[green]✓[/] {nom} ({etapes[-1][1]:.1f} s)")

    t0 = time.perf_counter()
    manifeste = generer_demo(lieux.demo, graine=graine)
    etape(f"Territoire fictif généré dans {lieux.demo}", t0)

    t0 = time.perf_counter()
    importer_cog(manifeste.cog, home=lieux.home)
    importer_qpv([manifeste.qpv_2024], "2024", home=lieux.home)
    importer_qpv([manifeste.qpv_2015], "2015", home=lieux.home)
    for zonage in ("zrr", "acv", "pvd"):
        importer_zonage(manifeste.chemin(zonage), zonage=zonage, home=lieux.home)
    etape("Territoires importés (COG, QPV 2015 et 2024, ZRR, ACV, PVD)", t0)

    dates = list(manifeste.dates_stock)
    for date in dates:
        t0 = time.perf_counter()
        construire(
            manifeste.stock(date, "etablissements", "parquet"),
            manifeste.stock(date, "unites_legales", "parquet"),
            date_stock=date,
            home=lieux.home,
            commande=f"essq demo (stock du {date})",
        )
        etape(f"Entrepôt construit pour le stock du {date}", t0)

    resume = {
        "libelle": LIBELLE,
        "home": str(lieux.home),
        "dates_stock": dates,
        "duree_s": round(time.perf_counter() - debut, 1),
        "etapes": [{"etape": n, "duree_s": round(d, 2)} for n, d in etapes],
    }
    return resume


def enregistrer(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        port: Annotated[
            int, typer.Option("--port", help="Port d'écoute.", min=1, max=65535)
        ] = 8000,
        hote: Annotated[str, typer.Option("--hote", help="Adresse d'écoute.")] = "127.0.0.1",
        graine: Annotated[
            int,
            typer.Option("--graine", help="Graine du générateur (mêmes données à graine égale)."),
        ] = 2026,
        sans_serveur: Annotated[
            bool,
            typer.Option("--sans-serveur", help="Construit les données sans lancer l'application."),
        ] = False,
        home: OptionHome = None,
    ) -> None:
        """Construit le territoire fictif de démonstration puis sert l'application web."""
        lieux = emplacements(home if home else Path.cwd() / ".essq" / "demo-home")
        console.print(f"[bold]{LIBELLE}[/] : construction dans {lieux.home}")
        resume = construire_demo(lieux.home, graine=graine)
        console.print(f"Prêt en {resume['duree_s']} s.")
        if sans_serveur:
            typer.echo(json.dumps(resume, ensure_ascii=False, indent=2))
            return
        from essq.web import servir

        servir(lieux.home, port=port, hote=hote)
