"""``essq servir``: the API and the web application together, read-only on the warehouse."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from essq.config import VARIABLE_HOME
from essq.options import OptionHome


def enregistrer(app: typer.Typer) -> None:

    @app.command("servir")
    def servir(
        port: Annotated[
            int, typer.Option("--port", help="Port d'écoute.", min=1, max=65535)
        ] = 8000,
        hote: Annotated[
            str,
            typer.Option(
                "--hote",
                help="Adresse d'écoute (127.0.0.1 : cette machine seulement ; 0.0.0.0 : toutes les interfaces).",
            ),
        ] = "127.0.0.1",
        workers: Annotated[
            int,
            typer.Option(
                "--workers",
                help="Nombre de processus servant en parallèle (chacun ouvre l'entrepôt en lecture seule).",
                min=1,
                max=64,
            ),
        ] = 1,
        cors: Annotated[
            str | None,
            typer.Option(
                "--cors",
                help="Origines autorisées à appeler l'API depuis un navigateur, séparées par des virgules "
                "(par défaut : variable ESSQ_CORS_ORIGINES, sinon aucune).",
            ),
        ] = None,
        home: OptionHome = None,
    ) -> None:
        """Sert l'API (/api/v1) et l'application web à partir de l'entrepôt, en lecture seule."""
        import uvicorn

        from essq.config import emplacements
        from essq.console import console
        from essq.observatoire import Entrepot
        from essq.web.actifs import dossier_dsfr

        chemin = emplacements(home).home
        Entrepot.ouvrir(chemin).fermer()  # clear French error now if nothing is built
        dossier_dsfr()
        os.environ[VARIABLE_HOME] = str(chemin)
        if cors is not None:
            os.environ["ESSQ_CORS_ORIGINES"] = cors
        console.print(
            f"ESS Quartiers : application sur http://{hote}:{port}/ ; API sur http://{hote}:{port}/api/v1/ "
            f"(données : {chemin}). Ctrl+C pour arrêter.",
            highlight=False,
        )
        uvicorn.run(
            "essq.web.application:application_depuis_environnement",
            factory=True,
            host=hote,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=False,
        )


__all__ = ["enregistrer"]
