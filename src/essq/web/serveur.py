"""Serving the API (/api/v1) and the web application together, read-only on the warehouse."""

from __future__ import annotations

import os
from pathlib import Path

from essq.config import VARIABLE_HOME, emplacements
from essq.console import console

# How every server of the project runs (``essq servir``, ``essq demo`` and bench/bench_api.py):
# uvloop's event loop and the httptools HTTP parser, both C, instead of asyncio's and h11's
# pure-Python ones (half the per-request CPU on the liveness endpoint).
BOUCLE = "uvloop"
PROTOCOLE_HTTP = "httptools"


def servir(
    home: Path | None = None,
    *,
    port: int = 8000,
    hote: str = "127.0.0.1",
    workers: int = 1,
    cors: str | None = None,
) -> None:
    """Serve API and web application from the warehouse under ``home`` until interrupted.

    Fails early, with a French :class:`~essq.erreurs.ErreurUtilisateur`, when nothing is built
    there or the DSFR assets are missing. ``cors`` is a comma-separated list of origins
    (default: the ``ESSQ_CORS_ORIGINES`` variable, else none). Each of the ``workers``
    processes opens the warehouse read-only.
    """
    import uvicorn

    from essq.api.application import VARIABLE_CORS
    from essq.observatoire import Entrepot
    from essq.web.actifs import dossier_dsfr

    chemin = emplacements(home).home
    Entrepot.ouvrir(chemin).fermer()  # clear French error now if nothing is built
    dossier_dsfr()
    os.environ[VARIABLE_HOME] = str(chemin)
    if cors is not None:
        os.environ[VARIABLE_CORS] = cors
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
        loop=BOUCLE,
        http=PROTOCOLE_HTTP,
        log_level="warning",
        proxy_headers=False,
    )
