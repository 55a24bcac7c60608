"""Server-rendered French pages (DSFR). Every page reads without JavaScript."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from essq.api import diagnostics_acces
from essq.api.annuaire import LIBELLES_TAILLES, PERIMETRES, TAILLES, TRIS, Annuaire, Criteres
from essq.api.carte import donnees_carte
from essq.api.routes import entetes_piece_jointe, liens_de, portrait_disponible
from essq.api.service import Introuvable, Service, traduire_inconnu
from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.observatoire.lecture import (
    libelle_stock,
    stock_reconstitue,
)
from essq.observatoire.schema import LICENCE
from essq.web import formulaires, graphiques

GABARITS = Path(__file__).parent / "gabarits"

LIBELLES_TYPES = {
    "qpv": "Quartier prioritaire",
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département",
    "region": "Région",
    "france": "France",
}
LIBELLES_PERIMETRES = {
    "ensemble": "Ensemble du territoire",
    "en_qpv": "En QPV",
    "hors_qpv": "Hors QPV",
}
LIBELLES_TAILLES_IND = {
    "sans_salarie": "Sans salarié",
    "1_9": "1 à 9 salariés",
    "10_49": "10 à 49 salariés",
    "50_249": "50 à 249 salariés",
    "250_plus": "250 salariés et plus",
    "inconnue": "Effectif inconnu",
}
LIBELLES_CREATION = {
    "avant_1980": "Avant 1980",
    "1980_1999": "1980 à 1999",
    "2000_2009": "2000 à 2009",
    "2010_2019": "2010 à 2019",
    "depuis_2020": "Depuis 2020",
}
LIBELLES_COLLECTIONS = {
    "familles": "Familles de l'ESS",
    "statuts": "Statuts juridiques",
    "structures_inclusion": "Structures d'inclusion",
    "dispositifs": "Dispositifs d'accompagnement et de financement",
    "leviers": "Leviers pour les collectivités",
    "cadres_cooperation": "Cadres de coopération",
    "initiatives": "Initiatives",
    "modeles_socio_economiques": "Modèles socio-économiques",
    "ressources": "Ressources",
    "criteres_perennite": "Critères de pérennité",
    "besoins": "Besoins des porteurs de projet",
    "activites": "Activités d'utilité sociale",
    "chiffres_cles": "Chiffres clés publiés",
    "glossaire": "Glossaire",
    "ressources_documentaires": "Ressources documentaires",
}
COLLECTIVITES = {
    "qpv": ["commune", "epci"],
    "commune": ["commune"],
    "epci": ["epci", "metropole"],
    "departement": ["departement"],
    "region": ["region"],
    "france": ["etat"],
}


def creer_gabarits() -> Jinja2Templates:
    g = Jinja2Templates(directory=str(GABARITS))
    g.env.globals.update(
        nombre=graphiques.nombre,
        pourcent=graphiques.pourcent,
        LIBELLES_FAMILLES=graphiques.LIBELLES_FAMILLES,
        LIBELLES_TYPES=LIBELLES_TYPES,
        LIBELLES_PERIMETRES=LIBELLES_PERIMETRES,
        LIBELLES_COLLECTIONS=LIBELLES_COLLECTIONS,
        LICENCE=LICENCE,
    )
    g.env.filters["urlencode_params"] = lambda d: urlencode(d, doseq=True)
    g.env.filters["capitalize_premier"] = lambda t: t[:1].upper() + t[1:]
    return g


def _lien_territoire(t: dict[str, Any]) -> str:
    if t["type"] == "france":
        return "/territoire/france/FR"
    return f"/territoire/{t['type']}/{t['code']}"


def creer_routeur_web(service: Service, gabarits: Jinja2Templates) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def rendre(request: Request, gabarit: str, statut: int = 200, **contexte: Any) -> HTMLResponse:
        contexte.setdefault("titre", "ESS Quartiers")
        contexte["donnees_demo"] = service.donnees_demo()
        contexte["chemin"] = request.url.path
        contexte["stock_au"] = _stock_au
        return gabarits.TemplateResponse(request, gabarit, contexte, status_code=statut)

    def _stock_au(date: str, sirene: bool = False) -> str:
        """« stock au D », or « état au D reconstitué… » for a date rebuilt from history."""
        return libelle_stock(date, _stock_reconstitue(date), sirene=sirene)

    def _stock_reconstitue(date: str) -> bool:
        """Was this stock date rebuilt from INSEE's history (pages say so next to the date)?"""
        try:
            return stock_reconstitue(service.entrepot().provenance(date))
        except (DonneesAbsentes, ErreurUtilisateur):
            return False

    r.rendre = rendre  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ home and search
    @r.get("/", response_class=HTMLResponse)
    def accueil(request: Request) -> HTMLResponse:
        etat: dict[str, Any] = {}
        try:
            e = service.entrepot()
            dates = e.dates_stock()
            etat = {
                "date_stock": dates[-1] if dates else None,
                "millesimes": e.millesimes(),
                "qpv": len([t for t in e.territoires("qpv", "2024") if t["millesime"] == "2024"]),
                "france": e.indicateurs("france")["ensemble"] if dates else None,
            }
        except DonneesAbsentes as exc:
            etat = {"absent": exc.texte()}
        return rendre(request, "accueil.html", titre="Accueil", etat=etat)

    @r.get("/recherche", response_class=HTMLResponse)
    def recherche(request: Request, q: str = "") -> HTMLResponse:
        q = q.strip()[:200]
        resultats = service.territoires().chercher(q, limite=30) if q else []
        for res in resultats:
            res["lien"] = _lien_territoire(res)
        return rendre(
            request, "recherche.html", titre=f"Recherche « {q} »", q=q, resultats=resultats
        )

    @r.get("/localiser", response_class=HTMLResponse)
    def localiser(request: Request, lon: str = "", lat: str = "") -> HTMLResponse:
        try:
            x, y = float(lon.replace(",", ".")), float(lat.replace(",", "."))
        except ValueError as exc:
            raise ErreurUtilisateur(
                "Coordonnées illisibles.",
                champ="lon/lat",
                correctif="saisir la longitude et la latitude en degrés décimaux (ex. 2,3522 et 48,8566).",
            ) from exc
        res = service.territoires().localiser(x, y)
        return rendre(
            request, "localiser.html", titre="Localisation d'un point", res=res, lon=x, lat=y
        )

    # ------------------------------------------------------------------ territory
    @r.get("/territoire/{type}/{code}", response_class=HTMLResponse)
    def territoire(request: Request, type: str, code: str, millesime: str = "2024") -> HTMLResponse:
        if type not in LIBELLES_TYPES:
            raise Introuvable(f"Type de territoire inconnu : {type}.", champ="type")
        nom = "france" if type == "france" else f"{type}:{code}"
        e = service.entrepot()
        with traduire_inconnu("code"):
            ind = e.indicateurs(nom, millesime=millesime)
        millesime = ind["millesime_qpv"]
        terr = ind["territoire"]
        fiche = e.territoire(nom, millesime)
        zonages: list[dict[str, Any]] = []
        if type == "commune":
            c = service.territoires().commune(code)
            zonages = c["zonages"] if c else []
        france = e.indicateurs("france", millesime=millesime)["ensemble"]
        ens = ind.get("ensemble") or {}
        graph: dict[str, str] = {}
        if ens.get("par_famille"):
            graph["familles"] = graphiques.barres(
                "Établissements ESS par famille",
                [
                    (graphiques.LIBELLES_FAMILLES.get(k, k), v["etablissements_ess"])
                    for k, v in sorted(
                        ens["par_famille"].items(), key=lambda kv: -kv[1]["etablissements_ess"]
                    )
                ],
            )
        secteurs = sorted(
            (ens.get("par_secteur") or {}).items(), key=lambda kv: -kv[1]["etablissements_ess"]
        )
        if secteurs and any(v["etablissements_ess"] for _, v in secteurs):
            fr_sect = france.get("par_secteur") or {}
            cats = [k for k, _ in secteurs][:12]
            graph["secteurs"] = graphiques.barres_comparees(
                "Part de l'ESS dans l'emploi par secteur : territoire et France",
                cats,
                [
                    (
                        terr.get("libelle") or "Territoire",
                        [ens["par_secteur"][k]["part_ess_emploi"] or 0 for k in cats],
                        graphiques.BLEU,
                    ),
                    (
                        "France",
                        [(fr_sect.get(k) or {}).get("part_ess_emploi") or 0 for k in cats],
                        graphiques.ROUGE,
                    ),
                ],
            )
        for cle, graphe, titre, libelles, couleur in (
            ("par_taille", "tailles", "par taille", LIBELLES_TAILLES_IND, "#18753c"),
            ("par_creation", "creation", "par période de création", LIBELLES_CREATION, "#6e445a"),
        ):
            if ens.get(cle):
                # categories in their natural order (sizes, periods), not by count
                graph[graphe] = graphiques.barres(
                    f"Établissements ESS {titre}",
                    [
                        (libelles[k], ens[cle][k]["etablissements_ess"])
                        for k in libelles
                        if k in ens[cle]
                    ],
                    couleur=couleur,
                )
        dates = e.dates_stock()
        evolution = None
        if len(dates) > 1:
            serie = [
                (
                    d,
                    e.indicateurs(nom, date_stock=d, millesime=millesime)
                    .get("ensemble", {})
                    .get("etablissements_ess", 0),
                )
                for d in dates
            ]
            graph["evolution"] = graphiques.barres(
                "Établissements ESS actifs à chaque date de stock", serie, couleur="#0063cb"
            )
            evolution = e.evolution(nom, millesime=millesime)
        carte = donnees_carte(e, nom, millesime)
        svg_carte = graphiques.carte(
            f"Carte : QPV et établissements ESS localisés — {terr.get('libelle', '')}",
            carte.qpv,
            carte.points,
        )
        annuaire = Annuaire(e).chercher(
            Criteres(territoire=None if type == "france" else nom, millesime=millesime), limite=10
        )
        suggestions = _suggestions(type, fiche)
        params_annuaire = {} if type == "france" else {"territoire": nom}
        return rendre(
            request,
            "territoire.html",
            titre=terr.get("libelle") or nom,
            ind=ind,
            fiche=fiche,
            type=type,
            code=code,
            nom=nom,
            zonages=zonages,
            france=france,
            graph=graph,
            carte_svg=svg_carte,
            carte=carte,
            annuaire=annuaire,
            evolution=evolution,
            suggestions=suggestions,
            params_annuaire=params_annuaire,
            portrait=portrait_disponible() is not None,
            lien_territoire=_lien_territoire,
        )

    # ------------------------------------------------------------------ directory
    @r.get("/annuaire", response_class=HTMLResponse)
    def annuaire(request: Request) -> HTMLResponse:
        p = request.query_params
        criteres = Criteres(
            territoire=(p.get("territoire") or "").strip() or None,
            perimetre=p.get("perimetre") or "ensemble",
            famille=p.getlist("famille"),
            secteur=p.getlist("secteur"),
            taille=p.getlist("taille"),
            q=(p.get("q") or "").strip()[:100] or None,
            proche_qpv_m=_flottant(p.get("proche_qpv_m"), "proche_qpv_m"),
            tri=p.get("tri") or "nom",
        )
        e = service.entrepot()
        with traduire_inconnu("territoire"):
            res = Annuaire(e).chercher(criteres, limite=50, curseur=p.get("curseur") or None)
            carte_svg = None
            if criteres.territoire:
                c = donnees_carte(e, criteres.territoire)
                sirets = {x["siret"] for x in res["resultats"]}
                carte_svg = graphiques.carte(
                    "Carte des établissements de cette page et des QPV du territoire",
                    c.qpv,
                    [x for x in c.points if x["siret"] in sirets],
                )
        params = [(k, v) for k, v in p.multi_items() if k != "curseur" and v != ""]
        return rendre(
            request,
            "annuaire.html",
            titre="Annuaire des établissements ESS",
            res=res,
            criteres=criteres,
            params=params,
            lien_csv="/api/v1/etablissements?" + urlencode([*params, ("format", "csv")]),
            lien_suivant=("/annuaire?" + urlencode([*params, ("curseur", res["suivant"])]))
            if res["suivant"]
            else None,
            carte_svg=carte_svg,
            TAILLES=TAILLES,
            LIBELLES_TAILLES=LIBELLES_TAILLES,
            PERIMETRES=PERIMETRES,
            TRIS=TRIS,
        )

    # ------------------------------------------------------------------ référentiel
    @r.get("/referentiel", response_class=HTMLResponse)
    def referentiel(request: Request) -> HTMLResponse:
        from essq.referentiel import charger

        return rendre(request, "referentiel.html", titre="Référentiel", stats=charger().stats())

    @r.get("/referentiel/{collection}", response_class=HTMLResponse)
    def referentiel_collection(request: Request, collection: str) -> HTMLResponse:
        from essq.referentiel import COLLECTIONS, charger

        if collection not in COLLECTIONS:
            raise Introuvable(f"Collection inconnue : {collection}.", champ="collection")
        p = request.query_params
        q = (p.get("q") or "").strip()[:200]
        filtres: dict[str, list[str]] = {}
        for f in p.getlist("filtre"):
            champ, _, valeur = f.partition(":")
            if champ and valeur:
                filtres.setdefault(champ, []).append(valeur)
        res = charger().chercher(q, collection=collection, filtres=filtres or None, limite=100)
        actifs = list(dict.fromkeys(p.getlist("filtre")))
        facettes = []
        for champ, valeurs in res.facettes.items():
            if champ == "collection" or not valeurs:
                continue
            liste = []
            for v, n in valeurs.items():
                f = f"{champ}:{v}"
                choisis = [x for x in actifs if x != f] if f in actifs else [*actifs, f]
                href = f"/referentiel/{collection}?" + urlencode(
                    {"q": q, "filtre": choisis}, doseq=True
                )
                liste.append((v, n, href, f in actifs))
            facettes.append((champ, liste))
        return rendre(
            request,
            "referentiel_collection.html",
            titre=LIBELLES_COLLECTIONS.get(collection, collection),
            collection=collection,
            q=q,
            res=res,
            filtres=filtres,
            facettes=facettes,
            actifs=actifs,
        )

    @r.get("/referentiel/{collection}/{ident}", response_class=HTMLResponse)
    def referentiel_entree(request: Request, collection: str, ident: str) -> HTMLResponse:
        from essq.referentiel import charger

        ref = charger()
        entree = ref.get(ident)
        if entree is None or ref.collection_de(ident) != collection:
            raise Introuvable(f"Entrée inconnue : {collection}/{ident}.", champ="ident")
        donnees = entree.model_dump(mode="json")
        liens, retro = (
            [(li["champ"], li["collection"], li["id"], li["titre"] or li["id"]) for li in sens]
            for sens in liens_de(ref, ident)
        )
        return rendre(
            request,
            "referentiel_entree.html",
            titre=entree.titre,
            collection=collection,
            entree=donnees,
            liens=liens,
            retro=retro,
        )

    # ------------------------------------------------------------------ diagnostics
    @r.get("/diagnostics", response_class=HTMLResponse)
    def diagnostics(request: Request) -> HTMLResponse:
        liste = diagnostics_acces.lister() if diagnostics_acces.disponibles() else []
        return rendre(request, "diagnostics.html", titre="Diagnostics", liste=liste)

    def _formulaire(nom: str) -> tuple[dict[str, Any], list[formulaires.Etape]]:
        desc = diagnostics_acces.description(nom)
        return desc, formulaires.etapes(diagnostics_acces.schema(nom))

    @r.get("/diagnostics/{nom}", response_class=HTMLResponse)
    def diagnostic(request: Request, nom: str) -> HTMLResponse:
        desc, etapes = _formulaire(nom)
        valeurs = {k: request.query_params.getlist(k) for k in request.query_params}
        return rendre(
            request,
            "diagnostic_formulaire.html",
            titre=desc.get("titre", nom),
            desc=desc,
            nom=nom,
            etapes=etapes,
            valeurs=valeurs,
        )

    @r.get("/diagnostics/{nom}/resultat", response_class=HTMLResponse)
    def diagnostic_resultat(request: Request, nom: str) -> HTMLResponse:
        desc, etapes = _formulaire(nom)
        params = {k: request.query_params.getlist(k) for k in request.query_params}
        entree = formulaires.reponses(etapes, params)
        resultat = diagnostics_acces.executer(nom, entree)
        lien = f"/diagnostics/{nom}/resultat?" + urlencode(
            [(k, v) for k, v in request.query_params.multi_items() if v != ""]
        )
        return rendre(
            request,
            "diagnostic_resultat.html",
            titre=f"Résultat — {desc.get('titre', nom)}",
            desc=desc,
            nom=nom,
            entree=entree,
            resultat=resultat,
            lien_partage=lien,
            lien_modifier=lien.replace("/resultat?", "?", 1),
            lien_json=lien.replace("/resultat?", "/reponses.json?", 1),
        )

    @r.get("/diagnostics/{nom}/reponses.json")
    def diagnostic_reponses(request: Request, nom: str) -> Response:
        _, etapes = _formulaire(nom)
        params = {k: request.query_params.getlist(k) for k in request.query_params}
        entree = formulaires.reponses(etapes, params)
        return Response(
            json.dumps(entree, ensure_ascii=False, indent=2).encode(),
            media_type="application/json",
            headers=entetes_piece_jointe(f"reponses_{nom}.json"),
        )

    @r.post("/diagnostics/{nom}/charger")
    async def diagnostic_charger(nom: str, fichier: UploadFile) -> Response:
        _formulaire(nom)
        brut = await fichier.read(1_000_000)
        try:
            entree = json.loads(brut)
            if not isinstance(entree, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError) as exc:
            raise ErreurUtilisateur(
                "Le fichier de réponses n'est pas un objet JSON.",
                champ="fichier",
                correctif="choisir un fichier « reponses_….json » enregistré depuis ce formulaire.",
            ) from exc
        plat = formulaires.valeurs_formulaire(entree)
        paires: list[tuple[str, str]] = []
        for k, v in plat.items():
            for x in v if isinstance(v, list) else [v]:
                paires.append((k, "oui" if x is True else "non" if x is False else str(x)))
        return RedirectResponse(f"/diagnostics/{nom}?{urlencode(paires)}", status_code=303)

    # ------------------------------------------------------------------ static content pages
    @r.get("/methodologie", response_class=HTMLResponse)
    def methodologie(request: Request) -> HTMLResponse:
        prov: dict[str, Any] = {}
        dates: list[dict[str, Any]] = []
        with contextlib.suppress(DonneesAbsentes):
            e = service.entrepot()
            prov = e.provenance()
            for d in e.dates_stock():
                dates.append({"date": d, "reconstituee": stock_reconstitue(e.provenance(d))})
        return rendre(
            request, "methodologie.html", titre="Méthodologie et sources", prov=prov, dates=dates
        )

    @r.get("/licences", response_class=HTMLResponse)
    def licences(request: Request) -> HTMLResponse:
        return rendre(request, "licences.html", titre="Licences et attributions")

    @r.get("/accessibilite", response_class=HTMLResponse)
    def accessibilite(request: Request) -> HTMLResponse:
        return rendre(request, "accessibilite.html", titre="Déclaration d'accessibilité")

    @r.get("/api/v1/docs", response_class=HTMLResponse)
    def documentation_api(request: Request) -> HTMLResponse:
        schema = request.app.openapi()
        operations = []
        for chemin, methodes in schema["paths"].items():
            for methode, op in methodes.items():
                operations.append(
                    {
                        "methode": methode.upper(),
                        "chemin": chemin,
                        "resume": op.get("summary", ""),
                        "description": op.get("description", ""),
                        "parametres": op.get("parameters", []),
                        "tag": (op.get("tags") or [""])[0],
                    }
                )
        return rendre(
            request, "api_docs.html", titre="Documentation de l'API", operations=operations
        )

    return r


def _flottant(valeur: str | None, champ: str) -> float | None:
    if not valeur:
        return None
    try:
        return float(valeur.replace(",", "."))
    except ValueError as exc:
        raise ErreurUtilisateur(
            f"Nombre attendu pour « {champ} » : {valeur[:20]}.",
            champ=champ,
            correctif="saisir un nombre de mètres.",
        ) from exc


def _suggestions(type: str, fiche: dict[str, Any]) -> dict[str, Any]:
    """Schemes, levers and initiatives of the référentiel relevant to a territory."""
    from essq.referentiel import charger

    ref = charger()
    dispositifs = ref.chercher("", "dispositifs", {"eligibilite.qpv": "true"}, limite=8)
    leviers = ref.chercher(
        "", "leviers", {"collectivites": COLLECTIVITES.get(type, []), "niveau": "levier"}, limite=8
    )
    initiatives = None
    dep = fiche.get("departement")
    if dep:
        res = ref.chercher("", "initiatives", {"lieu.departement": dep}, limite=6)
        if res.total:
            initiatives = res
    if initiatives is None:
        initiatives = ref.chercher("quartier", "initiatives", None, limite=6)
    return {"dispositifs": dispositifs, "leviers": leviers, "initiatives": initiatives}
