"""The endpoints of ``/api/v1``."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from enum import StrEnum
from pathlib import Path as Chemin
from typing import Annotated, Any
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from essq import __version__
from essq.api import diagnostics_acces
from essq.api.annuaire import LIMITE_MAX, TAILLES, TRIS, Annuaire, Criteres
from essq.api.erreurs_http import REPONSES_ERREUR
from essq.api.service import Introuvable, Service, TropGrand, traduire_inconnu
from essq.erreurs import ErreurUtilisateur
from essq.observatoire.lecture import attribution_texte, stock_reconstitue

LOT_MAX = 10_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_200: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
CSV_XLSX_200: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        }
    }
}
VIVANT = b'{"statut":"ok"}'
VIVANT_SCHEMA = {
    "type": "object",
    "properties": {"statut": {"type": "string"}},
    "required": ["statut"],
}
TYPES_TERRITOIRE = ("qpv", "commune", "epci", "departement", "region", "france")


class TypeTerritoire(StrEnum):
    qpv = "qpv"
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    france = "france"


class Perimetre(StrEnum):
    ensemble = "ensemble"
    en_qpv = "en_qpv"
    hors_qpv = "hors_qpv"


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | int | None = Field(default=None, description="Identifiant libre, renvoyé tel quel")
    lon: float | None = Field(
        default=None, description="Longitude WGS84 en degrés (vide : inconnue)"
    )
    lat: float | None = Field(
        default=None, description="Latitude WGS84 en degrés (vide : inconnue)"
    )


class LotPoints(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: list[Point] = Field(max_length=LOT_MAX, description=f"Au plus {LOT_MAX} points")
    millesime: str | None = Field(
        default=None, description="Millésime QPV (2015 ou 2024) ; tous par défaut"
    )


class Sante(BaseModel):
    statut: str
    version: str
    date_stock: str | None
    dates_stock: list[str]
    dates_reconstituees: list[str] = Field(
        default_factory=list,
        description="Dates de stock reconstituées à partir des stocks historiques de l'INSEE "
        "(adresse, coordonnées et tranche d'effectif du stock plus récent).",
    )
    millesimes_qpv: list[str]
    entrepot_construit_le: str | None
    donnees_demo: bool


class JSONPret(Response):
    """A JSON response whose body is already serialised (bytes)."""

    media_type = "application/json"


def serialiser(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as JSONResponse writes it; dates and other objects as strings."""
    return json.dumps(
        obj, default=str, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()


def _json(obj: Any) -> Response:
    return JSONPret(serialiser(obj))


def _millesimes(service: Service, millesime: str | None) -> list[str] | None:
    if millesime is None:
        return None
    return [millesime]


def creer_routeur(service: Service) -> APIRouter:
    r = APIRouter(prefix="/api/v1", responses=REPONSES_ERREUR)

    # ------------------------------------------------------------------ health
    @r.get("/sante", response_model=Sante, tags=["service"], summary="État du service")
    def sante() -> Sante:
        """Date du stock SIRENE servi, millésimes QPV chargés, nature des données."""
        e = service.entrepot()
        dates = e.dates_stock()
        prov = e.provenance() if dates else {}
        return Sante(
            statut="ok",
            version=__version__,
            date_stock=dates[-1] if dates else None,
            dates_stock=dates,
            dates_reconstituees=[d for d in dates if stock_reconstitue(e.provenance(d))],
            millesimes_qpv=e.millesimes(),
            entrepot_construit_le=prov.get("construit_le"),
            donnees_demo=service.donnees_demo(),
        )

    @r.get(
        "/sante/vivant",
        tags=["service"],
        summary="Le processus répond (sonde de vie)",
        responses={200: {"content": {"application/json": {"schema": VIVANT_SCHEMA}}}},
    )
    async def vivant() -> Response:
        """Sans lecture de données : pour les sondes de vie des répartiteurs de charge."""
        return JSONPret(VIVANT)

    # ------------------------------------------------------------------ QPV localisation
    @r.get("/qpv/localiser", tags=["qpv"], summary="Localiser un point")
    async def localiser(
        lon: Annotated[float, Query(ge=-180, le=180, description="Longitude WGS84 (degrés)")],
        lat: Annotated[float, Query(ge=-90, le=90, description="Latitude WGS84 (degrés)")],
        millesime: Annotated[
            str | None, Query(max_length=4, description="Millésime QPV (2015 ou 2024)")
        ] = None,
        rayon_m: Annotated[
            float | None,
            Query(ge=0, le=5000, description="QPV à moins de N mètres (quartier vécu)"),
        ] = None,
    ) -> Response:
        """Le QPV contenant le point, la distance au plus proche, la commune et ses zonages."""
        # A few hundred microseconds of in-memory computation, no I/O: run in the event loop
        # (a thread hop would cost as much, and the GIL would serialise the work anyway).
        t = service.territoires()
        return _json(t.localiser(lon, lat, _millesimes(service, millesime), rayon_m=rayon_m))

    @r.post(
        "/qpv/localiser",
        tags=["qpv"],
        summary="Localiser un lot de points (JSON ou CSV)",
        responses=CSV_200,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": LotPoints.model_json_schema()},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def localiser_lot(request: Request) -> Response:
        """Jusqu'à 10 000 points. En JSON : ``{"points": [{"id": …, "lon": …, "lat": …}]}``.
        En CSV (``Content-Type: text/csv``, séparateur virgule ou point-virgule, colonnes
        ``lon``/``lat`` ou ``longitude``/``latitude``) : la réponse est le même CSV complété."""
        corps = await request.body()
        type_contenu = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if type_contenu in ("text/csv", "text/plain", "application/csv"):
            return _localiser_csv(service, corps, request.query_params.get("millesime"))
        try:
            lot = LotPoints.model_validate_json(corps or b"null")
        except ValidationError as exc:
            err = exc.errors()[0]
            champ = ".".join(str(p) for p in err.get("loc", ())) or "corps"
            if err.get("type") == "too_long":
                raise TropGrand(
                    f"Lot trop grand : au plus {LOT_MAX} points par requête.",
                    champ="points",
                    correctif="découper le lot en requêtes de 10 000 points au plus.",
                ) from exc
            raise ErreurUtilisateur(
                f"Corps JSON invalide au champ « {champ} » ({err.get('msg', '')}).",
                champ=champ,
                correctif='envoyer {"points": [{"id": "a", "lon": 2.36, "lat": 48.93}, …]}.',
            ) from exc
        t = service.territoires()
        millesimes = t._choisir(_millesimes(service, lot.millesime))
        lon = np.array([np.nan if p.lon is None else p.lon for p in lot.points], dtype=np.float64)
        lat = np.array([np.nan if p.lat is None else p.lat for p in lot.points], dtype=np.float64)
        table = t.localiser_lot(lon, lat, epsg=4326, millesimes=millesimes)
        resultats = []
        for p, ligne in zip(lot.points, table.to_pylist(), strict=True):
            entree: dict[str, Any] = {"id": p.id, "statut_coordonnees": ligne["statut_coordonnees"]}
            for m in millesimes:
                d = ligne[f"distance_qpv_{m}_m"]
                entree[m] = {
                    "code_qp": ligne[f"qpv_{m}"],
                    "distance_m": None if d is None or not np.isfinite(d) else round(d, 1),
                    "code_qp_proche": ligne[f"qpv_proche_{m}"],
                }
            resultats.append(entree)
        return _json({"millesimes": millesimes, "resultats": resultats, "source": t.provenance()})

    # ------------------------------------------------------------------ territories
    @r.get("/territoires", tags=["territoires"], summary="Chercher un territoire")
    def chercher_territoires(
        q: Annotated[str, Query(min_length=1, max_length=200, description="Nom ou code")],
        type: Annotated[list[TypeTerritoire] | None, Query(description="Types retenus")] = None,
        limite: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        """Communes, EPCI, départements, régions et QPV par nom (sans accents) ou code."""
        if not q.strip():
            raise ErreurUtilisateur(
                "Recherche vide.", champ="q", correctif="saisir un nom ou un code de territoire."
            )
        t = service.territoires()
        types = [x.value for x in type] if type else None
        return _json({"resultats": t.chercher(q, types=types, limite=limite)})

    def _territoire(type: TypeTerritoire, code: str) -> str:
        return "france" if type == TypeTerritoire.france else f"{type.value}:{code}"

    @r.get("/territoires/{type}/{code}", tags=["territoires"], summary="Fiche d'un territoire")
    def territoire(type: TypeTerritoire, code: str) -> Response:
        """Identité du territoire ; pour une commune, ses zonages (ZRR/FRR, ACV, PVD)."""
        _verifier_code(code)
        e = service.entrepot()
        with traduire_inconnu("code"):
            fiche = e.territoire(_territoire(type, code))
        if type == TypeTerritoire.commune:
            commune = service.territoires().commune(code)
            fiche["zonages"] = commune["zonages"] if commune else []
            fiche["population"] = commune["population"] if commune else None
        if type == TypeTerritoire.qpv:
            info = service.territoires().qpv(code)
            fiche["communes"] = info["communes"] if info else []
        return _json(fiche)

    @r.get(
        "/territoires/{type}/{code}/indicateurs",
        tags=["territoires"],
        summary="Indicateurs ESS d'un territoire",
        responses=CSV_XLSX_200,
    )
    async def indicateurs(
        type: TypeTerritoire,
        code: str,
        date_stock: Annotated[str | None, Query(max_length=10, description="AAAA-MM-JJ")] = None,
        millesime: Annotated[str, Query(max_length=4)] = "2024",
        format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
    ) -> Response:
        """Établissements et emplois de l'ESS (ensemble, en QPV, hors QPV), répartitions et,
        pour un QPV, comparaisons (EPCI, région, France) ; chaque chiffre avec ses sources."""
        _verifier_code(code)
        terr = _territoire(type, code)
        if format == "json":
            # served from the per-process cache without leaving the event loop; a miss queries
            # the warehouse in a worker thread (DuckDB releases the GIL)
            corps = service.indicateurs_en_cache(terr, date_stock, millesime)
            if corps is None:
                corps = await run_in_threadpool(_indicateurs_json, terr, date_stock, millesime)
            return JSONPret(corps)
        return await run_in_threadpool(
            _indicateurs_fichier, terr, date_stock, millesime, format, type, code
        )

    def _indicateurs_json(terr: str, date_stock: str | None, millesime: str) -> bytes:
        with traduire_inconnu("code"):
            return service.indicateurs_json(terr, date_stock, millesime)

    def _indicateurs_fichier(
        terr: str,
        date_stock: str | None,
        millesime: str,
        format: str,
        type: TypeTerritoire,
        code: str,
    ) -> Response:
        with traduire_inconnu("code"):
            res = service.entrepot().indicateurs(terr, date_stock=date_stock, millesime=millesime)
        return _fichier_indicateurs(res, format, f"indicateurs_{type.value}_{code}")

    @r.get("/territoires/{type}/{code}/evolution", tags=["territoires"], summary="Évolution")
    def evolution(
        type: TypeTerritoire,
        code: str,
        depuis: Annotated[
            str | None, Query(max_length=10, description="Date de stock de début")
        ] = None,
        jusqua: Annotated[
            str | None, Query(max_length=10, description="Date de stock de fin")
        ] = None,
        millesime: Annotated[str, Query(max_length=4)] = "2024",
    ) -> Response:
        """Créations, fermetures, entrées et sorties de QPV entre deux stocks."""
        _verifier_code(code)
        e = service.entrepot()
        _verifier_millesime(e, millesime)
        with traduire_inconnu("code"):
            return _json(
                e.evolution(
                    _territoire(type, code), date_debut=depuis, date_fin=jusqua, millesime=millesime
                )
            )

    @r.get("/territoires/{type}/{code}/carte", tags=["territoires"], summary="Carte (GeoJSON)")
    def carte(
        type: TypeTerritoire,
        code: str,
        millesime: Annotated[str, Query(max_length=4)] = "2024",
    ) -> Response:
        """Contours des QPV du territoire et établissements ESS localisés (GeoJSON WGS84)."""
        _verifier_code(code)
        from essq.api.carte import geojson_territoire

        with traduire_inconnu("code"):
            return _json(geojson_territoire(service.entrepot(), _territoire(type, code), millesime))

    @r.get(
        "/territoires/{type}/{code}/portrait",
        tags=["territoires"],
        summary="Portrait ESS (PDF ou HTML)",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
    )
    def portrait(
        type: TypeTerritoire,
        code: str,
        format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",
    ) -> Response:
        """Le portrait imprimable du territoire (module rapports)."""
        _verifier_code(code)
        fabrique = portrait_disponible()
        if fabrique is None:
            raise Introuvable(
                "Les portraits ne sont pas disponibles dans cette version.",
                correctif="utiliser les exports CSV ou XLSX des indicateurs.",
            )
        terr = _territoire(type, code)
        with traduire_inconnu("code"):
            service.entrepot().territoire(terr)
            contenu = fabrique(terr, format=format, home=service.home)
        media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
        nom = f"portrait_{type.value}_{code}.{format}"
        return Response(
            contenu,
            media_type=media,
            headers=entetes_piece_jointe(nom),
        )

    # ------------------------------------------------------------------ directory
    @r.get(
        "/etablissements",
        tags=["etablissements"],
        summary="Annuaire des établissements ESS",
        responses=CSV_200,
    )
    def etablissements(
        territoire: Annotated[
            str | None,
            Query(max_length=30, description="TYPE:CODE, ex. qpv:QN00001M, epci:200000001"),
        ] = None,
        perimetre: Perimetre = Perimetre.ensemble,
        famille: Annotated[list[str] | None, Query(max_length=10)] = None,
        secteur: Annotated[list[str] | None, Query(max_length=20)] = None,
        taille: Annotated[
            list[str] | None, Query(max_length=5, description=", ".join(TAILLES))
        ] = None,
        q: Annotated[
            str | None, Query(max_length=100, description="Nom, enseigne ou SIRET")
        ] = None,
        proche_qpv_m: Annotated[
            float | None, Query(ge=0, le=10000, description="À moins de N m d'un QPV")
        ] = None,
        employeur: bool | None = None,
        date_stock: Annotated[str | None, Query(max_length=10)] = None,
        millesime: Annotated[str, Query(max_length=4)] = "2024",
        tri: Annotated[str, Query(pattern="^(" + "|".join(TRIS) + ")$")] = "nom",
        limite: Annotated[int, Query(ge=1, le=LIMITE_MAX)] = 50,
        curseur: Annotated[str | None, Query(max_length=400)] = None,
        format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    ) -> Response:
        """Établissements ESS actifs, filtrés et paginés par curseur (valeur « suivant »).
        Les champs masqués des établissements non diffusibles n'apparaissent jamais."""
        criteres = Criteres(
            territoire=territoire or None,
            perimetre=perimetre.value,
            famille=famille or [],
            secteur=secteur or [],
            taille=taille or [],
            q=(q or "").strip() or None,
            proche_qpv_m=proche_qpv_m,
            employeur=employeur,
            date_stock=date_stock,
            millesime=millesime,
            tri=tri,
        )
        annuaire = Annuaire(service.entrepot())
        with traduire_inconnu("territoire"):
            if format == "csv":
                noms, lignes, date = annuaire.exporter(criteres)
                return _csv_reponse(
                    noms,
                    lignes,
                    attribution_texte(date, millesime, service.entrepot().provenance(date)),
                    "etablissements_ess.csv",
                )
            return _json(annuaire.chercher(criteres, limite=limite, curseur=curseur))

    # ------------------------------------------------------------------ référentiel
    @r.get("/referentiel", tags=["referentiel"], summary="Collections du référentiel")
    def referentiel() -> Response:
        from essq.referentiel import charger

        ref = charger()
        return _json({"collections": ref.stats()})

    @r.get(
        "/referentiel/{collection}", tags=["referentiel"], summary="Chercher dans une collection"
    )
    def referentiel_collection(
        collection: Annotated[str, Path(max_length=40)],
        q: Annotated[str, Query(max_length=200, description="Texte libre")] = "",
        filtre: Annotated[
            list[str] | None, Query(max_length=10, description="champ:valeur, ex. stades:creation")
        ] = None,
        limite: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> Response:
        """Recherche plein texte (sans accents, racinisation française), filtres et facettes."""
        from essq.referentiel import COLLECTIONS, charger

        if collection not in COLLECTIONS:
            raise Introuvable(
                f"Collection inconnue : {collection}.",
                champ="collection",
                correctif=f"choisir parmi : {', '.join(COLLECTIONS)}.",
            )
        filtres: dict[str, list[str]] = {}
        for f in filtre or []:
            champ, sep, valeur = f.partition(":")
            if not sep or not champ or not valeur:
                raise ErreurUtilisateur(
                    f"Filtre mal formé : « {f} ».",
                    champ="filtre",
                    correctif="écrire champ:valeur, par exemple stades:creation.",
                )
            filtres.setdefault(champ, []).append(valeur)
        try:
            res = charger().chercher(
                q, collection=collection, filtres=filtres or None, limite=limite
            )
        except KeyError as exc:
            raise ErreurUtilisateur(
                f"Filtre inconnu pour cette collection : {exc}.",
                champ="filtre",
                correctif="voir les facettes renvoyées.",
            ) from exc
        return _json(res.en_dict())

    @r.get(
        "/referentiel/{collection}/{ident}", tags=["referentiel"], summary="Une entrée et ses liens"
    )
    def referentiel_entree(collection: str, ident: str) -> Response:
        from essq.referentiel import charger

        ref = charger()
        entree = ref.get(ident)
        if entree is None or ref.collection_de(ident) != collection:
            raise Introuvable(
                f"Entrée inconnue : {collection}/{ident}.",
                champ="ident",
                correctif="chercher l'identifiant avec GET /api/v1/referentiel/{collection}?q=….",
            )
        liens, retro = liens_de(ref, ident)
        return _json(
            {
                "collection": collection,
                "entree": entree.model_dump(mode="json"),
                "liens": liens,
                "retroliens": retro,
            }
        )

    # ------------------------------------------------------------------ diagnostics
    @r.get("/diagnostics", tags=["diagnostics"], summary="Diagnostics disponibles")
    def diagnostics() -> Response:
        return _json({"diagnostics": diagnostics_acces.lister()})

    @r.get("/diagnostics/{nom}/schema", tags=["diagnostics"], summary="Schéma JSON d'entrée")
    def diagnostic_schema(nom: Annotated[str, Path(max_length=60)]) -> Response:
        return _json(diagnostics_acces.schema(nom))

    @r.post(
        "/diagnostics/{nom}",
        tags=["diagnostics"],
        summary="Exécuter un diagnostic",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def diagnostic(nom: str, request: Request) -> Response:
        """Le corps suit le schéma JSON du diagnostic (GET …/schema). La réponse donne le
        verdict, ses raisons (règle, source, explication), ce qui manque et les suites."""
        corps = await request.body()
        try:
            entree = json.loads(corps or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ErreurUtilisateur(
                "Corps JSON illisible.", champ="corps", correctif="envoyer un objet JSON valide."
            ) from exc
        if not isinstance(entree, dict):
            raise ErreurUtilisateur(
                "Le corps doit être un objet JSON.",
                champ="corps",
                correctif='envoyer {"champ": valeur, …}.',
            )
        return _json(diagnostics_acces.executer(nom, entree))

    return r


def _titre(ref: Any, ident: str) -> str | None:
    e = ref.get(ident)
    return e.titre if e is not None else None


def liens_de(ref: Any, ident: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The links of a référentiel entry, then the links pointing to it: field, collection,
    id and title (None when the other entry is unknown) of the other end."""

    def lien(champ: str, collection: str, autre: str) -> dict[str, Any]:
        return {"champ": champ, "collection": collection, "id": autre, "titre": _titre(ref, autre)}

    return (
        [lien(li.champ, li.collection_cible, li.cible) for li in ref.liens(ident)],
        [lien(li.champ, li.collection_source, li.source) for li in ref.retroliens(ident)],
    )


def _verifier_millesime(e: Any, millesime: str) -> None:
    """Vintages become column names in SQL: only the warehouse's own are accepted."""
    if millesime not in e.millesimes():
        raise ErreurUtilisateur(
            f"Millésime QPV absent de l'entrepôt : {millesime[:10]}.",
            champ="millesime",
            correctif=f"choisir parmi : {', '.join(e.millesimes())}.",
        )


def _verifier_code(code: str) -> None:
    if not code or len(code) > 20 or not all(c.isalnum() for c in code):
        raise ErreurUtilisateur(
            f"Code de territoire invalide : « {code[:40]} ».",
            champ="code",
            correctif="un code COG, SIREN d'EPCI ou code QPV (lettres et chiffres uniquement).",
        )


def portrait_disponible() -> Any:
    """``essq.rapports.portrait`` when the portraits package provides it, else None."""
    try:
        import essq.rapports as rapports
    except ImportError:  # pragma: no cover - the package always exists in the repository
        return None
    return getattr(rapports, "portrait", None)


def entetes_piece_jointe(nom: str) -> dict[str, str]:
    """``Content-Disposition`` of a download named ``nom``, whatever its characters.

    HTTP headers are Latin-1: a name built from a code or a diagnostic's name may hold any
    character (a 500 found by schemathesis). RFC 6266: an ASCII ``filename`` for old clients,
    the exact name percent-encoded in UTF-8 in ``filename*``.
    """
    ascii_ = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in nom)
    return {
        "Content-Disposition": f'attachment; filename="{ascii_}"; '
        f"filename*=UTF-8''{quote(nom, safe='')}"
    }


def _csv_reponse(
    noms: list[str], lignes: list[dict[str, Any]], attribution: str, nom: str
) -> Response:
    tampon = io.StringIO()
    w = csv.writer(tampon)
    w.writerow([*noms, "attribution"])
    for ligne in lignes:
        w.writerow([*("" if ligne[n] is None else ligne[n] for n in noms), attribution])
    return Response(
        tampon.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=entetes_piece_jointe(nom),
    )


def _fichier_indicateurs(res: dict[str, Any], format: str, base: str) -> Response:
    from essq.observatoire.exports import ecrire_indicateurs

    with tempfile.TemporaryDirectory() as d:
        chemin = Chemin(d) / f"{base}.{format}"
        ecrire_indicateurs(res, format, chemin)
        contenu = chemin.read_bytes()
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        contenu,
        media_type=media,
        headers=entetes_piece_jointe(f"{base}.{format}"),
    )


COLONNES_LON = ("lon", "longitude", "x")
COLONNES_LAT = ("lat", "latitude", "y")


def _localiser_csv(service: Service, corps: bytes, millesime: str | None) -> Response:
    try:
        texte = corps.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ErreurUtilisateur(
            "Le CSV n'est pas encodé en UTF-8.",
            champ="corps",
            correctif="réenregistrer le fichier en UTF-8.",
        ) from exc
    lignes_brutes = texte.splitlines()
    if not lignes_brutes or not lignes_brutes[0].strip():
        raise ErreurUtilisateur(
            "CSV vide : une ligne d'en-tête est attendue.",
            champ="corps",
            correctif="envoyer un CSV avec au moins les colonnes lon et lat.",
        )
    sep = ";" if lignes_brutes[0].count(";") > lignes_brutes[0].count(",") else ","
    lecteur = csv.reader(io.StringIO(texte), delimiter=sep)
    try:
        entete = next(lecteur)
        lignes = list(lecteur)
    except csv.Error as exc:
        raise ErreurUtilisateur(
            f"CSV mal formé : {exc}.",
            champ="corps",
            correctif="vérifier les guillemets et le séparateur.",
        ) from exc
    noms = [n.strip().lower() for n in entete]
    i_lon = next((noms.index(c) for c in COLONNES_LON if c in noms), None)
    i_lat = next((noms.index(c) for c in COLONNES_LAT if c in noms), None)
    if i_lon is None or i_lat is None:
        raise ErreurUtilisateur(
            f"Colonnes de coordonnées introuvables dans l'en-tête : {', '.join(entete)[:200]}.",
            champ="entete",
            correctif="nommer les colonnes lon et lat (ou longitude et latitude), en degrés WGS84.",
        )
    lignes = [li for li in lignes if any(v.strip() for v in li)]
    if len(lignes) > LOT_MAX:
        raise TropGrand(
            f"Lot trop grand : {len(lignes)} lignes, au plus {LOT_MAX} par requête.",
            champ="corps",
            correctif="découper le fichier en morceaux de 10 000 lignes.",
        )

    def nombre(v: str, ligne: int, champ: str) -> float:
        v = v.strip().replace(",", ".") if sep == ";" else v.strip()
        if not v:
            return float("nan")
        try:
            x = float(v)
        except ValueError as exc:
            raise ErreurUtilisateur(
                f"Valeur non numérique « {v[:30]} ».",
                champ=champ,
                ligne=ligne,
                correctif="écrire les coordonnées en degrés décimaux (ex. 2.3522).",
            ) from exc
        return x

    lon = np.empty(len(lignes))
    lat = np.empty(len(lignes))
    for k, li in enumerate(lignes):
        if len(li) != len(entete):
            raise ErreurUtilisateur(
                f"Ligne {k + 2} : {len(li)} colonnes au lieu de {len(entete)}.",
                champ="corps",
                ligne=k + 2,
                correctif="vérifier le séparateur et les guillemets de cette ligne.",
            )
        lon[k] = nombre(li[i_lon], k + 2, entete[i_lon])
        lat[k] = nombre(li[i_lat], k + 2, entete[i_lat])
    t = service.territoires()
    millesimes = t._choisir([millesime] if millesime else None)
    table = t.localiser_lot(lon, lat, epsg=4326, millesimes=millesimes)
    ajout = ["statut_coordonnees"]
    for m in millesimes:
        ajout += [f"qpv_{m}", f"distance_qpv_{m}_m", f"qpv_proche_{m}"]
    colonnes = {n: table.column(n).to_pylist() for n in ajout}
    sortie = io.StringIO()
    w = csv.writer(sortie, delimiter=sep)
    w.writerow([*entete, *ajout])
    for k, li in enumerate(lignes):
        valeurs = []
        for n in ajout:
            v = colonnes[n][k]
            if isinstance(v, float):
                v = "" if not np.isfinite(v) else f"{v:.1f}"
            valeurs.append("" if v is None else v)
        w.writerow([*li, *valeurs])
    return Response(
        sortie.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=entetes_piece_jointe("localisation_qpv.csv"),
    )
