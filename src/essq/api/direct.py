"""The API's hottest requests answered at the ASGI level when plainly well-formed:
``GET /api/v1/qpv/localiser``, ``GET /api/v1/territoires/{type}/{code}/indicateurs``
already in the process's cache, and ``GET /api/v1/etablissements`` answered by the
directory's in-memory index.

Their own work is a few tens of microseconds (locating a point, a cache lookup); FastAPI's
routing, parameter validation (pydantic) and response objects cost several times more. This
middleware answers without them:

- ``localiser`` when the query string is exactly ``lon`` and ``lat`` as plain decimal numbers
  within range and optionally ``millesime`` naming an imported vintage, each once and
  unencoded;
- ``indicateurs`` when the type is one of the API's, the code is what the route accepts, the
  query string holds at most ``millesime``, ``date_stock`` (digits and hyphens) and
  ``format=json``, each once, and the JSON answer is already in the per-process cache;
- ``etablissements`` when every parameter is one of the route's, plainly written (no
  percent-encoding, single-valued ones once, ``format=json``, no free text ``q`` nor
  ``date_stock``) and the directory's in-memory index of the process is loaded and serves the
  search (a few hundred microseconds of work, done on the event loop).

The answer is byte for byte the route's (same functions, same serialisation, same headers).
Everything else — another parameter (``rayon_m``), a value out of range or written otherwise,
a point the single-point path refuses, a territory not cached yet — goes on to the FastAPI
route, which gives its usual answer or French error (and fills the cache). The routes stay
the OpenAPI contract.

It runs inside the other middlewares (security headers, size limits, CORS): they apply as to
any other response.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from essq.api.annuaire import LIMITE_MAX, PERIMETRES, TRIS, Annuaire, Criteres
from essq.api.routes import TYPES_TERRITOIRE, serialiser
from essq.api.service import Service
from essq.erreurs import ErreurUtilisateur

LOCALISER = "/api/v1/qpv/localiser"
TERRITOIRES = "/api/v1/territoires/"
INDICATEURS = "/indicateurs"
ETABLISSEMENTS = "/api/v1/etablissements"
_DECIMAL = re.compile(rb"-?[0-9]{1,3}(?:\.[0-9]{1,17})?")
_MILLESIME = re.compile(rb"[0-9]{4}")
_DATE = re.compile(rb"[0-9-]{1,10}")
_TYPES = frozenset(TYPES_TERRITOIRE)
_TERRITOIRE = re.compile(rb"[a-z_]{1,12}:[A-Za-z0-9]{1,17}")
_VALEUR = re.compile(rb"[A-Za-z0-9_]{1,40}")
_CURSEUR = re.compile(rb"[A-Za-z0-9_-]{1,400}")
_LIMITE = re.compile(rb"[1-9][0-9]{0,2}")
_METRES = re.compile(rb"[0-9]{1,5}(?:\.[0-9]{1,6})?")
# the directory route's parameters: single-valued ones, and repeatable ones with their limits
_UNIQUES = frozenset(
    {b"territoire", b"perimetre", b"proche_qpv_m", b"employeur", b"millesime", b"tri"}
    | {b"limite", b"curseur", b"format"}
)
_MULTIPLES = {b"famille": 10, b"secteur": 20, b"taille": 5}
_BOOLEENS = {b"true": True, b"false": False}


def _parametres(requete: bytes, permis: tuple[bytes, ...]) -> dict[bytes, bytes] | None:
    """The query string's parameters when each is permitted, present once and has a value."""
    valeurs: dict[bytes, bytes] = {}
    if not requete:
        return valeurs
    for partie in requete.split(b"&"):
        cle, egal, valeur = partie.partition(b"=")
        if not egal or cle in valeurs or cle not in permis:
            return None
        valeurs[cle] = valeur
    return valeurs


def _coordonnee(brut: bytes, borne: float) -> float | None:
    if _DECIMAL.fullmatch(brut) is None:
        return None
    v = float(brut)
    return v if -borne <= v <= borne else None


def lire_requete(requete: bytes) -> tuple[float, float, str | None] | None:
    """(lon, lat, millesime) of a plainly well-formed ``localiser`` query string, else None."""
    valeurs = _parametres(requete, (b"lon", b"lat", b"millesime"))
    if valeurs is None:
        return None
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


def cle_indicateurs(chemin: str, requete: bytes) -> tuple[str, str | None, str] | None:
    """(territory, date_stock, millesime), the cache key of the ``indicateurs`` route, for a
    plainly well-formed JSON request, else None."""
    milieu = chemin[len(TERRITOIRES) : -len(INDICATEURS)]
    type_, barre, code = milieu.partition("/")
    if (
        not barre
        or type_ not in _TYPES
        or not code
        or len(code) > 20
        or not code.isascii()
        or not code.isalnum()
    ):
        return None
    valeurs = _parametres(requete, (b"millesime", b"date_stock", b"format"))
    if valeurs is None or valeurs.get(b"format", b"json") != b"json":
        return None
    millesime = valeurs.get(b"millesime", b"2024")
    date = valeurs.get(b"date_stock")
    if _MILLESIME.fullmatch(millesime) is None or (
        date is not None and _DATE.fullmatch(date) is None
    ):
        return None
    territoire = "france" if type_ == "france" else f"{type_}:{code}"
    return territoire, None if date is None else date.decode(), millesime.decode()


def lire_annuaire(requete: bytes) -> tuple[Criteres, int, str | None] | None:
    """(criteria, page length, cursor) of a plainly written JSON directory request within the
    route's limits, else None (the route answers, or refuses with its French message)."""
    uniques: dict[bytes, bytes] = {}
    listes: dict[bytes, list[str]] = {cle: [] for cle in _MULTIPLES}
    for partie in requete.split(b"&") if requete else ():
        cle, egal, valeur = partie.partition(b"=")
        if not egal:
            return None
        if cle in _MULTIPLES:
            if _VALEUR.fullmatch(valeur) is None or len(listes[cle]) == _MULTIPLES[cle]:
                return None
            listes[cle].append(valeur.decode())
        elif cle in _UNIQUES and cle not in uniques:
            uniques[cle] = valeur
        else:
            return None
    territoire = uniques.get(b"territoire")
    if territoire is not None and _TERRITOIRE.fullmatch(territoire) is None:
        return None
    perimetre = uniques.get(b"perimetre", b"ensemble").decode("ascii", "replace")
    millesime = uniques.get(b"millesime", b"2024")
    tri = uniques.get(b"tri", b"nom").decode("ascii", "replace")
    limite = uniques.get(b"limite", b"50")
    curseur = uniques.get(b"curseur")
    proche = uniques.get(b"proche_qpv_m")
    employeur = uniques.get(b"employeur")
    if (
        perimetre not in PERIMETRES
        or tri not in TRIS
        or _MILLESIME.fullmatch(millesime) is None
        or _LIMITE.fullmatch(limite) is None
        or int(limite) > LIMITE_MAX
        or (curseur is not None and _CURSEUR.fullmatch(curseur) is None)
        or uniques.get(b"format", b"json") != b"json"
        or (employeur is not None and employeur not in _BOOLEENS)
    ):
        return None
    distance = None
    if proche is not None:
        if _METRES.fullmatch(proche) is None or float(proche) > 10000:
            return None
        distance = float(proche)
    criteres = Criteres(
        territoire=None if territoire is None else territoire.decode(),
        perimetre=perimetre,
        famille=listes[b"famille"],
        secteur=listes[b"secteur"],
        taille=listes[b"taille"],
        proche_qpv_m=distance,
        employeur=None if employeur is None else _BOOLEENS[employeur],
        millesime=millesime.decode(),
        tri=tri,
    )
    return criteres, int(limite), None if curseur is None else curseur.decode()


class RoutesDirectes:
    """ASGI middleware: the fast paths of ``localiser``, cached ``indicateurs`` and the
    directory."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            chemin: str = scope["path"]
            corps = None
            if chemin == LOCALISER:
                corps = self._localiser(scope["query_string"])
            elif chemin == ETABLISSEMENTS:
                corps = self._annuaire(scope["query_string"])
            elif chemin.startswith(TERRITOIRES) and chemin.endswith(INDICATEURS):
                cle = cle_indicateurs(chemin, scope["query_string"])
                if cle is not None:
                    corps = self.service.indicateurs_en_cache(*cle)
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

    def _localiser(self, requete: bytes) -> bytes | None:
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

    def _annuaire(self, requete: bytes) -> bytes | None:
        lus = lire_annuaire(requete)
        if lus is None:
            return None
        criteres, limite, curseur = lus
        try:
            annuaire = Annuaire(self.service.entrepot())
            date = annuaire.verifier(criteres)
            if annuaire.index_pret(criteres, date) is None:  # not loaded yet, or SQL search
                return None
            res = annuaire.chercher(criteres, limite=limite, curseur=curseur)
        except ErreurUtilisateur:  # the route gives the French error (or the 404)
            return None
        return serialiser(res)
