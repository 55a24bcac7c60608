"""Assemble the API: routes, French errors, security headers, size limits, CORS."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from essq import __version__
from essq.api import erreurs_http
from essq.api.direct import RoutesDirectes
from essq.api.routes import creer_routeur
from essq.api.service import Service

VARIABLE_CORS = "ESSQ_CORS_ORIGINES"

DESCRIPTION = (
    "API d'ESS Quartiers : localisation dans les quartiers prioritaires de la politique de la "
    "ville (QPV), indicateurs de l'économie sociale et solidaire par territoire, annuaire des "
    "établissements ESS, référentiel (leviers, dispositifs, initiatives…) et diagnostics. "
    "Lecture seule. Toute erreur est un objet JSON : erreur (message en français), champ, "
    "correctif, statut. Sources : INSEE (SIRENE, COG), ANCT (QPV), Licence Ouverte 2.0."
)


def origines_cors(valeur: str | None = None) -> list[str]:
    """Allowed CORS origins: the argument, else ESSQ_CORS_ORIGINES (comma-separated)."""
    brut = valeur if valeur is not None else os.environ.get(VARIABLE_CORS, "")
    return [o.strip() for o in brut.split(",") if o.strip()]


def creer_api(
    home: Path | str | None = None,
    *,
    cors: Sequence[str] | None = None,
    service: Service | None = None,
    rendu_html: erreurs_http.RenduHtml | None = None,
) -> FastAPI:
    """The API alone (the web application adds its pages to the same object)."""
    service = service or Service(home)
    app = FastAPI(
        title="ESS Quartiers",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    erreurs_http.installer(app, rendu_html)
    app.include_router(creer_routeur(service))
    # innermost: the CORS and security-header middlewares apply to its answers too
    app.add_middleware(RoutesDirectes, service=service)
    origines = list(cors) if cors is not None else origines_cors()
    if origines:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origines,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=3600,
        )
    app.add_middleware(erreurs_http.EntetesEtLimites)
    return app
