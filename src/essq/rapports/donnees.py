"""Gather everything a portrait shows, from the warehouse, the territories and the référentiel.

:class:`Sources` holds what several portraits share (warehouse connection, imported
geography, référentiel, national indicators); :func:`assembler` returns the plain dict the
templates render. No figure is computed here that the observatory already computes: key
figures come from ``Entrepot.indicateurs`` so the portrait says exactly what
``essq indicateurs`` says.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from essq.erreurs import ErreurUtilisateur
from essq.observatoire import Entrepot
from essq.observatoire.lecture import libelle_stock, lire_territoire, sources_reconstituees
from essq.observatoire.schema import LIBELLES_MODALITES, LICENCE
from essq.rapports import graphiques as gr
from essq.referentiel import charger as charger_referentiel
from essq.territoires import stockage

LIBELLES_TYPES = {
    "qpv": "Quartier prioritaire de la politique de la ville",
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département",
    "region": "Région",
    "france": "France entière",
}
LIBELLES_FAMILLES = {
    "association": "Associations",
    "cooperative": "Coopératives",
    "mutuelle": "Mutuelles",
    "fondation": "Fondations",
    "societe_commerciale_ess": "Sociétés commerciales de l'ESS",
}
LIBELLES_ZONAGES = {
    "zrr": "Zone de revitalisation rurale (ZRR)",
    "frr": "France ruralités revitalisation (FRR)",
    "acv": "Action cœur de ville (ACV)",
    "pvd": "Petites villes de demain (PVD)",
    "ort": "Opération de revitalisation de territoire (ORT)",
}
LIBELLES_PERIMETRES = {"ensemble": "Ensemble", "en_qpv": "En QPV", "hors_qpv": "Hors QPV"}

# Published national references shown beside the computed key figures (référentiel ids).
REFERENCES_CHIFFRES_CLES = (
    "cc-000-qpv-etablissements-employeurs-ess",
    "cc-000-qpv-emplois-ess",
    "cc-000-qpv-part-ess-emploi-total",
    "cc-000-france-part-ess-emploi-total",
    "cc-000-qpv-part-ess-emploi-prive",
    "cc-000-france-part-ess-emploi-prive",
    "cc-000-qpv-part-ess-emplois-action-sociale",
    "cc-000-france-part-ess-emplois-action-sociale",
    "cc-000-qpv-part-associations",
)

# Seed 002, "Tableau 3": sector breakdown of ESS jobs in QPV and in France (référentiel ids,
# suffix after cc-002-{qpv|france}-emplois-ess-secteur-), keyed by the observatory's sectors.
TABLEAU_3 = {
    "Action sociale": "action-sociale",
    "Enseignement": "enseignement",
    "Activités financières et d'assurance": "activites-financieres-assurance",
    "Soutien aux entreprises": "soutien-aux-entreprises",
    "Santé humaine": "sante-humaine",
    "Sport et loisirs": "sport-loisirs",
    "Arts et spectacles": "arts-spectacle",
    "Hébergement et restauration": "hebergement-restauration",
    "Commerce": "commerce",
    "Industrie et construction": "industrie-construction",
    "Autres organisations fonctionnant par adhésion volontaire": "organisations-adhesion-volontaire",
    "Autres services": "autres-services",
}

# Collectivities that act on each kind of territory (référentiel levers' ``collectivites``).
COLLECTIVITES = {
    "qpv": {"commune", "epci", "metropole"},
    "commune": {"commune"},
    "epci": {"epci", "metropole"},
    "departement": {"departement"},
    "region": {"region"},
    "france": {"etat"},
}

LIMITE_ANNUAIRE = 400  # establishments listed one by one; beyond, counts only
LIMITE_CARTE = 20_000  # establishments fetched for the map


def _ref_source(entree: Any) -> str:
    return f"Référentiel ESS Quartiers, fiche {entree.id}"


@dataclass
class Sources:
    """What every portrait of one ESSQ_HOME shares; open once, render many portraits."""

    home: Path | str | None
    entrepot: Entrepot
    manifeste_territoires: dict[str, Any] = field(default_factory=dict)
    qpv: list[dict[str, Any]] = field(default_factory=list)
    communes: list[dict[str, Any]] = field(default_factory=list)
    zonages: list[dict[str, Any]] = field(default_factory=list)
    referentiel: Any = None
    _cache: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    _geoms: dict[str, Any] = field(default_factory=dict)
    _index: dict[str, tuple[Any, list[dict[str, Any]]]] = field(default_factory=dict)

    @classmethod
    def ouvrir(cls, home: Path | str | None = None) -> Sources:
        src = cls(home, Entrepot.ouvrir(home))
        racine = stockage.dossier(home)
        src.manifeste_territoires = stockage.lire_manifeste(racine) if racine.exists() else {}
        src.qpv = _lignes(
            stockage.lire_table(racine, "qpv"),
            ["millesime", "code_qp", "lib_qp", "communes", "geometrie"],
        )
        src.communes = [
            c
            for c in _lignes(
                stockage.lire_table(racine, "communes"),
                ["code", "nom", "type", "epci", "departement", "region"],
            )
            if c["type"] == "commune-actuelle"
        ]
        src.zonages = _lignes(
            stockage.lire_table(racine, "zonages"),
            ["commune", "zonage", "valeur", "date", "source"],
        )
        src.referentiel = charger_referentiel()
        return src

    def fermer(self) -> None:
        self.entrepot.fermer()

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fermer()

    def indicateurs(self, territoire: str, date: str, millesime: str) -> dict[str, Any]:
        cle = (territoire, date, millesime)
        if cle not in self._cache:
            self._cache[cle] = self.entrepot.indicateurs(territoire, date, millesime)
        return self._cache[cle]

    def geometrie(self, q: dict[str, Any]) -> Any:
        cle = f"{q['millesime']}:{q['code_qp']}"
        if cle not in self._geoms:
            self._geoms[cle] = shapely.from_wkb(q["geometrie"]) if q["geometrie"] else None
        return self._geoms[cle]

    # geography ---------------------------------------------------------------------------
    def communes_du_territoire(self, niveau: str, code: str) -> list[dict[str, Any]]:
        if niveau == "france":
            return self.communes
        if niveau in ("commune", "epci", "departement", "region"):
            return [
                c for c in self.communes if c[niveau if niveau != "commune" else "code"] == code
            ]
        return []

    def qpv_du_territoire(self, niveau: str, code: str) -> list[dict[str, Any]]:
        if niveau == "qpv":
            return [q for q in self.qpv if q["code_qp"] == code]
        codes = {c["code"] for c in self.communes_du_territoire(niveau, code)}
        return [q for q in self.qpv if codes.intersection(q["communes"] or [])]

    def recouvrements(self, q: dict[str, Any]) -> list[tuple[dict[str, Any], float]]:
        """QPV of the other millésimes overlapping ``q``, with the share of ``q``'s area covered."""
        g = self.geometrie(q)
        if g is None or g.area == 0:
            return []
        res = []
        for m, (arbre, lignes) in self._arbres().items():
            if m == q["millesime"]:
                continue
            for i in arbre.query(g, predicate="intersects"):
                autre = lignes[int(i)]
                part = g.intersection(self.geometrie(autre)).area / g.area
                if part >= 0.01:
                    res.append((autre, part))
        return sorted(res, key=lambda t: -t[1])

    def _arbres(self) -> dict[str, tuple[Any, list[dict[str, Any]]]]:
        """One spatial index (STRtree) of the QPV contours per millésime, built on first use."""
        if not self._index:
            par_m: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for q in self.qpv:
                if self.geometrie(q) is not None:
                    par_m[q["millesime"]].append(q)
            for m, lignes in par_m.items():
                arbre = shapely.STRtree([self.geometrie(x) for x in lignes])
                self._index[m] = (arbre, lignes)
        return self._index


def _lignes(table: Any, colonnes: list[str]) -> list[dict[str, Any]]:
    if table is None:
        return []
    presentes = [c for c in colonnes if c in table.column_names]
    return table.select(presentes).to_pylist()  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------- sections
def _colonnes_chiffres(
    src: Sources, ind: dict[str, Any], date: str, millesime: str
) -> list[dict[str, Any]]:
    """Columns of the key-figures table: the territory's perimeters, then its comparisons."""
    terr = ind["territoire"]
    colonnes: list[dict[str, Any]] = []
    nom = terr.get("libelle") or terr["code"]
    if terr["type"] == "qpv":
        colonnes.append(
            {"titre": "Ce QPV", "sous_titre": nom, "valeurs": ind["ensemble"], "principal": True}
        )
        for niveau, comp in ind.get("comparaisons", {}).items():
            lib = (comp["territoire"].get("libelle") or niveau) if niveau != "france" else "France"
            for p in ("en_qpv", "ensemble"):
                if p in comp:
                    titre = {"epci": "EPCI", "region": "Région", "france": "France"}[niveau]
                    colonnes.append(
                        {
                            "titre": f"{titre}, {'en QPV' if p == 'en_qpv' else 'ensemble'}",
                            "sous_titre": lib,
                            "valeurs": comp[p],
                            "principal": False,
                        }
                    )
        return colonnes
    for p in ind["perimetres"]:
        colonnes.append(
            {
                "titre": LIBELLES_PERIMETRES[p],
                "sous_titre": nom,
                "valeurs": ind[p],
                "principal": True,
            }
        )
    comparaisons = []
    if terr["type"] == "commune" and terr.get("epci"):
        comparaisons.append(("epci", terr["epci"], "EPCI"))
    if terr["type"] in ("commune", "epci", "departement") and terr.get("region"):
        comparaisons.append(("region", terr["region"], "Région"))
    if terr["type"] != "france":
        comparaisons.append(("france", "FR", "France"))
    for niveau, code, titre in comparaisons:
        try:
            autre = src.indicateurs(
                f"{niveau}:{code}" if niveau != "france" else "france", date, millesime
            )
        except ErreurUtilisateur:
            continue
        lib = autre["territoire"].get("libelle") or code
        for p in ("en_qpv", "ensemble"):
            if p in autre:
                colonnes.append(
                    {
                        "titre": f"{titre}, {'en QPV' if p == 'en_qpv' else 'ensemble'}",
                        "sous_titre": lib,
                        "valeurs": autre[p],
                        "principal": False,
                    }
                )
    return colonnes


LIGNES_CHIFFRES = (
    ("etablissements_ess", "Établissements actifs de l'ESS", "nombre"),
    ("etablissements_ess_employeurs", "dont employeurs", "nombre"),
    ("effectif_central", "Emplois salariés ESS estimés (milieu de tranche)", "nombre"),
    ("effectif_fourchette", "fourchette (bornes des tranches)", "fourchette"),
    ("part_ess_emploi", "Part de l'ESS dans l'emploi salarié", "part"),
    ("part_ess_emploi_prive", "Part de l'ESS dans l'emploi salarié privé", "part"),
    ("part_ess_employeurs", "Part de l'ESS parmi les établissements employeurs", "part"),
    ("part_ess_emploi_action_sociale", "Part de l'ESS dans l'emploi de l'action sociale", "part"),
)


def _cellule(valeurs: dict[str, Any], cle: str, genre: str) -> str:
    if cle == "effectif_central":
        return gr.nombre_fr(valeurs["effectif_ess"]["central"], 1)
    if cle == "effectif_fourchette":
        e = valeurs["effectif_ess"]
        return f"{gr.nombre_fr(e['bas'], 1)} – {gr.nombre_fr(e['haut'], 1)}"
    v = valeurs.get(cle)
    return gr.pourcent_fr(v) if genre == "part" else gr.nombre_fr(v, 1)


def _references(src: Sources) -> list[dict[str, Any]]:
    res = []
    for ident in REFERENCES_CHIFFRES_CLES:
        e = src.referentiel.get(ident)
        if e is None:
            continue
        annee = e.annee or e.annee_publication
        valeur = gr.nombre_fr(e.valeur, 0 if float(e.valeur).is_integer() else 1)
        unite = "\u00a0%" if e.unite == "%" else f" {e.unite}"
        res.append(
            {
                "id": e.id,
                "indicateur": e.indicateur,
                "valeur": f"{valeur}{unite}",
                "territoire": e.territoire,
                "annee": annee,
                "source": e.source_primaire or "source citée par le référentiel",
                "fiche": _ref_source(e),
            }
        )
    return res


def _perimetre_qpv(ind: dict[str, Any]) -> str | None:
    """The perimeter of ``ind`` that describes what is inside QPV."""
    if ind["territoire"]["type"] == "qpv":
        return "ensemble"
    return "en_qpv" if "en_qpv" in ind["perimetres"] else None


def _figures(
    src: Sources, ind: dict[str, Any], date: str, millesime: str, source: str
) -> list[dict[str, Any]]:
    figures: list[dict[str, Any]] = []
    terr = ind["territoire"]
    perimetres = (
        ["ensemble"] if terr["type"] == "qpv" else [p for p in ind["perimetres"] if p != "ensemble"]
    )
    perimetres = perimetres or ["ensemble"]
    series = [
        gr.Serie(LIBELLES_PERIMETRES[p] if terr["type"] != "qpv" else "Ce QPV", c)
        for p, c in zip(perimetres, (gr.BLEU, gr.GRIS), strict=False)
    ]

    # families
    familles = list(LIBELLES_FAMILLES)
    valeurs = [
        [float(ind[p]["par_famille"].get(f, {}).get("etablissements_ess", 0)) for f in familles]
        for p in perimetres
    ]
    figures.append(
        {
            "id": "familles",
            "titre": "Établissements ESS actifs par famille",
            "svg": gr.barres(
                "familles",
                "Établissements ESS actifs par famille",
                [LIBELLES_FAMILLES[f] for f in familles],
                series,
                valeurs,
            ),
            "source": source,
            "note": "Famille selon la catégorie juridique SIRENE et les listes de l'ESS (loi du 31 juillet 2014).",
        }
    )

    # sectors vs France and the Tableau 3 references
    secteurs = list(TABLEAU_3)
    pq = _perimetre_qpv(ind)
    fr = src.indicateurs("france", date, millesime)
    s_series = []
    s_valeurs: list[list[float | None]] = []
    if pq:
        s_series.append(
            gr.Serie(
                "Territoire, en QPV (calculé)" if terr["type"] != "qpv" else "Ce QPV (calculé)",
                gr.BLEU,
            )
        )
        s_valeurs.append(
            [ind[pq]["par_secteur"].get(s, {}).get("part_effectif_ess") for s in secteurs]
        )
    if terr["type"] not in ("qpv", "france"):
        s_series.append(gr.Serie("Territoire, ensemble (calculé)", "#6A6AF4"))
        s_valeurs.append(
            [ind["ensemble"]["par_secteur"].get(s, {}).get("part_effectif_ess") for s in secteurs]
        )
    s_series.append(gr.Serie("France (calculé)", gr.GRIS))
    s_valeurs.append(
        [fr["ensemble"]["par_secteur"].get(s, {}).get("part_effectif_ess") for s in secteurs]
    )
    ref_qpv, ref_fr = [], []
    for s in secteurs:
        a = src.referentiel.get(f"cc-002-qpv-emplois-ess-secteur-{TABLEAU_3[s]}")
        b = src.referentiel.get(f"cc-002-france-emplois-ess-secteur-{TABLEAU_3[s]}")
        ref_qpv.append(a.valeur / 100 if a is not None else None)
        ref_fr.append(b.valeur / 100 if b is not None else None)
    s_series += [
        gr.Serie("Référence publiée : QPV (2015)", gr.ROUGE, True),
        gr.Serie("Référence publiée : France (2015)", gr.TEXTE, True),
    ]
    s_valeurs += [ref_qpv, ref_fr]
    figures.append(
        {
            "id": "secteurs",
            "titre": "Répartition sectorielle des emplois de l'ESS : QPV et France",
            "svg": gr.barres(
                "secteurs",
                "Répartition sectorielle des emplois de l'ESS",
                secteurs,
                s_series,
                s_valeurs,
                format_valeur="part",
                largeur_libelles=250,
            ),
            "source": source,
            "reference": "Losanges : références publiées (non calculées ici), Observatoire national de l'ESS "
            "(CNCRESS) d'après Insee Clap 2015 et Sirene 2018, « Tableau 3 » de l'étude sur l'ESS dans les "
            "quartiers (2020) ; fiches cc-002-…-emplois-ess-secteur-… du référentiel.",
            "note": "Part de chaque secteur dans les emplois ESS estimés (milieu de tranche)."
            + ("" if pq else " Aucun QPV dans ce territoire : pas de barre « en QPV »."),
        }
    )

    # size classes and creation periods
    for dim, cle, titre in (
        ("taille", "par_taille", "Établissements ESS actifs par taille"),
        ("creation", "par_creation", "Établissements ESS actifs par période de création"),
    ):
        modalites = list(LIBELLES_MODALITES[dim])
        vals = [
            [float(ind[p][cle].get(m, {}).get("etablissements_ess", 0)) for m in modalites]
            for p in perimetres
        ]
        figures.append(
            {
                "id": dim,
                "titre": titre,
                "svg": gr.barres(
                    dim, titre, [LIBELLES_MODALITES[dim][m] for m in modalites], series, vals
                ),
                "source": source,
                "note": "Taille selon la tranche d'effectif salarié SIRENE."
                if dim == "taille"
                else "Date de création de l'établissement dans SIRENE.",
            }
        )
    return figures


def _evolution(src: Sources, territoire: str, millesime: str, date: str) -> dict[str, Any] | None:
    dates = [d for d in src.entrepot.dates_stock() if d <= date]
    if len(dates) < 2:
        return None
    series = []
    inds = [src.indicateurs(territoire, d, millesime) for d in dates]
    ind0 = inds[-1]
    for p in ["ensemble", "en_qpv"] if ind0["territoire"]["type"] != "qpv" else ["ensemble"]:
        if all(p in i for i in inds):
            lib = "Ce QPV" if ind0["territoire"]["type"] == "qpv" else LIBELLES_PERIMETRES[p]
            series.append(
                (
                    lib,
                    gr.BLEU if p == "ensemble" else gr.ROUGE,
                    [float(i[p]["etablissements_ess"]) for i in inds],
                )
            )
    evo = src.entrepot.evolution(territoire, dates[0], dates[-1], millesime)
    mouv = evo["mouvements_etablissements_ess"]
    libelles = {
        "crees": "créés depuis le premier stock",
        "apparus": "apparus (devenus ESS, réactivés)",
        "fermes": "fermés",
        "sortis_du_champ": "sortis du champ de l'ESS",
        "entres_qpv": "entrés en QPV (déplacement)",
        "sortis_qpv": "sortis de QPV (déplacement)",
    }
    return {
        "svg": gr.courbe(
            "evolution", "Établissements ESS actifs à chaque date de stock", dates, series
        ),
        "titre": f"Établissements ESS actifs, du {dates[0]} au {dates[-1]}",
        "mouvements": [(libelles[k], gr.nombre_fr(v)) for k, v in mouv.items()],
        "perimetres": [
            {
                "perimetre": LIBELLES_PERIMETRES[p],
                "lignes": [
                    (
                        lib,
                        gr.nombre_fr(v[k]["debut"], 1),
                        gr.nombre_fr(v[k]["fin"], 1),
                        ("+" if v[k]["variation"] > 0 else "") + gr.nombre_fr(v[k]["variation"], 1),
                    )
                    for k, lib in (
                        ("etablissements_ess", "Établissements ESS"),
                        ("etablissements_ess_employeurs", "dont employeurs"),
                        ("effectif_ess_central", "Emplois ESS estimés"),
                    )
                ],
            }
            for p, v in evo["perimetres"].items()
        ],
        "source": f"INSEE, base SIRENE, stocks du {dates[0]} au {dates[-1]} ; traitement ESS Quartiers.",
        "methode": evo["methode"],
    }


def _identite(src: Sources, ind: dict[str, Any], millesime: str) -> dict[str, Any]:
    terr = ind["territoire"]
    niveau, code = terr["type"], terr["code"]
    lignes: list[tuple[str, str]] = [("Type", LIBELLES_TYPES[niveau]), ("Code", code)]
    communes = src.communes_du_territoire(niveau, code)
    qpvs = src.qpv_du_territoire(niveau, code)
    noms_communes = {c["code"]: c["nom"] for c in src.communes}
    changements: list[str] = []
    if niveau == "qpv" and qpvs:
        q = qpvs[0]
        communes = [c for c in src.communes if c["code"] in (q["communes"] or [])]
        lignes.append(("Génération", f"QPV {q['millesime']}"))
        autres = src.recouvrements(q)
        if autres:
            for a, part in autres:
                verbe = "succède à" if q["millesime"] > a["millesime"] else "a pour successeur"
                changements.append(
                    f"Ce quartier {verbe} {a['code_qp']} « {a['lib_qp']} » (QPV {a['millesime']}), "
                    f"qui recouvre {gr.pourcent_fr(part, 0)} de sa surface."
                )
        else:
            autres_m = sorted({x["millesime"] for x in src.qpv} - {q["millesime"]})
            if autres_m:
                changements.append(
                    f"Aucun QPV {', '.join(autres_m)} ne recouvre ce quartier : "
                    + (
                        "nouveau quartier prioritaire."
                        if q["millesime"] > autres_m[0]
                        else "sorti de la géographie prioritaire."
                    )
                )
    if communes:
        noms = ", ".join(sorted(c["nom"] for c in communes)[:12])
        suite = f" et {len(communes) - 12} autres" if len(communes) > 12 else ""
        lignes.append((f"Communes ({len(communes)})", noms + suite))
    if terr.get("epci") and niveau in ("qpv", "commune"):
        lib = next(
            (t["libelle"] for t in src.entrepot.territoires("epci") if t["code"] == terr["epci"]),
            terr["epci"],
        )
        lignes.append(("EPCI", f"{lib} ({terr['epci']})"))
    liste_qpv: list[dict[str, Any]] = []
    if niveau != "qpv":
        par_m: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for q in qpvs:
            par_m[q["millesime"]].append(q)
        for m in sorted(par_m):
            lignes.append((f"QPV {m}", f"{len(par_m[m])} quartier(s)"))
        if len(par_m) >= 2:
            recent, ancien = max(par_m), min(par_m)
            nouveaux = [q for q in par_m[recent] if not src.recouvrements(q)]
            sortis = [q for q in par_m[ancien] if not src.recouvrements(q)]
            changements.append(
                f"Entre les générations {ancien} et {recent} : {len(par_m[ancien])} puis {len(par_m[recent])} "
                f"quartiers ; {len(nouveaux)} nouveau(x), {len(sortis)} sorti(s) de la géographie prioritaire."
            )
            changements += [
                f"Nouveau en {recent} : {q['code_qp']} « {q['lib_qp']} »." for q in nouveaux[:10]
            ]
            changements += [
                f"Sorti en {recent} : {q['code_qp']} « {q['lib_qp']} » (QPV {ancien})."
                for q in sortis[:10]
            ]
        elif not qpvs:
            changements.append(
                "Aucun quartier prioritaire de la politique de la ville dans ce territoire."
            )
        for q in sorted(qpvs, key=lambda q: (q["millesime"], q["code_qp"]), reverse=True)[:40]:
            liste_qpv.append(
                {
                    "code": q["code_qp"],
                    "libelle": q["lib_qp"],
                    "millesime": q["millesime"],
                    "communes": ", ".join(noms_communes.get(c, c) for c in (q["communes"] or [])),
                }
            )
    codes = {c["code"] for c in communes}
    zon: dict[str, list[str]] = defaultdict(list)
    for z in src.zonages:
        if z["commune"] in codes:
            val = f" ({z['valeur']})" if z["zonage"] == "zrr" and z["valeur"] else ""
            zon[z["zonage"]].append(noms_communes.get(z["commune"], z["commune"]) + val)
    zonages = [
        {
            "zonage": LIBELLES_ZONAGES.get(k, k),
            "communes": ", ".join(sorted(v)[:15])
            + (f" et {len(v) - 15} autres" if len(v) > 15 else ""),
            "nombre": len(v),
        }
        for k, v in sorted(zon.items())
    ]
    return {"lignes": lignes, "changements": changements, "qpv": liste_qpv, "zonages": zonages}


def _annuaire(
    lignes: list[dict[str, Any]], total: int, noms_communes: dict[str, str]
) -> dict[str, Any]:
    groupes: dict[str, dict[str, dict[str, Any]]] = {}
    taille = LIBELLES_MODALITES["taille"]
    for e in lignes:
        fam = LIBELLES_FAMILLES.get(e["famille_ess"], e["famille_ess"] or "Famille inconnue")
        sect = e["secteur_ess"] or "Secteur non classé"
        g = groupes.setdefault(fam, {}).setdefault(sect, {"etablissements": [], "masques": 0})
        nom = e["denomination"] or e["enseigne"]
        if nom is None:
            # non-diffusible establishment (or no name at all): never listed one by one
            g["masques"] += 1
            continue
        g["etablissements"].append(
            {
                "nom": nom
                if not (e["denomination"] and e["enseigne"])
                else f"{e['denomination']} ({e['enseigne']})",
                "siret": e["siret"],
                "naf": e["naf"] or "",
                "commune": noms_communes.get(e["commune"], e["commune"] or ""),
                "taille": _classe_taille(e["tranche_effectif"], taille),
                "creation": (e["date_creation"] or "")[:4],
                "qpv": e["qpv"] or "",
            }
        )
    sortie = []
    for fam in sorted(groupes):
        secteurs = []
        for sect in sorted(groupes[fam]):
            g = groupes[fam][sect]
            g["etablissements"].sort(key=lambda x: x["nom"])
            secteurs.append(
                {"secteur": sect, **g, "nombre": len(g["etablissements"]) + g["masques"]}
            )
        sortie.append(
            {"famille": fam, "secteurs": secteurs, "nombre": sum(s["nombre"] for s in secteurs)}
        )
    return {
        "groupes": sortie,
        "listes": len(lignes),
        "total": total,
        "tronque": total > len(lignes),
    }


def _classe_taille(tranche: str | None, libelles: dict[str, str]) -> str:
    if tranche in (None, "", "NN", "00"):
        return "0" if tranche in ("NN", "00") else "?"
    bornes = {
        "01": "1-2",
        "02": "3-5",
        "03": "6-9",
        "11": "10-19",
        "12": "20-49",
        "21": "50-99",
        "22": "100-199",
        "31": "200-249",
        "32": "250-499",
        "41": "500-999",
        "42": "1000-1999",
        "51": "2000-4999",
        "52": "5000-9999",
        "53": "10000+",
    }
    return bornes.get(tranche, "?")


def _agir(src: Sources, niveau: str, departement: str | None, a_des_qpv: bool) -> dict[str, Any]:
    ref = src.referentiel
    disp = ref.collection("dispositifs")
    qpv_first = [d for d in disp if d.eligibilite.qpv] if a_des_qpv else []
    reseaux = [d for d in disp if d.type == "reseau" and str(d.echelle) in ("national", "regional")]
    echelle_ordre = {
        "local": 0,
        "intercommunal": 1,
        "departemental": 2,
        "regional": 3,
        "national": 4,
    }
    choisis = sorted(qpv_first, key=lambda d: (echelle_ordre.get(str(d.echelle), 9), d.titre))[:8]
    choisis += [d for d in sorted(reseaux, key=lambda d: d.titre) if d not in choisis][:4]
    dispositifs = [
        {
            "titre": d.titre,
            "porteur": d.porteur,
            "type": d.type,
            "echelle": str(d.echelle),
            "description": _court(d.description, 180),
            "conditions": "; ".join(d.eligibilite.conditions[:2]),
            "qpv": bool(d.eligibilite.qpv),
            "site": d.site,
            "source": _ref_source(d),
        }
        for d in choisis
    ]
    cibles = COLLECTIVITES[niveau]
    lev = [
        x
        for x in ref.collection("leviers")
        if x.niveau == "levier"
        and (not x.collectivites or cibles.intersection(str(c) for c in x.collectivites))
    ]
    lev.sort(key=lambda x: (x.cadre != "seed004_6_leviers", x.numero))
    leviers = [
        {
            "numero": x.numero,
            "titre": x.titre,
            "description": _court(x.description, 180),
            "conditions": [_court(c, 160) for c in x.conditions[:1]],
            "outils": [
                o.nom + (f" ({o.reference})" if o.reference else "")
                for o in x.outils_juridiques[:3]
            ],
            "source": _ref_source(x),
        }
        for x in lev[:10]
    ]
    inits = ref.collection("initiatives")

    def rang(i: Any) -> tuple[int, str]:
        if departement and i.lieu.departement == departement:
            return (0, i.titre)
        return (1 if i.lieu.qpv else 2, i.titre)

    initiatives = [
        {
            "titre": i.titre,
            "lieu": ", ".join(
                x
                for x in (i.lieu.commune, i.lieu.departement and f"dép. {i.lieu.departement}")
                if x
            ),
            "description": _court(i.description, 160),
            "source": _ref_source(i),
        }
        for i in sorted(inits, key=rang)[:6]
    ]
    return {"dispositifs": dispositifs, "leviers": leviers, "initiatives": initiatives}


def _court(texte: str, n: int) -> str:
    texte = " ".join(texte.split())
    return texte if len(texte) <= n else texte[: n - 1].rsplit(" ", 1)[0] + "…"


def assembler(
    src: Sources, territoire: str, *, date_stock: str | None = None, millesime: str = "2024"
) -> dict[str, Any]:
    """The whole content of one portrait, as plain data for the templates."""
    lire_territoire(territoire)  # French error on a malformed argument before any query
    ind = src.entrepot.indicateurs(territoire, date_stock, millesime)
    date, millesime = ind["date_stock"], ind["millesime_qpv"]
    src._cache[(territoire, date, millesime)] = ind
    terr = ind["territoire"]
    niveau, code = terr["type"], terr["code"]
    ident_terr = territoire if niveau != "france" else "france"
    rebati = sources_reconstituees(ind["sources"])
    stock = libelle_stock(date, rebati)
    source_calcul = (
        f"INSEE, base SIRENE ({stock}) ; ANCT, QPV millésime {millesime} ; "
        "traitement ESS Quartiers (essq)."
    )
    colonnes = _colonnes_chiffres(src, ind, date, millesime)
    chiffres = {
        "colonnes": [{k: c[k] for k in ("titre", "sous_titre", "principal")} for c in colonnes],
        "lignes": [
            {
                "libelle": lib,
                "cellules": [_cellule(c["valeurs"], cle, genre) for c in colonnes],
                "secondaire": cle in ("etablissements_ess_employeurs", "effectif_fourchette"),
            }
            for cle, lib, genre in LIGNES_CHIFFRES
        ],
        "source": source_calcul,
    }
    principal = ind["ensemble"]
    etabs = src.entrepot.etablissements(ident_terr, date, millesime, limite=LIMITE_CARTE)
    total = principal["etablissements_ess"]
    qpvs = src.qpv_du_territoire(niveau, code)
    if niveau == "qpv" and qpvs:
        qpvs = qpvs + [a for a, _ in src.recouvrements(qpvs[0])]
    contours = [(q["millesime"], q["code_qp"], q["geometrie"]) for q in qpvs if q["geometrie"]]
    points = [
        gr.Point(e["lon"], e["lat"], e["famille_ess"] or "", e["qpv"] is not None)
        for e in etabs
        if e["lon"] is not None
        and e["lat"] is not None
        and np.isfinite(e["lon"])
        and np.isfinite(e["lat"])
    ]
    carte = {
        "svg": gr.carte(
            f"Carte des QPV et des établissements ESS : {terr.get('libelle') or code}",
            contours,
            points,
            libelles_familles=LIBELLES_FAMILLES,
        ),
        "source": f"ANCT, contours des QPV ({', '.join(sorted({c[0] for c in contours})) or 'aucun'}) ; "
        f"INSEE, base SIRENE ({stock}), géolocalisation des établissements ; traitement ESS Quartiers (essq).",
        "note": "Les établissements non diffusibles et ceux sans coordonnées ne sont pas placés "
        f"({gr.nombre_fr(total - len(points))} sur {gr.nombre_fr(total)})."
        + (
            f" Carte limitée aux {gr.nombre_fr(LIMITE_CARTE)} premiers établissements."
            if total > LIMITE_CARTE
            else ""
        ),
    }
    noms_communes = {c["code"]: c["nom"] for c in src.communes}
    annuaire = _annuaire(etabs[:LIMITE_ANNUAIRE], total, noms_communes)
    annuaire["source"] = (
        f"INSEE, base SIRENE ({stock}), établissements actifs qualifiés ESS ; traitement ESS Quartiers (essq)."
    )
    identite = _identite(src, ind, millesime)
    prov = src.entrepot.provenance(date)
    terr_prov = (
        (prov.get("territoires") or {}).get("tables", {})
        if isinstance(prov.get("territoires"), dict)
        else {}
    )
    sources_donnees = [s["attribution"] + f" ({s['licence']})" for s in ind["sources"]]
    for nom, t in sorted(terr_prov.items()):
        if t.get("importe_le"):
            sources_donnees.append(
                f"Table « {nom} » des territoires importée le {t['importe_le'][:10]}"
            )
    return {
        "territoire": {
            "type": niveau,
            "code": code,
            "libelle": terr.get("libelle") or code,
            "libelle_type": LIBELLES_TYPES[niveau],
            "identifiant": f"{niveau}:{code}" if niveau != "france" else "france",
        },
        "date_stock": date,
        "stock_sirene": libelle_stock(date, rebati, sirene=True),
        "millesime": millesime,
        "dates_stock": src.entrepot.dates_stock(),
        "genere_le": dt.date.today().isoformat(),
        "vide": principal["etablissements_ess"] == 0,
        "sans_qpv": not any(
            q["millesime"] == millesime for q in src.qpv_du_territoire(niveau, code)
        ),
        "identite": identite,
        "chiffres": chiffres,
        "references": _references(src),
        "principal": principal,
        "figures": _figures(src, ind, date, millesime, source_calcul),
        "evolution": _evolution(src, ident_terr, millesime, date),
        "carte": carte,
        "annuaire": annuaire,
        "agir": _agir(src, niveau, terr.get("departement"), bool(qpvs)),
        "sources": sources_donnees,
        "methode": ind["methode"],
        "licence": LICENCE,
    }
