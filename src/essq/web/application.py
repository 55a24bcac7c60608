"""One ASGI application: the API under /api/v1 and the French web pages, from one warehouse."""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from essq.api.application import creer_api
from essq.api.service import Service
from essq.config import VARIABLE_HOME
from essq.web.actifs import dossier_dsfr
from essq.web.pages import creer_gabarits, creer_routeur_web

STATIQUE = Path(__file__).parent / "statique"


def creer_application(
    home: Path | str | None = None, *, cors: Sequence[str] | None = None, prechauffer: bool = True
) -> FastAPI:
    """The whole application (API + pages) serving ``home``'s warehouse read-only."""
    service = Service(home)
    gabarits = creer_gabarits()

    def rendu_html(
        request: Request, statut: int, message: str, champ: str | None, correctif: str | None
    ) -> Response:
        titres = {
            400: "Demande incorrecte",
            404: "Page introuvable",
            413: "Demande trop volumineuse",
            500: "Erreur inattendue",
            503: "Données indisponibles",
        }
        try:
            demo = service.donnees_demo()
        except Exception:  # noqa: BLE001 - an error page must always render
            demo = False
        return gabarits.TemplateResponse(
            request,
            "erreur.html",
            {
                "titre": titres.get(statut, "Erreur"),
                "statut": statut,
                "message": message,
                "champ": champ,
                "correctif": correctif,
                "donnees_demo": demo,
                "chemin": request.url.path,
            },
            status_code=statut,
        )

    app = creer_api(home, cors=cors, service=service, rendu_html=rendu_html)
    app.mount("/dsfr", StaticFiles(directory=str(dossier_dsfr())), name="dsfr")
    app.mount("/statique", StaticFiles(directory=str(STATIQUE)), name="statique")
    app.include_router(creer_routeur_web(service, gabarits))
    if prechauffer:
        service.prechauffer()
    return app


def application_depuis_environnement() -> FastAPI:
    """Factory for ``uvicorn --factory`` (one per worker process): home from ESSQ_HOME.

    Everything loaded at start-up (territories, indexes, in-memory tables: a few hundred
    thousand objects) lives as long as the process: it is moved out of the garbage
    collector's reach (``gc.freeze``), otherwise each full collection would walk it and stall
    every request of the process for tens of milliseconds.
    """
    app = creer_application(os.environ.get(VARIABLE_HOME))
    gc.collect()
    gc.freeze()
    return app
