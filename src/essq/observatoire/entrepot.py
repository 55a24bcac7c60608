"""Serve the built warehouse: indicators, territories, establishments, evolutions.

Opened read-only by default, so several processes (CLI, API, web) can read the same file; a
build swaps a new file in with ``os.replace`` and readers keep the one they opened.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from essq.config import emplacements
from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.observatoire.lecture import LectureIndicateurs, slug, sources
from essq.observatoire.schema import MESURES, NIVEAUX, VERSION_SCHEMA_ENTREPOT
from essq.sql import lier

if TYPE_CHECKING:  # pyarrow is only needed for table exports: not imported by a lookup
    import pyarrow as pa


class Entrepot(LectureIndicateurs):
    """A connection to the warehouse ``$ESSQ_HOME/entrepot/essq.duckdb``."""

    con: duckdb.DuckDBPyConnection

    @classmethod
    def ouvrir(cls, home: Path | str | None = None, lecture_seule: bool = True) -> Entrepot:
        chemin = emplacements(home).entrepot
        if not chemin.is_file():
            raise DonneesAbsentes(
                f"Aucun entrepôt construit dans {chemin.parent}.",
                correctif="construire l'entrepôt : « essq construire --etablissements "
                "StockEtablissement.csv --unites-legales StockUniteLegale.csv --date-stock AAAA-MM-JJ » "
                "(avec le même --home).",
            )
        con = duckdb.connect(str(chemin), read_only=lecture_seule)
        try:
            version = con.execute("SELECT valeur FROM meta WHERE cle = 'version_schema'").fetchone()
        except duckdb.Error:
            version = None
        if version is None or version[0] != str(VERSION_SCHEMA_ENTREPOT):
            con.close()
            raise ErreurUtilisateur(
                f"L'entrepôt {chemin} a été construit par une autre version d'essq "
                f"(schéma {version[0] if version else 'inconnu'}, attendu {VERSION_SCHEMA_ENTREPOT}).",
                correctif="supprimer le dossier entrepot/ de ESSQ_HOME puis reconstruire chaque date "
                "de stock avec « essq construire ».",
            )
        return cls(con, chemin)

    def _executer(self, requete: str, parametres: Sequence[Any] = ()) -> duckdb.DuckDBPyConnection:
        """Run ``requete`` with its values written inline (essq.sql: no pandas import)."""
        return self.con.execute(lier(requete, parametres))

    def _lire_provenance(self, date: str) -> dict[str, Any]:
        cur = self._executer(
            "SELECT * FROM provenance WHERE date_stock = ? ORDER BY construit_le DESC LIMIT 1",
            [date],
        )
        noms = [d[0] for d in cur.description]
        ligne = cur.fetchone()
        if ligne is None:
            return {}
        res = dict(zip(noms, ligne, strict=True))
        for cle in ("fichiers", "millesimes_qpv", "territoires"):
            res[cle] = json.loads(res[cle]) if res[cle] else None
        res["date_stock"] = str(res["date_stock"])
        res["construit_le"] = res["construit_le"].isoformat(timespec="seconds")
        return res

    # --- establishments and evolution --------------------------------------------------------------
    def _filtre(
        self, terr: dict[str, Any], millesime: str, alias: str = ""
    ) -> tuple[str, list[Any]]:
        a = f"{alias}." if alias else ""
        if terr["type"] == "qpv":
            return f"{a}qpv_{millesime} = ?", [terr["code"]]
        if terr["type"] == "france":
            return "TRUE", []
        return f"{a}{terr['type']} = ?", [terr["code"]]

    def etablissements(
        self,
        territoire: str,
        date_stock: str | None = None,
        millesime: str = "2024",
        perimetre: str = "ensemble",
        actifs: bool = True,
        limite: int | None = 1000,
    ) -> list[dict[str, Any]]:
        """ESS establishments of a territory (names and positions only when diffusible)."""
        date = self._date(date_stock)
        terr, millesime = self.resoudre(territoire, millesime)
        filtre, params = self._filtre(terr, millesime)
        if perimetre == "en_qpv":
            filtre += f" AND qpv_{millesime} IS NOT NULL"
        elif perimetre == "hors_qpv":
            filtre += f" AND qpv_{millesime} IS NULL"
        if actifs:
            filtre += " AND etat = 'A'"
        sql = (
            "SELECT siret, siren, etat, date_creation, denomination, enseigne, famille_ess, secteur_ess, naf, "
            f"tranche_effectif, effectif_central, employeur, commune, lon, lat, qpv_{millesime} AS qpv, "
            f"distance_qpv_{millesime}_m AS distance_qpv_m FROM etablissements_ess "
            f"WHERE date_stock = ? AND {filtre} ORDER BY siret"
        )
        if limite:
            sql += f" LIMIT {int(limite)}"
        cur = self._executer(sql, [date, *params])
        noms = [d[0] for d in cur.description]
        lignes = [dict(zip(noms, r, strict=True)) for r in cur.fetchall()]
        for ligne in lignes:
            if ligne["date_creation"] is not None:
                ligne["date_creation"] = ligne["date_creation"].isoformat()
        return lignes

    def evolution(
        self,
        territoire: str,
        date_debut: str | None = None,
        date_fin: str | None = None,
        millesime: str = "2024",
    ) -> dict[str, Any]:
        """ESS establishments created, closed, moved in/out of QPV, jobs change between two stocks."""
        dates = self.dates_stock()
        if len(dates) < 2 and (date_debut is None or date_fin is None):
            raise ErreurUtilisateur(
                "L'entrepôt ne contient qu'une date de stock : pas d'évolution possible.",
                correctif="construire un autre stock dans le même entrepôt : « essq construire "
                "--etablissements … --unites-legales … --date-stock AAAA-MM-JJ ».",
            )
        fin = self._date(date_fin or dates[-1])
        if date_debut is None:
            i = dates.index(fin)
            date_debut = dates[i - 1] if i > 0 else dates[0]
        debut = self._date(date_debut)
        if debut >= fin:
            raise ErreurUtilisateur(
                f"La date de début ({debut}) doit précéder la date de fin ({fin}).",
                correctif="inverser --debut et --fin.",
            )
        terr, millesime = self.resoudre(territoire, millesime)
        fa, pa = self._filtre(terr, millesime, "a")
        fb, pb = self._filtre(terr, millesime, "b")
        q = f"qpv_{millesime}"
        if terr["type"] == "qpv":
            entres = f"b.etat = 'A' AND a.etat = 'A' AND {fb} AND a.{q} IS DISTINCT FROM b.{q}"
            sortis = f"a.etat = 'A' AND b.etat = 'A' AND {fa} AND a.{q} IS DISTINCT FROM b.{q}"
            p_entres, p_sortis = pb, pa
        else:
            entres = (
                f"b.etat = 'A' AND a.etat = 'A' AND {fb} AND a.{q} IS NULL AND b.{q} IS NOT NULL"
            )
            sortis = (
                f"a.etat = 'A' AND b.etat = 'A' AND {fa} AND a.{q} IS NOT NULL AND b.{q} IS NULL"
            )
            p_entres, p_sortis = pb, pa
        sql = f"""
        WITH a AS (SELECT * FROM etablissements_ess WHERE date_stock = ?),
             b AS (SELECT * FROM etablissements_ess WHERE date_stock = ?)
        SELECT
          count(*) FILTER (WHERE b.etat = 'A' AND a.etat IS DISTINCT FROM 'A' AND {fb}
                           AND b.date_creation > DATE '{debut}') AS crees,
          count(*) FILTER (WHERE b.etat = 'A' AND a.etat IS DISTINCT FROM 'A' AND {fb}
                           AND (b.date_creation IS NULL OR b.date_creation <= DATE '{debut}')) AS apparus,
          count(*) FILTER (WHERE a.etat = 'A' AND b.etat = 'F' AND {fa}) AS fermes,
          count(*) FILTER (WHERE a.etat = 'A' AND b.siret IS NULL AND {fa}) AS sortis_du_champ,
          count(*) FILTER (WHERE {entres}) AS entres_qpv,
          count(*) FILTER (WHERE {sortis}) AS sortis_qpv
        FROM a FULL OUTER JOIN b ON a.siret = b.siret
        """
        params = [debut, fin, *pb, *pb, *pa, *pa, *p_entres, *p_sortis]
        ligne = self._executer(sql, params).fetchone() or (0,) * 6
        noms = ["crees", "apparus", "fermes", "sortis_du_champ", "entres_qpv", "sortis_qpv"]
        mouvements = dict(zip(noms, (int(x) for x in ligne), strict=True))
        avant = self._mesures(debut, millesime, terr["type"], terr["code"])
        apres = self._mesures(fin, millesime, terr["type"], terr["code"])
        perimetres = {}
        for p in ("ensemble", "en_qpv", "hors_qpv"):
            if p in avant and p in apres:
                perimetres[p] = {
                    k: {
                        "debut": avant[p][k],
                        "fin": apres[p][k],
                        "variation": apres[p][k] - avant[p][k],
                    }
                    for k in (
                        "etablissements_ess",
                        "etablissements_ess_employeurs",
                        "effectif_ess_central",
                        "effectif_total",
                    )
                }
        return {
            "territoire": {k: terr[k] for k in ("type", "code", "libelle") if terr.get(k)},
            "millesime_qpv": millesime,
            "date_debut": debut,
            "date_fin": fin,
            "mouvements_etablissements_ess": mouvements,
            "perimetres": perimetres,
            # the SIRENE stock of each date (one of them may have been rebuilt from history)
            "sources": sources(debut, millesime, self.provenance(debut))[:1]
            + sources(fin, millesime, self.provenance(fin)),
            "methode": "Comparaison par SIRET des établissements ESS des deux stocks. crees : actifs à la "
            "fin, absents ou inactifs au début, créés après la date de début ; apparus : idem mais créés "
            "avant (devenus ESS, réactivés) ; fermes : actifs au début, fermés à la fin ; sortis_du_champ : "
            "actifs au début, absents des établissements ESS à la fin ; entres_qpv / sortis_qpv : actifs "
            "aux deux dates et dont le QPV de localisation a changé.",
        }

    # --- whole tables for exports ---------------------------------------------------------------
    def table_niveau(
        self, niveau: str, date_stock: str | None = None, millesime: str = "2024"
    ) -> pa.Table:
        """One row per territory × perimeter of a level, every measure, share and breakdown."""
        if niveau not in NIVEAUX:
            raise ErreurUtilisateur(
                f"Niveau inconnu : {niveau}.",
                champ="--niveau",
                correctif=f"choisir parmi : {', '.join(NIVEAUX)}.",
            )
        date = self._date(date_stock)
        modalites = self._executer(
            "SELECT DISTINCT dimension, modalite FROM repartitions WHERE date_stock = ? AND millesime = ? "
            "AND niveau = ? ORDER BY 1, 2",
            [date, millesime, niveau],
        ).fetchall()
        pivots = []
        for dim, mod in modalites:
            if dim == "famille" and mod == "hors_ess":
                continue
            cle = f"{dim}_{slug(mod)}"
            cond = f"r.dimension = '{dim}' AND r.modalite = '{mod.replace(chr(39), chr(39) * 2)}'"
            pivots.append(
                f'coalesce(sum(r.etablissements_ess) FILTER (WHERE {cond}), 0)::BIGINT AS "{cle}_etablissements_ess"'
            )
            pivots.append(
                f'coalesce(sum(r.effectif_ess_central) FILTER (WHERE {cond}), 0) AS "{cle}_effectif_ess"'
            )
            if dim == "secteur":
                pivots.append(
                    f'coalesce(sum(r.effectif_total) FILTER (WHERE {cond}), 0) AS "{cle}_effectif_total"'
                )
        pivot_sql = (", " + ", ".join(pivots)) if pivots else ""
        parts = """,
            round(i.effectif_ess_central / nullif(i.effectif_total, 0), 4) AS part_ess_emploi,
            round(i.effectif_ess_central / nullif(i.effectif_prive, 0), 4) AS part_ess_emploi_prive,
            round(i.effectif_ess_action_sociale / nullif(i.effectif_action_sociale, 0), 4) AS part_ess_emploi_action_sociale,
            round(i.etablissements_ess_employeurs / nullif(i.etablissements_employeurs, 0), 4) AS part_ess_employeurs"""
        sql = f"""
        SELECT i.niveau, i.code, t.libelle, i.perimetre, CAST(i.date_stock AS VARCHAR) AS date_stock,
               i.millesime AS millesime_qpv, t.epci, t.departement, t.region,
               {", ".join("i." + m for m in MESURES)}{parts}{pivot_sql}
        FROM indicateurs i
        LEFT JOIN (SELECT DISTINCT ON (niveau, code) * FROM territoires
                   WHERE millesime IS NULL OR millesime = ?) t ON t.niveau = i.niveau AND t.code = i.code
        LEFT JOIN repartitions r ON r.date_stock = i.date_stock AND r.millesime = i.millesime
             AND r.niveau = i.niveau AND r.code = i.code AND r.perimetre = i.perimetre
        WHERE i.date_stock = ? AND i.millesime = ? AND i.niveau = ?
        GROUP BY ALL
        ORDER BY i.code, i.perimetre
        """
        return self._executer(sql, [millesime, date, millesime, niveau]).fetch_arrow_table()

    def contours_qpv(self, millesime: str) -> dict[str, bytes]:
        return {
            code: bytes(geom)
            for code, geom in self._executer(
                "SELECT code, geometrie FROM contours_qpv WHERE millesime = ?", [millesime]
            ).fetchall()
            if geom is not None
        }
