"""French JSON errors, security headers and size limits for every response of the application.

Every error body has the same shape (``Erreur``): ``erreur`` (French message), ``champ`` (the
parameter at fault, when there is one), ``correctif`` (how to fix it) and ``statut``. No stack
trace ever reaches a client: unexpected exceptions are logged server-side and answered with a
generic 500 message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from essq.api.service import Introuvable, TropGrand
from essq.erreurs import DonneesAbsentes, ErreurUtilisateur

journal = logging.getLogger("essq.api")

TAILLE_MAX_CORPS = 5 * 1024 * 1024  # bytes: a 10,000-point batch is far below

ENTETES_SECURITE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
}

# the same, encoded once for the ASGI messages
_ENTETES_SECURITE_BRUTS = [(k.lower().encode(), v.encode()) for k, v in ENTETES_SECURITE.items()]
_NOMS_SECURITE = frozenset(k for k, _ in _ENTETES_SECURITE_BRUTS)


class Erreur(BaseModel):
    """Body of every error response."""

    erreur: str = Field(description="Message en français décrivant le problème")
    champ: str | None = Field(default=None, description="Paramètre ou champ en cause")
    correctif: str | None = Field(default=None, description="Comment corriger la requête")
    statut: int = Field(description="Code HTTP")


REPONSES_ERREUR: dict[int | str, dict[str, Any]] = {
    400: {"model": Erreur, "description": "Paramètre invalide"},
    404: {"model": Erreur, "description": "Ressource introuvable"},
    413: {"model": Erreur, "description": "Requête trop volumineuse"},
    503: {"model": Erreur, "description": "Données non construites sur ce serveur"},
}

TYPES_PYDANTIC = {
    "missing": "paramètre obligatoire manquant",
    "greater_than_equal": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
    "greater_than": "valeur trop petite",
    "less_than": "valeur trop grande",
    "float_parsing": "nombre attendu",
    "int_parsing": "nombre entier attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "string_too_long": "texte trop long",
    "string_too_short": "texte trop court",
    "enum": "valeur non autorisée",
    "literal_error": "valeur non autorisée",
    "json_invalid": "JSON invalide",
    "too_long": "trop d'éléments",
    "too_short": "pas assez d'éléments",
    "finite_number": "nombre fini attendu",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "list_type": "liste attendue",
    "float_type": "nombre attendu",
    "int_type": "nombre entier attendu",
    "string_type": "texte attendu",
}


def reponse_erreur(
    statut: int, message: str, champ: str | None = None, correctif: str | None = None
) -> JSONResponse:
    corps = Erreur(erreur=message, champ=champ, correctif=correctif, statut=statut)
    return JSONResponse(corps.model_dump(), status_code=statut)


def statut_de(exc: ErreurUtilisateur) -> int:
    if isinstance(exc, Introuvable):
        return 404
    if isinstance(exc, TropGrand):
        return 413
    if isinstance(exc, DonneesAbsentes):
        return 503
    return 400


def _champ_pydantic(loc: tuple[Any, ...]) -> str:
    parties = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parties) or "requête"


RenduHtml = Callable[[Request, int, str, str | None, str | None], Response]


def installer(app: FastAPI, rendu_html: RenduHtml | None = None) -> None:
    """French JSON errors; pages outside /api/ get ``rendu_html`` (an HTML error page) instead."""

    def repondre(
        request: Request, statut: int, message: str, champ: str | None, correctif: str | None
    ) -> Response:
        if rendu_html is not None and not request.url.path.startswith("/api/"):
            return rendu_html(request, statut, message, champ, correctif)
        return reponse_erreur(statut, message, champ, correctif)

    @app.exception_handler(ErreurUtilisateur)
    async def _utilisateur(request: Request, exc: ErreurUtilisateur) -> Response:
        return repondre(request, statut_de(exc), exc.message, exc.champ, exc.correctif)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        erreurs = exc.errors()
        premiere: dict[str, Any] = dict(erreurs[0]) if erreurs else {}
        champ = _champ_pydantic(tuple(premiere.get("loc", ())))
        motif = TYPES_PYDANTIC.get(str(premiere.get("type", "")), "valeur invalide")
        ctx: dict[str, Any] = dict(premiere.get("ctx") or {})
        detail = ""
        if "ge" in ctx:
            detail = f" (au moins {ctx['ge']})"
        elif "le" in ctx:
            detail = f" (au plus {ctx['le']})"
        elif "expected" in ctx:
            detail = f" (attendu : {ctx['expected']})"
        elif "max_length" in ctx:
            detail = f" (au plus {ctx['max_length']})"
        elif "pattern" in ctx:
            detail = f" (forme attendue : {ctx['pattern']})"
        return repondre(
            request,
            400,
            f"Paramètre « {champ} » invalide : {motif}{detail}.",
            champ,
            "corriger ce paramètre ; la liste des paramètres est dans /api/v1/openapi.json.",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: "Adresse introuvable.",
            405: "Méthode HTTP non autorisée pour cette adresse.",
        }
        msg = messages.get(exc.status_code, "Requête refusée.")
        return repondre(
            request,
            exc.status_code,
            msg,
            None,
            "consulter la documentation de l'API : /api/v1/docs.",
        )

    @app.exception_handler(Exception)
    async def _interne(request: Request, exc: Exception) -> Response:
        journal.exception("erreur interne sur %s %s", request.method, request.url.path)
        return repondre(
            request,
            500,
            "Erreur interne du serveur. L'incident a été journalisé.",
            None,
            "réessayer plus tard ; si le problème persiste, le signaler aux administrateurs du service.",
        )


class EntetesEtLimites:
    """ASGI middleware: security headers on every response, request bodies capped in size."""

    def __init__(self, app: ASGIApp, taille_max: int = TAILLE_MAX_CORPS) -> None:
        self.app = app
        self.taille_max = taille_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        longueur = next((v for k, v in scope.get("headers") or () if k == b"content-length"), None)
        if longueur is not None and (not longueur.isdigit() or int(longueur) > self.taille_max):
            await self._trop_grand(scope, receive, send)
            return
        recu = 0

        async def recevoir() -> Message:
            nonlocal recu
            message = await receive()
            if message["type"] == "http.request":
                recu += len(message.get("body", b""))
                if recu > self.taille_max:
                    raise TropGrand(
                        f"Corps de requête trop volumineux (plus de {self.taille_max // (1024 * 1024)} Mo).",
                        correctif="découper l'envoi en lots plus petits.",
                    )
            return message

        async def envoyer(message: Message) -> None:
            if message["type"] == "http.response.start":
                entetes = list(message.get("headers", []))
                existants = {k.lower() for k, _ in entetes}
                if existants.isdisjoint(_NOMS_SECURITE):
                    entetes += _ENTETES_SECURITE_BRUTS
                else:
                    entetes += [(k, v) for k, v in _ENTETES_SECURITE_BRUTS if k not in existants]
                message["headers"] = entetes
            await send(message)

        await self.app(scope, recevoir, envoyer)

    async def _trop_grand(self, scope: Scope, receive: Receive, send: Send) -> None:
        rep = reponse_erreur(
            413,
            f"Corps de requête trop volumineux (plus de {self.taille_max // (1024 * 1024)} Mo).",
            None,
            "découper l'envoi en lots plus petits.",
        )
        for k, v in ENTETES_SECURITE.items():
            rep.headers[k] = v
        await rep(scope, receive, send)
