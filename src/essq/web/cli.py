"""``essq servir``: the API and the web application together, read-only on the warehouse."""

from __future__ import annotations

from typing import Annotated

import typer

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
        from essq.web import servir as lancer

        lancer(home, port=port, hote=hote, workers=workers, cors=cors)


__all__ = ["enregistrer"]
