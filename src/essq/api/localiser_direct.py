"""``GET /api/v1/qpv/localiser`` answered at the ASGI level for plainly well-formed requests.

The route is the API's hottest and its computation is a few tens of microseconds: FastAPI's
routing, parameter validation (pydantic) and response objects cost several times more. This
middleware answers, without them, the requests whose query string is exactly ``lon`` and
``lat`` as plain decimal numbers within range, and optionally ``millesime`` naming an imported
vintage, each once and unencoded. The answer is byte for byte the route's (same function, same
serialisation, same headers). Everything else — any other parameter (``rayon_m``), a value
out of range or oddly written, a point the single-point path refuses — goes on to the FastAPI
route, which gives its usual answer or French error. The route stays the OpenAPI contract.

It runs inside the other middlewares (security headers, size limits, CORS): they apply as to
any other response.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from essq.api.routes import serialiser
from essq.api.service import Service
from essq.erreurs import ErreurUtilisateur

CHEMIN = "/api/v1/qpv/localiser"
_DECIMAL = re.compile(rb"-?[0-9]{1,3}(?:\.[0-9]{1,17})?")
_MILLESIME = re.compile(rb"[0-9]{4}")


def _coordonnee(brut: bytes, borne: float) -> float | None:
    if _DECIMAL.fullmatch(brut) is None:
        return None
    v = float(brut)
    return v if -borne <= v <= borne else None


def lire_requete(requete: bytes) -> tuple[float, float, str | None] | None:
    """(lon, lat, millesime) of a plainly well-formed query string, else None."""
    valeurs: dict[bytes, bytes] = {}
    for partie in requete.split(b"&"):
        cle, egal, valeur = partie.partition(b"=")
        if not egal or cle in valeurs or cle not in (b"lon", b"lat", b"millesime"):
            return None
        valeurs[cle] = valeur
    lon = _coordonnee(valeurs.get(b"lon", b""), 180.0)
    lat = _coordonnee(valeurs.get(b"lat", b""), 90.0)
    if lon is None or lat is None:
        return None
    millesime = valeurs.get(b"millesime")
    if millesime is None:
        return lon, lat, None
    if _MILLESIME.fullmatch(millesime) is None:
        return None
    return lon, lat, millesime.decode()


class LocaliserDirect:
    """ASGI middleware: the fast path of ``GET /api/v1/qpv/localiser`` (see the module)."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == CHEMIN
            and scope["method"] == "GET"
            and not scope.get("root_path")
        ):
            corps = self._repondre(scope["query_string"])
            if corps is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", str(len(corps)).encode()),
                            (b"content-type", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": corps})
                return
        await self.app(scope, receive, send)

    def _repondre(self, requete: bytes) -> bytes | None:
        lus = lire_requete(requete)
        if lus is None:
            return None
        lon, lat, millesime = lus
        try:
            t = self.service.territoires()
            if millesime is not None and millesime not in t.millesimes_qpv:
                return None
            res: dict[str, Any] = t.localiser(lon, lat, None if millesime is None else [millesime])
        except ErreurUtilisateur:  # the route gives the French error
            return None
        return serialiser(res)
