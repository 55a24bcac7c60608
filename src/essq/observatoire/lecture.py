"""Read the indicators of a built warehouse, whatever stores them.

``LectureIndicateurs`` answers ``essq indicateurs`` (catalogue of stock dates and QPV
millésimes, territory resolution, every perimeter's figures and a QPV's comparisons) from two
tables, ``indicateurs`` and ``repartitions``, plus ``territoires`` and the provenance of each
stock. Two stores hold them: the DuckDB warehouse itself (:class:`essq.observatoire.entrepot.Entrepot`)
and its SQLite consultation index (:class:`essq.observatoire.consultation.Consultation`), which
a short command opens without importing DuckDB. Both run the same queries here, so they give
the same answers. This module imports neither engine.

It also holds the helpers every interface shares: territory parsing, sources and their
Licence Ouverte attribution.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.observatoire.schema import LICENCE, MESURES, NIVEAUX

COMPARAISONS_QPV = ("epci", "region", "france")
DIMENSIONS_JSON = {
    "famille": "par_famille",
    "secteur": "par_secteur",
    "taille": "par_taille",
    "creation": "par_creation",
}


def slug(texte: str) -> str:
    """'Action sociale' → 'action_sociale' (column names of the exports)."""
    sans_accents = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", sans_accents.lower()).strip("_") or "inconnue"


def _part(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def lire_territoire(texte: str) -> tuple[str, str]:
    """'qpv:QN09301M' → ('qpv', 'QN09301M'); 'france' → ('france', 'FR')."""
    texte = texte.strip()
    if texte.lower() in ("france", "france:fr", "fr"):
        return "france", "FR"
    niveau, _, code = texte.partition(":")
    niveau = niveau.lower().strip()
    code = code.strip()
    if niveau not in NIVEAUX or not code or not code.isprintable():
        raise ErreurUtilisateur(
            f"Territoire non reconnu : « {texte.encode('unicode_escape').decode()} ».",
            champ="TERRITOIRE",
            correctif="écrire TYPE:CODE avec TYPE parmi qpv, commune, epci, departement, region "
            "(par exemple qpv:QN09301M, commune:93066, epci:200054781, departement:93, region:11) "
            "ou « france ».",
        )
    return niveau, code.upper() if niveau == "qpv" else code


def stock_reconstitue(provenance: dict[str, Any] | None) -> bool:
    """Was this stock date rebuilt from INSEE's historical stocks (essq.sirene.historique)?"""
    fichiers = (provenance or {}).get("fichiers") or []
    return any(
        isinstance(f, dict) and str(f.get("role", "")).startswith("historique") for f in fichiers
    )


def sources(
    date_stock: str, millesime: str, provenance: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The Licence Ouverte attribution of every source behind a figure."""
    terr = (provenance or {}).get("territoires") or {}
    reconstitue = stock_reconstitue(provenance)
    sirene: dict[str, Any] = {
        "producteur": "INSEE",
        "jeu": "Base SIRENE des entreprises et de leurs établissements (stock)",
        "date": date_stock,
        "licence": LICENCE,
        "attribution": f"INSEE, base SIRENE, stock au {date_stock}",
        "reconstitue": reconstitue,
    }
    if reconstitue:
        sirene["jeu"] = (
            "Base SIRENE des entreprises et de leurs établissements (stock et stocks historiques)"
        )
        sirene["attribution"] = f"INSEE, base SIRENE, {libelle_stock(date_stock, True)}"
        sirene["methode"] = (
            "Stock reconstitué : valeurs historisées par l'Insee (état administratif, catégorie "
            "juridique, indicateur ESS, activité, caractère employeur) de la période en cours à "
            "cette date ; adresse, coordonnées et tranche d'effectif du stock le plus récent."
        )
    return [
        sirene,
        {
            "producteur": "ANCT",
            "jeu": "Quartiers prioritaires de la politique de la ville (contours)",
            "millesime": millesime,
            "licence": LICENCE,
            "attribution": f"ANCT, quartiers prioritaires de la politique de la ville, millésime {millesime}",
        },
        {
            "producteur": "INSEE",
            "jeu": "Code officiel géographique (communes, EPCI, départements, régions)",
            "date": terr.get("date") if isinstance(terr, dict) else None,
            "licence": LICENCE,
            "attribution": "INSEE, code officiel géographique ; DGCL, composition des EPCI",
        },
    ]


RECONSTITUE = "reconstitué à partir des stocks historiques"


def sources_reconstituees(liste: list[dict[str, Any]]) -> bool:
    """Do these ``sources`` (an answer's) cite a SIRENE stock rebuilt from history?"""
    return any(x.get("reconstitue") is True for x in liste)


def libelle_stock(date_stock: str, reconstitue: bool, *, sirene: bool = False) -> str:
    """« stock au D », or « état au D reconstitué à partir des stocks historiques » for a date
    rebuilt from INSEE's history (with ``sirene``: « stock SIRENE au D »…)."""
    nom = " SIRENE" if sirene else ""
    return (
        f"état{nom} au {date_stock} {RECONSTITUE}" if reconstitue else f"stock{nom} au {date_stock}"
    )


def attribution_texte(
    date_stock: str,
    millesime: str,
    provenance: dict[str, Any] | None = None,
    *,
    reconstitue: bool = False,
) -> str:
    """One line naming every source of a file or page; a stock rebuilt from INSEE's
    historical stocks (known from its ``provenance``, or ``reconstitue``) says so."""
    sirene = libelle_stock(date_stock, reconstitue or stock_reconstitue(provenance))
    return (
        f"Sources : INSEE, base SIRENE ({sirene}) ; ANCT, quartiers prioritaires de la "
        f"politique de la ville (millésime {millesime}) ; INSEE, code officiel géographique. "
        f"{LICENCE}. Traitement : ESS Quartiers (essq)."
    )


def fiche_territoire(ligne: tuple) -> dict[str, Any]:
    """A territory's record from its ``territoires`` row (niveau, code, libelle, millesime,
    epci, departement, region)."""
    n, c, lib, mil, epci, dep, reg = ligne
    return {
        "type": n,
        "code": c,
        "libelle": lib,
        "millesime": mil,
        "epci": epci,
        "departement": dep,
        "region": reg,
    }


class LectureIndicateurs:
    """The indicator look-ups, over any DB-API connection holding the serving tables.

    Subclasses say how a query runs (``_executer``, ``?`` placeholders) and how a stock's
    provenance row is read (``_lire_provenance``). Used as a context manager, it closes its
    connection on exit.
    """

    def __init__(self, con: Any, chemin: Path) -> None:
        self.con = con
        self.chemin = chemin
        self._dates: list[str] | None = None
        self._millesimes: list[str] | None = None
        self._provenance: dict[str, dict[str, Any]] = {}

    def fermer(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fermer()

    def _executer(self, requete: str, parametres: Sequence[Any] = ()) -> Any:
        """Run ``requete`` (``?`` placeholders) and return a DB-API cursor."""
        raise NotImplementedError

    def _lire_provenance(self, date: str) -> dict[str, Any]:
        """The provenance of stock ``date`` ({} when none is recorded)."""
        raise NotImplementedError

    # --- catalogue ---------------------------------------------------------------------------
    # A connection always reads the file it opened (a build swaps in a new file), so the
    # catalogue can be cached for the life of the connection.
    def dates_stock(self) -> list[str]:
        if self._dates is None:
            self._dates = [
                str(r[0])
                for r in self._executer(
                    "SELECT DISTINCT date_stock FROM indicateurs WHERE niveau = 'france' ORDER BY 1"
                ).fetchall()
            ]
        return list(self._dates)

    def millesimes(self) -> list[str]:
        if self._millesimes is None:
            self._millesimes = [
                r[0]
                for r in self._executer(
                    "SELECT DISTINCT millesime FROM indicateurs WHERE niveau = 'france' ORDER BY 1"
                ).fetchall()
            ]
        return list(self._millesimes)

    def _date(self, date_stock: str | None) -> str:
        dates = self.dates_stock()
        if not dates:
            raise DonneesAbsentes(
                "L'entrepôt ne contient aucune date de stock.",
                correctif="lancer « essq construire » avec un stock SIRENE.",
            )
        if date_stock is None:
            return dates[-1]
        if date_stock not in dates:
            raise ErreurUtilisateur(
                f"Date de stock absente de l'entrepôt : {date_stock}.",
                champ="--date-stock",
                correctif=f"choisir parmi : {', '.join(dates)} (ou construire cette date avec « essq construire »).",
            )
        return date_stock

    def provenance(self, date_stock: str | None = None) -> dict[str, Any]:
        date = self._date(date_stock)
        if date not in self._provenance:
            self._provenance[date] = self._lire_provenance(date)
        return dict(self._provenance[date])

    def territoires(
        self, niveau: str | None = None, millesime: str | None = None
    ) -> list[dict[str, Any]]:
        sql = "SELECT niveau, code, libelle, millesime, epci, departement, region FROM territoires WHERE 1=1"
        params: list[Any] = []
        if niveau:
            sql += " AND niveau = ?"
            params.append(niveau)
        if millesime:
            sql += " AND (millesime IS NULL OR millesime = ?)"
            params.append(millesime)
        cur = self._executer(sql + " ORDER BY niveau, code", params)
        noms = [d[0] for d in cur.description]
        return [dict(zip(noms, r, strict=True)) for r in cur.fetchall()]

    def territoire(self, territoire: str, millesime: str = "2024") -> dict[str, Any]:
        """Resolve 'TYPE:CODE' to its reference row (a QPV's own millésime wins)."""
        niveau, code = lire_territoire(territoire)
        lignes = self._executer(
            "SELECT niveau, code, libelle, millesime, epci, departement, region FROM territoires "
            "WHERE niveau = ? AND code = ? ORDER BY millesime = ? DESC",
            [niveau, code, millesime],
        ).fetchall()
        if not lignes:
            raise ErreurUtilisateur(
                f"Territoire inconnu de l'entrepôt : {niveau}:{code}.",
                champ="TERRITOIRE",
                correctif="vérifier le code (COG en vigueur pour les communes, SIREN pour les EPCI, "
                "code QPV QN… pour 2024 ou QP… pour 2015) ; « essq territoires chercher » aide à le trouver.",
            )
        return fiche_territoire(lignes[0])

    def resoudre(self, territoire: str, millesime: str = "2024") -> tuple[dict[str, Any], str]:
        """The territory's reference row and the QPV millésime to use (a QPV's own one wins)."""
        terr = self.territoire(territoire, millesime)
        if terr["type"] == "qpv":
            return terr, terr["millesime"]
        if millesime not in self.millesimes():
            raise ErreurUtilisateur(
                f"Millésime QPV absent de l'entrepôt : {millesime}.",
                champ="--millesime",
                correctif=f"choisir parmi : {', '.join(self.millesimes())}.",
            )
        return terr, millesime

    # --- indicators ------------------------------------------------------------------------------
    def _mesures(
        self, date: str, millesime: str, niveau: str, code: str
    ) -> dict[str, dict[str, Any]]:
        cur = self._executer(
            f"SELECT perimetre, {', '.join(MESURES)} FROM indicateurs "
            "WHERE niveau = ? AND code = ? AND date_stock = ? AND millesime = ?",
            [niveau, code, date, millesime],
        )
        res: dict[str, dict[str, Any]] = {}
        for ligne in cur.fetchall():
            res[ligne[0]] = dict(zip(MESURES, ligne[1:], strict=True))
        return res

    def _repartitions(
        self, date: str, millesime: str, niveau: str, code: str
    ) -> dict[str, list[tuple]]:
        cur = self._executer(
            "SELECT perimetre, dimension, modalite, etablissements_ess, etablissements_ess_employeurs, "
            "effectif_ess_bas, effectif_ess_central, effectif_ess_haut, etablissements_actifs, effectif_total "
            "FROM repartitions WHERE niveau = ? AND code = ? AND date_stock = ? AND millesime = ? "
            "ORDER BY dimension, modalite",
            [niveau, code, date, millesime],
        )
        res: dict[str, list[tuple]] = {}
        for ligne in cur.fetchall():
            res.setdefault(ligne[0], []).append(ligne[1:])
        return res

    @staticmethod
    def _perimetre(m: dict[str, Any], reps: list[tuple] | None) -> dict[str, Any]:
        def entier(x: Any) -> int | float:
            return int(x) if float(x).is_integer() else round(float(x), 1)

        obj: dict[str, Any] = {
            "etablissements_ess": int(m["etablissements_ess"]),
            "etablissements_ess_employeurs": int(m["etablissements_ess_employeurs"]),
            "effectif_ess": {
                "bas": entier(m["effectif_ess_bas"]),
                "central": entier(m["effectif_ess_central"]),
                "haut": entier(m["effectif_ess_haut"]),
            },
            "etablissements_actifs": int(m["etablissements_actifs"]),
            "etablissements_employeurs": int(m["etablissements_employeurs"]),
            "effectif_total": entier(m["effectif_total"]),
            "effectif_total_fourchette": {
                "bas": entier(m["effectif_total_bas"]),
                "haut": entier(m["effectif_total_haut"]),
            },
            "effectif_prive": entier(m["effectif_prive"]),
            "part_ess_emploi": _part(m["effectif_ess_central"], m["effectif_total"]),
            "part_ess_emploi_prive": _part(m["effectif_ess_central"], m["effectif_prive"]),
            "part_ess_employeurs": _part(
                m["etablissements_ess_employeurs"], m["etablissements_employeurs"]
            ),
            "effectif_action_sociale": entier(m["effectif_action_sociale"]),
            "effectif_ess_action_sociale": entier(m["effectif_ess_action_sociale"]),
            "part_ess_emploi_action_sociale": _part(
                m["effectif_ess_action_sociale"], m["effectif_action_sociale"]
            ),
            "etablissements_ess_300m": int(m["etablissements_ess_300m"]),
            "etablissements_ess_1km": int(m["etablissements_ess_1km"]),
            "etablissements_ess_sans_position": int(m["etablissements_ess_sans_position"]),
        }
        if reps is None:
            return obj
        for cle in DIMENSIONS_JSON.values():
            obj[cle] = {}
        for dim, modalite, n_ess, n_emp, e_bas, e_cen, e_haut, n_tous, e_tous in reps:
            entree: dict[str, Any] = {
                "etablissements_ess": int(n_ess),
                "etablissements_ess_employeurs": int(n_emp),
                "effectif_ess": {
                    "bas": entier(e_bas),
                    "central": entier(e_cen),
                    "haut": entier(e_haut),
                },
                "part_etablissements_ess": _part(n_ess, m["etablissements_ess"]),
                "part_effectif_ess": _part(e_cen, m["effectif_ess_central"]),
            }
            if dim == "secteur":
                entree["etablissements_actifs"] = int(n_tous)
                entree["effectif_total"] = entier(e_tous)
                entree["part_ess_emploi"] = _part(e_cen, e_tous)
            if dim != "secteur" and n_ess == 0:
                continue  # classes filled only by non-ESS establishments
            obj[DIMENSIONS_JSON[dim]][modalite] = entree
        return obj

    def indicateurs(
        self, territoire: str, date_stock: str | None = None, millesime: str = "2024"
    ) -> dict[str, Any]:
        """The JSON of ``essq indicateurs``: every perimeter, and for a QPV its comparisons."""
        date = self._date(date_stock)
        terr, millesime = self.resoudre(territoire, millesime)
        mesures = self._mesures(date, millesime, terr["type"], terr["code"])
        reps = self._repartitions(date, millesime, terr["type"], terr["code"])
        prov = self.provenance(date)
        res: dict[str, Any] = {
            "territoire": {
                k: terr[k]
                for k in ("type", "code", "libelle", "epci", "departement", "region")
                if terr.get(k)
            },
            "millesime_qpv": millesime,
            "date_stock": date,
            "sources": sources(date, millesime, prov),
            "methode": "Comptage des établissements actifs du stock SIRENE qualifiés ESS ; effectifs "
            "estimés à partir des tranches d'effectif (borne basse, milieu, borne haute), non issus "
            "de CLAP/Flores. Voir docs/indicateurs.md.",
            "perimetres": [p for p in ("ensemble", "en_qpv", "hors_qpv") if p in mesures],
        }
        for perimetre in res["perimetres"]:
            res[perimetre] = self._perimetre(mesures[perimetre], reps.get(perimetre, []))
        if terr["type"] == "qpv":
            cibles = [
                (niveau, "FR" if niveau == "france" else terr.get(niveau))
                for niveau in COMPARAISONS_QPV
            ]
            cibles = [(n, c) for n, c in cibles if c]
            condition = " OR ".join("(i.niveau = ? AND i.code = ?)" for _ in cibles)
            params: list[Any] = [x for cible in cibles for x in cible]
            cur = self._executer(
                f"SELECT i.niveau, i.code, i.perimetre, t.libelle, "
                f"{', '.join('i.' + m for m in MESURES)} FROM indicateurs i "
                "LEFT JOIN territoires t ON t.niveau = i.niveau AND t.code = i.code "
                f"WHERE i.date_stock = ? AND i.millesime = ? AND ({condition}) "
                # the same key order in the JSON whichever store answers
                "ORDER BY i.niveau, CASE i.perimetre WHEN 'ensemble' THEN 0 "
                "WHEN 'en_qpv' THEN 1 ELSE 2 END",
                [date, millesime, *params],
            )
            comparaisons: dict[str, Any] = {}
            for niveau, code, perimetre, libelle, *valeurs in cur.fetchall():
                comp = comparaisons.setdefault(
                    niveau, {"territoire": {"type": niveau, "code": code, "libelle": libelle}}
                )
                comp[perimetre] = self._perimetre(dict(zip(MESURES, valeurs, strict=True)), None)
            comparaisons = {n: comparaisons[n] for n, _ in cibles if n in comparaisons}
            res["comparaisons"] = comparaisons
        return res
