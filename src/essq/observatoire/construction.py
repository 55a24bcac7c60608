"""Build the warehouse: qualified SIRENE + imported territories → indicators, atomically.

The whole build happens in a temporary copy of the warehouse next to the real one; it is
swapped in with ``os.replace`` only once every table is written and the file is closed. A
build killed at any moment, or failing on a bad file, leaves the previous warehouse as it was.

Aggregation strategy (one engine, one pass for the figures): active establishments are
first counted and their jobs summed in a single scan of the qualified file, grouped by every
key an indicator or a breakdown depends on (table ``brut``: raw COG code × QPV × family ×
sector × bracket × creation period × the boolean conditions of the measures). Its size
depends on the geography and the mix, not on the number of rows (about 200,000 rows for 1 M
as for 42 M replicated establishments). Every territory level, perimeter and breakdown is then
a filtered sum over it. A second scan writes the ESS establishments themselves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from essq import __version__
from essq.config import emplacements
from essq.console import progression
from essq.erreurs import ErreurUtilisateur
from essq.fichiers import sha256
from essq.observatoire.consultation import ecrire_consultation, sceller
from essq.observatoire.entrepot import Entrepot
from essq.observatoire.schema import (
    COLONNES_ESS_SEULEMENT,
    COLONNES_REQUISES,
    MESURES,
    MESURES_REPARTITION,
    VERSION_SCHEMA_ENTREPOT,
    colonnes_millesime,
)
from essq.observatoire.territoires_entrepot import (
    dossier_territoires,
    manifeste_territoires,
    sql_territoires,
)
from essq.sql import litteral

MEMOIRE_DUCKDB = os.environ.get("ESSQ_MEMOIRE_DUCKDB", "4GB")
# an input file, or (role, file) to record what it was used for
FichierSource = Path | str | tuple[str, Path | str]


@dataclass
class RapportConstruction:
    """What ``essq construire`` did (also stored in the warehouse's ``provenance`` table)."""

    entrepot: str
    date_stock: str
    millesimes_qpv: list[str]
    lignes_qualifiees: int
    etablissements_actifs: int
    etablissements_ess_actifs: int
    duree_secondes: float
    duree_qualification_secondes: float = 0.0
    incoherences_commune_qpv: int = 0
    dates_stock_entrepot: list[str] = field(default_factory=list)
    avertissements: list[str] = field(default_factory=list)

    def en_dict(self) -> dict[str, Any]:
        return asdict(self)


def _date(texte: str | None, *, defaut: Path | None = None) -> str:
    if texte is None:
        if defaut is None:
            return dt.date.today().isoformat()
        return dt.date.fromtimestamp(Path(defaut).stat().st_mtime).isoformat()
    try:
        return dt.date.fromisoformat(texte).isoformat()
    except ValueError:
        raise ErreurUtilisateur(
            f"Date de stock invalide : « {texte} ».",
            champ="--date-stock",
            correctif="donner la date du stock SIRENE au format AAAA-MM-JJ, par exemple 2025-01-01.",
        ) from None


@contextlib.contextmanager
def _verrou(dossier: Path) -> Iterator[None]:
    """One build at a time per warehouse; stale temporary files of killed builds are removed."""
    dossier.mkdir(parents=True, exist_ok=True)
    with open(dossier / ".construction.verrou", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ErreurUtilisateur(
                f"Une construction de l'entrepôt est déjà en cours dans {dossier}.",
                correctif="attendre la fin de l'autre « essq construire » puis relancer.",
            ) from None
        for reste in dossier.glob(".essq.duckdb.*"):  # left by a killed build: we hold the lock
            if reste.is_dir():
                shutil.rmtree(reste, ignore_errors=True)
            else:
                reste.unlink(missing_ok=True)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _colonnes_parquet(con: duckdb.DuckDBPyConnection, chemin: Path) -> list[str]:
    try:
        lignes = con.execute(f"DESCRIBE SELECT * FROM read_parquet({litteral(chemin)})").fetchall()
    except duckdb.Error as exc:
        raise ErreurUtilisateur(
            f"Le fichier qualifié {chemin} est illisible : {str(exc).splitlines()[0]}",
            fichier=str(chemin),
            correctif="relancer la qualification (« essq sirene qualifier ») ou « essq construire » "
            "avec les fichiers SIRENE d'origine.",
        ) from None
    return [r[0] for r in lignes]


def verifier_qualifie(
    con: duckdb.DuckDBPyConnection, chemin: Path, millesimes: Sequence[str]
) -> None:
    """The qualified table must follow the agreed schema for every imported QPV millésime."""
    colonnes = set(_colonnes_parquet(con, chemin))
    attendues = list(COLONNES_REQUISES)
    for m in millesimes:
        attendues.extend(colonnes_millesime(m))
    manquantes = [c for c in attendues if c not in colonnes]
    if manquantes:
        raise ErreurUtilisateur(
            "Le fichier qualifié ne suit pas le schéma attendu par l'observatoire "
            f"(colonnes manquantes : {', '.join(manquantes)}).",
            fichier=str(chemin),
            correctif="requalifier le stock avec la version installée : « essq construire "
            "--etablissements … --unites-legales … » (les millésimes QPV importés doivent "
            "être ceux utilisés pour la qualification).",
        )


def _sql_brut(qualifie: Path, millesimes: Sequence[str]) -> str:
    """The only scan of the qualified file for the figures: active establishments summed by
    every key an indicator or a breakdown filters on (raw COG code, QPV of each millésime,
    family, sector, bracket, creation period, and the boolean conditions of the measures).
    Keys stay raw or small integers: labels are put on the grouped rows, not on every row.

    Counting rows and summing three columns per group is much cheaper than evaluating a
    dozen filtered aggregates per row; every indicator is then a filtered sum over this
    table, whose size depends on the geography and the mix, not on the number of rows.
    Jobs are sums of bracket bounds (multiples of 0.5), so regrouping them is exact."""
    par_m = []
    for m in millesimes:
        vecu = f'q.ess AND q."qpv_{m}" IS NULL AND q."distance_qpv_{m}_m"'
        par_m.append(
            f'q."qpv_{m}"::VARCHAR AS qpv_{m}, '
            f"CASE WHEN {vecu} <= 300 THEN 1 WHEN {vecu} <= 1000 THEN 2 ELSE 0 END::UTINYINT AS vecu_{m}, "
            f'CASE WHEN {vecu} <= 1000 THEN q."qpv_proche_{m}"::VARCHAR END AS proche_{m}'
        )
    return f"""
CREATE OR REPLACE TEMP TABLE brut AS
SELECT q.code_commune::VARCHAR AS code_commune, q.departement::VARCHAR AS departement_q,
    {", ".join(par_m)},
    q.famille_ess::VARCHAR AS famille_ess, q.secteur_ess::VARCHAR AS secteur_ess,
    q.tranche_effectif::VARCHAR AS tranche_effectif,
    CASE WHEN q.date_creation IS NULL THEN 0
         WHEN q.date_creation < DATE '1980-01-01' THEN 1
         WHEN q.date_creation < DATE '2000-01-01' THEN 2
         WHEN q.date_creation < DATE '2010-01-01' THEN 3
         WHEN q.date_creation < DATE '2020-01-01' THEN 4
         ELSE 5 END::UTINYINT AS periode_creation,
    coalesce(q.ess, false) AS ess,
    coalesce(q.employeur, false) AS employeur,
    coalesce(q.secteur_public, false) AS public,
    coalesce(substr(q.naf, 1, 2) IN ('87', '88'), false) AS action_sociale,
    coalesce(q.ess AND (q.lon IS NULL OR q.lat IS NULL), false) AS sans_position,
    count(*) AS n,
    sum(q.effectif_bas) AS bas, sum(q.effectif_central) AS central, sum(q.effectif_haut) AS haut
FROM read_parquet({litteral(qualifie)}) q
WHERE q.etat = 'A'
GROUP BY ALL
"""


def _n(filtre: str | None = None) -> str:
    """Establishments of ``brut`` (optionally filtered), as BIGINT."""
    if filtre is None:
        return "sum(b.n)::BIGINT"
    return f"coalesce(sum(b.n) FILTER (WHERE {filtre}), 0)::BIGINT"


def _s(colonne: str, filtre: str | None = None) -> str:
    """Sum of a job column of ``brut`` (optionally filtered), 0 when there is none."""
    if filtre is None:
        return f"coalesce(sum(b.{colonne}), 0)"
    return f"coalesce(sum(b.{colonne}) FILTER (WHERE {filtre}), 0)"


GEO_BRUT = "m.commune, m.epci, coalesce(m.departement, b.departement_q) AS departement, m.region"
JOINTURE_BRUT = "brut b LEFT JOIN cmap m ON m.code = b.code_commune"


def _sql_fin(millesimes: Sequence[str]) -> str:
    qpv_cols = ", ".join(f"b.qpv_{m}" for m in millesimes)
    vecu = ", ".join(
        f"{_n(f'b.vecu_{m} = 1')} AS etablissements_ess_300m_{m}, "
        f"{_n(f'b.vecu_{m} >= 1')} AS etablissements_ess_1km_{m}"
        for m in millesimes
    )
    return f"""
CREATE OR REPLACE TEMP TABLE fin AS
SELECT {GEO_BRUT}, {qpv_cols},
    {_n("b.ess")} AS etablissements_ess,
    {_n("b.ess AND b.employeur")} AS etablissements_ess_employeurs,
    {_s("bas", "b.ess")} AS effectif_ess_bas,
    {_s("central", "b.ess")} AS effectif_ess_central,
    {_s("haut", "b.ess")} AS effectif_ess_haut,
    {_n()} AS etablissements_actifs,
    {_n("b.employeur")} AS etablissements_employeurs,
    {_s("central")} AS effectif_total,
    {_s("bas")} AS effectif_total_bas,
    {_s("haut")} AS effectif_total_haut,
    {_s("central", "NOT b.public")} AS effectif_prive,
    {_s("central", "b.action_sociale")} AS effectif_action_sociale,
    {_s("central", "b.ess AND b.action_sociale")} AS effectif_ess_action_sociale,
    {_n("b.sans_position")} AS etablissements_ess_sans_position,
    {vecu}
FROM {JOINTURE_BRUT}
GROUP BY ALL
"""


MODALITES_BRUT = {
    "famille": "coalesce(b.famille_ess, 'inconnue')",
    "secteur": "coalesce(b.secteur_ess, 'non_classe')",
    "taille": """CASE WHEN b.tranche_effectif IN ('NN', '00') THEN 'sans_salarie'
         WHEN b.tranche_effectif IN ('01', '02', '03') THEN '1_9'
         WHEN b.tranche_effectif IN ('11', '12') THEN '10_49'
         WHEN b.tranche_effectif IN ('21', '22', '31') THEN '50_249'
         WHEN b.tranche_effectif IN ('32', '41', '42', '51', '52', '53') THEN '250_plus'
         ELSE 'inconnue' END""",
    "creation": "['inconnue', 'avant_1980', '1980_1999', '2000_2009', '2010_2019', "
    "'depuis_2020'][b.periode_creation + 1]",
}


def _sql_fin_repartitions(millesimes: Sequence[str]) -> str:
    """Breakdowns at the finest geography: one small GROUP BY of ``brut`` per dimension."""
    qpv_cols = ", ".join(f"b.qpv_{m}" for m in millesimes)
    mesures = f"""{_n("b.ess")} AS etablissements_ess,
    {_n("b.ess AND b.employeur")} AS etablissements_ess_employeurs,
    {_s("bas", "b.ess")} AS effectif_ess_bas,
    {_s("central", "b.ess")} AS effectif_ess_central,
    {_s("haut", "b.ess")} AS effectif_ess_haut,
    {_n()} AS etablissements_actifs,
    {_s("central")} AS effectif_total"""
    parties = "\nUNION ALL\n".join(
        f"SELECT {GEO_BRUT}, {qpv_cols}, '{d}' AS dimension, {expr} AS modalite, {mesures} "
        f"FROM {JOINTURE_BRUT} GROUP BY ALL"
        for d, expr in MODALITES_BRUT.items()
    )
    return f"CREATE OR REPLACE TEMP TABLE fin_rep AS\n{parties}\n"


MESURES_FIN = [m for m in MESURES if m not in ("etablissements_ess_300m", "etablissements_ess_1km")]
MESURES_REP = list(MESURES_REPARTITION)
NIVEAUX_GEO = {
    "commune": "commune",
    "epci": "epci",
    "departement": "departement",
    "region": "region",
    "france": "'FR'",
}


def _sql_agreger(source: str, mesures: Sequence[str], m: str, extra: str = "") -> str:
    """UNION ALL of every (level, perimeter) aggregate of ``source`` for millésime ``m``."""
    sommes = ", ".join(f"sum({x}) AS {x}" for x in mesures)
    parties = []
    for niveau, col in NIVEAUX_GEO.items():
        filtre = f"WHERE {col} IS NOT NULL" if niveau != "france" else ""
        parties.append(
            f"SELECT '{niveau}' AS niveau, {col} AS code, 'ensemble' AS perimetre{extra}, {sommes} "
            f"FROM {source} {filtre} GROUP BY ALL"
        )
        parties.append(
            f"SELECT '{niveau}' AS niveau, {col} AS code, "
            f"CASE WHEN qpv_{m} IS NULL THEN 'hors_qpv' ELSE 'en_qpv' END AS perimetre{extra}, {sommes} "
            f"FROM {source} {filtre} GROUP BY ALL"
        )
    parties.append(
        f"SELECT 'qpv' AS niveau, qpv_{m} AS code, 'ensemble' AS perimetre{extra}, {sommes} "
        f"FROM {source} WHERE qpv_{m} IS NOT NULL GROUP BY ALL"
    )
    return "\nUNION ALL\n".join(parties)


def _creer_schema(con: duckdb.DuckDBPyConnection) -> None:
    mesures = ",\n    ".join(
        f"{m} {'DOUBLE' if m.startswith('effectif') else 'BIGINT'} NOT NULL" for m in MESURES
    )
    rep = ",\n    ".join(
        f"{m} {'DOUBLE' if m.startswith('effectif') else 'BIGINT'} NOT NULL" for m in MESURES_REP
    )
    con.execute(
        f"""
CREATE TABLE IF NOT EXISTS meta (cle VARCHAR PRIMARY KEY, valeur VARCHAR);
CREATE TABLE IF NOT EXISTS provenance (
    date_stock DATE, construit_le TIMESTAMP, version_code VARCHAR, commande VARCHAR,
    fichiers VARCHAR, millesimes_qpv VARCHAR, territoires VARCHAR, duree_secondes DOUBLE,
    lignes_qualifiees BIGINT, etablissements_actifs BIGINT, etablissements_ess_actifs BIGINT,
    incoherences_commune_qpv BIGINT);
CREATE TABLE IF NOT EXISTS territoires (
    niveau VARCHAR, code VARCHAR, libelle VARCHAR, millesime VARCHAR,
    epci VARCHAR, departement VARCHAR, region VARCHAR);
CREATE TABLE IF NOT EXISTS contours_qpv (millesime VARCHAR, code VARCHAR, geometrie BLOB);
CREATE TABLE IF NOT EXISTS indicateurs (
    date_stock DATE NOT NULL, millesime VARCHAR NOT NULL, niveau VARCHAR NOT NULL,
    code VARCHAR NOT NULL, perimetre VARCHAR NOT NULL,
    {mesures});
CREATE TABLE IF NOT EXISTS repartitions (
    date_stock DATE NOT NULL, millesime VARCHAR NOT NULL, niveau VARCHAR NOT NULL,
    code VARCHAR NOT NULL, perimetre VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
    modalite VARCHAR NOT NULL,
    {rep});
CREATE TABLE IF NOT EXISTS etablissements_ess (
    date_stock DATE NOT NULL, siret VARCHAR NOT NULL, siren VARCHAR, etat VARCHAR,
    date_creation DATE, denomination VARCHAR, enseigne VARCHAR, categorie_juridique VARCHAR,
    famille_ess VARCHAR, secteur_ess VARCHAR, naf VARCHAR, tranche_effectif VARCHAR,
    effectif_bas DOUBLE, effectif_central DOUBLE, effectif_haut DOUBLE, employeur BOOLEAN,
    commune VARCHAR, epci VARCHAR, departement VARCHAR, region VARCHAR,
    lon DOUBLE, lat DOUBLE, statut_position VARCHAR, nom_recherche VARCHAR);
"""
    )
    version = con.execute("SELECT valeur FROM meta WHERE cle = 'version_schema'").fetchone()
    if version is None:
        con.execute(f"INSERT INTO meta VALUES ('version_schema', '{VERSION_SCHEMA_ENTREPOT}')")
    elif version[0] != str(VERSION_SCHEMA_ENTREPOT):
        raise ErreurUtilisateur(
            f"L'entrepôt existant a le schéma v{version[0]}, cette version d'essq écrit le schéma "
            f"v{VERSION_SCHEMA_ENTREPOT}.",
            correctif="supprimer le dossier entrepot/ de ESSQ_HOME puis reconstruire chaque date de "
            "stock avec « essq construire ».",
        )


def construire_depuis_qualifie(
    qualifie: Path | str,
    *,
    date_stock: str | None = None,
    home: Path | str | None = None,
    fichiers_source: Sequence[FichierSource] = (),
    commande: str | None = None,
    duree_qualification: float = 0.0,
    afficher: bool = True,
) -> RapportConstruction:
    """Aggregate a qualified establishments Parquet (essq.sirene schema) into the warehouse.

    The rows of ``date_stock`` already in the warehouse are replaced; other dates are kept.
    """
    debut = time.perf_counter()
    qualifie = Path(qualifie)
    date = _date(date_stock, defaut=qualifie)
    if not qualifie.is_file():
        raise ErreurUtilisateur(
            f"Fichier qualifié introuvable : {qualifie}.",
            fichier=str(qualifie),
            correctif="vérifier le chemin.",
        )
    lieux = emplacements(home)
    dossier_terr = dossier_territoires(home)
    destination = lieux.entrepot
    with _verrou(destination.parent):
        fd, nom_tmp = tempfile.mkstemp(
            prefix=".essq.duckdb.", suffix=".partiel", dir=destination.parent
        )
        os.close(fd)
        tmp = Path(nom_tmp)
        tmp.unlink()
        try:
            if destination.exists():
                shutil.copyfile(destination, tmp)
            try:
                rapport = _construire_dans(
                    tmp,
                    qualifie,
                    date=date,
                    dossier_terr=dossier_terr,
                    fichiers_source=fichiers_source,
                    commande=commande,
                    duree_qualification=duree_qualification,
                    debut=debut,
                    afficher=afficher,
                )
            except duckdb.Error as exc:
                raise ErreurUtilisateur(
                    "L'agrégation du fichier qualifié a échoué : "
                    f"{str(exc).splitlines()[0]}. L'entrepôt précédent est inchangé.",
                    fichier=str(qualifie),
                    correctif="vérifier que le fichier vient de « essq sirene qualifier » de cette "
                    "version d'essq (types des colonnes), ou relancer « essq construire » avec les "
                    "fichiers SIRENE d'origine.",
                ) from exc
            tmp_consultation = tmp.with_name(tmp.name + ".consultation")
            rapport.avertissements += _ecrire_consultation(tmp, tmp_consultation)
            # The old index goes first: a build stopped between the swaps leaves no index, and
            # readers go back to the warehouse itself (its seal only guards outside changes).
            lieux.consultation.unlink(missing_ok=True)
            os.replace(tmp, destination)
            if tmp_consultation.exists():
                os.replace(tmp_consultation, lieux.consultation)
        finally:
            for reste in (
                tmp,
                tmp.with_name(tmp.name + ".wal"),
                tmp.with_name(tmp.name + ".consultation"),
            ):
                reste.unlink(missing_ok=True)
    rapport.entrepot = str(destination)
    return rapport


def _construire_dans(
    chemin: Path,
    qualifie: Path,
    *,
    date: str,
    dossier_terr: Path,
    fichiers_source: Sequence[FichierSource],
    commande: str | None,
    duree_qualification: float,
    debut: float,
    afficher: bool,
) -> RapportConstruction:
    con = duckdb.connect(str(chemin))
    try:
        con.execute(f"SET memory_limit = '{MEMOIRE_DUCKDB}'")
        con.execute(f"SET temp_directory = {litteral(str(chemin) + '.tmp')}")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")  # the build has its own Rich progress bar
        etapes = [
            "Lecture des territoires",
            "Agrégation des établissements actifs",
            "Répartitions (familles, secteurs, tailles, créations)",
            "Indicateurs par territoire et périmètre",
            "Établissements ESS et provenance",
        ]
        with progression(visible=afficher) as barre:
            tache = barre.add_task(etapes[0], total=len(etapes))

            def etape(i: int) -> None:
                barre.update(tache, description=etapes[i], completed=i)

            _creer_schema(con)
            con.execute(sql_territoires(dossier_terr))
            millesimes = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT millesime FROM ref_territoires WHERE niveau = 'qpv' ORDER BY 1"
                ).fetchall()
            ]
            if not millesimes:
                raise ErreurUtilisateur(
                    f"Aucun QPV dans les territoires importés ({dossier_terr}).",
                    correctif="importer les QPV : « essq territoires importer-qpv FICHIER --millesime 2024 », puis relancer.",
                )
            verifier_qualifie(con, qualifie, millesimes)
            # count(*) without a filter is answered from the Parquet footers.
            lignes = (
                con.execute(f"SELECT count(*) FROM read_parquet({litteral(qualifie)})").fetchone()
                or (0,)
            )[0]
            con.execute(_sql_brut(qualifie, millesimes))
            actifs, ess_actifs = con.execute(
                "SELECT coalesce(sum(n), 0)::BIGINT, coalesce(sum(n) FILTER (WHERE ess), 0)::BIGINT "
                "FROM brut"
            ).fetchone() or (0, 0)
            if actifs == 0:
                raise ErreurUtilisateur(
                    f"Le stock SIRENE est vide : {lignes} ligne(s) qualifiée(s), aucun établissement actif.",
                    fichier=str(
                        _fiche_fichier(fichiers_source[0])["chemin"]
                        if fichiers_source
                        else qualifie
                    ),
                    correctif="vérifier que le fichier est bien le stock des établissements "
                    "(StockEtablissement) complet et décompressé, puis relancer « essq construire ».",
                )
            for table in ("indicateurs", "repartitions", "etablissements_ess", "provenance"):
                con.execute(f"DELETE FROM {table} WHERE date_stock = DATE '{date}'")

            etape(1)
            con.execute(_sql_fin(millesimes))
            incoherences = 0
            for m in millesimes:
                incoherences += (
                    con.execute(
                        f"""SELECT coalesce(sum(f.etablissements_actifs), 0) FROM fin f
                        JOIN ref_territoires t ON t.niveau = 'qpv' AND t.millesime = '{m}' AND t.code = f.qpv_{m}
                        WHERE f.departement IS DISTINCT FROM t.departement"""
                    ).fetchone()
                    or (0,)
                )[0]
            etape(2)
            con.execute(_sql_fin_repartitions(millesimes))
            etape(3)
            mesures_cols = ", ".join(MESURES)
            # This stock's rows are gathered aside, then written once in serving order.
            con.execute("CREATE OR REPLACE TEMP TABLE ind_new AS FROM indicateurs LIMIT 0")
            con.execute("CREATE OR REPLACE TEMP TABLE rep_new AS FROM repartitions LIMIT 0")
            for m in millesimes:
                fin_m = ", ".join(MESURES_FIN) + (
                    f", etablissements_ess_300m_{m} AS etablissements_ess_300m"
                    f", etablissements_ess_1km_{m} AS etablissements_ess_1km"
                )
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW fin_m AS SELECT commune, epci, departement, region, qpv_{m}, {fin_m} FROM fin"
                )
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE agg AS {_sql_agreger('fin_m', list(MESURES), m)}"
                )
                # Quartier vécu of a QPV: establishments outside any QPV whose nearest QPV it is.
                con.execute(
                    f"""UPDATE agg SET etablissements_ess_300m = v.n300, etablissements_ess_1km = v.n1000
                    FROM (SELECT proche_{m} AS code,
                                 coalesce(sum(n) FILTER (WHERE vecu_{m} = 1), 0)::BIGINT AS n300,
                                 sum(n)::BIGINT AS n1000
                          FROM brut WHERE proche_{m} IS NOT NULL
                          GROUP BY 1) v
                    WHERE agg.niveau = 'qpv' AND agg.code = v.code"""
                )
                zeros = ", ".join(f"coalesce(a.{x}, 0) AS {x}" for x in MESURES)
                con.execute(
                    f"""INSERT INTO ind_new (date_stock, millesime, niveau, code, perimetre, {mesures_cols})
                    WITH cles AS (
                        SELECT t.niveau, t.code, p.perimetre
                        FROM (SELECT niveau, code FROM ref_territoires
                              WHERE millesime IS NULL OR millesime = '{m}') t
                        JOIN (VALUES ('ensemble'), ('en_qpv'), ('hors_qpv')) p(perimetre)
                          ON t.niveau <> 'qpv' OR p.perimetre = 'ensemble'
                        UNION
                        SELECT niveau, code, perimetre FROM agg
                    )
                    SELECT DATE '{date}', '{m}', c.niveau, c.code, c.perimetre, {zeros}
                    FROM cles c LEFT JOIN agg a USING (niveau, code, perimetre)"""
                )
                rep = ", ".join(MESURES_REP)
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW rep_m AS SELECT commune, epci, departement, region, qpv_{m}, dimension, modalite, {rep} FROM fin_rep"
                )
                con.execute(
                    f"""INSERT INTO rep_new (date_stock, millesime, niveau, code, perimetre, dimension, modalite, {rep})
                    SELECT DATE '{date}', '{m}', * FROM ({_sql_agreger("rep_m", MESURES_REP, m, extra=", dimension, modalite")})"""
                )
            etape(4)
            _ecrire_etablissements(con, qualifie, date, millesimes)
            con.execute("DELETE FROM territoires")
            con.execute("INSERT INTO territoires SELECT * FROM ref_territoires")
            con.execute("DELETE FROM contours_qpv")
            con.execute("INSERT INTO contours_qpv SELECT * FROM ref_contours")
            # Keep the serving tables sorted by territory: point look-ups then skip row groups.
            # Alone in the warehouse, this stock is inserted sorted; otherwise the table is
            # rewritten with the other stock dates, all sorted together.
            con.execute("SET preserve_insertion_order = true")
            for table, nouveau in (("indicateurs", "ind_new"), ("repartitions", "rep_new")):
                autres = (con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,))[0]
                if autres:
                    con.execute(
                        f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM "
                        f"(FROM {table} UNION ALL FROM {nouveau}) ORDER BY niveau, code, date_stock"
                    )
                else:
                    con.execute(
                        f"INSERT INTO {table} FROM {nouveau} ORDER BY niveau, code, date_stock"
                    )
            con.execute("SET preserve_insertion_order = false")
            fichiers = [_fiche_fichier(f) for f in fichiers_source]
            duree = time.perf_counter() - debut + duree_qualification
            # Literals rather than parameters: binding parameters makes DuckDB import pandas.
            valeurs = [
                f"DATE '{date}'",
                "current_timestamp",
                litteral(__version__),
                litteral(commande or " ".join(["essq", *sys.argv[1:]])),
                litteral(json.dumps(fichiers, ensure_ascii=False)),
                litteral(json.dumps(millesimes)),
                litteral(
                    json.dumps(manifeste_territoires(dossier_terr), ensure_ascii=False, default=str)
                ),
                repr(float(duree)),
                str(int(lignes)),
                str(int(actifs)),
                str(int(ess_actifs)),
                str(int(incoherences)),
            ]
            con.execute(f"INSERT INTO provenance VALUES ({', '.join(valeurs)})")
            dates = [
                str(r[0])
                for r in con.execute(
                    "SELECT DISTINCT date_stock FROM indicateurs ORDER BY 1"
                ).fetchall()
            ]
            con.execute("CHECKPOINT")
            barre.update(tache, completed=len(etapes), description="Entrepôt construit")
    finally:
        con.close()
        shutil.rmtree(str(chemin) + ".tmp", ignore_errors=True)
    return RapportConstruction(
        entrepot=str(chemin),
        date_stock=date,
        millesimes_qpv=list(millesimes),
        lignes_qualifiees=int(lignes),
        etablissements_actifs=int(actifs),
        etablissements_ess_actifs=int(ess_actifs),
        duree_secondes=round(time.perf_counter() - debut + duree_qualification, 3),
        duree_qualification_secondes=round(duree_qualification, 3),
        incoherences_commune_qpv=int(incoherences),
        dates_stock_entrepot=dates,
    )


def _ecrire_consultation(entrepot: Path, sortie: Path) -> list[str]:
    """Write the consultation index of the (closed) warehouse file ``entrepot`` into ``sortie``
    and seal it against that file (essq.observatoire.consultation).

    Best effort: the index only speeds ``essq indicateurs`` up, so a failure to write it (disk
    full, a driver missing, values SQLite refuses) leaves no ``sortie`` and returns the
    warning to show; the warehouse is built all the same and answers by itself."""
    try:
        with Entrepot(duckdb.connect(str(entrepot), read_only=True), entrepot) as e:
            ecrire_consultation(e.con, ((d, e.provenance(d)) for d in e.dates_stock()), sortie)
        sceller(sortie, entrepot)
    except Exception as exc:  # any failure: no index, never a lost build
        sortie.unlink(missing_ok=True)
        premiere = (str(exc).splitlines() or [type(exc).__name__])[0]
        return [
            f"Index de consultation non écrit ({type(exc).__name__} : {premiere}) : "
            "« essq indicateurs » lira l'entrepôt lui-même, plus lentement (environ 0,12 s par "
            "commande au lieu de 0,05 s). La prochaine construction le réécrira."
        ]
    return []


def _fiche_fichier(f: FichierSource) -> dict[str, Any]:
    """Provenance of one input file: path, checksum, size, and its role when known
    (``etablissements``, ``unites_legales``, ``historique_etablissements``…)."""
    role, chemin = f if isinstance(f, tuple) else (None, f)
    fiche: dict[str, Any] = {
        "chemin": str(Path(chemin).resolve()),
        "sha256": sha256(chemin),
        "octets": Path(chemin).stat().st_size,
    }
    if role:
        fiche["role"] = role
    return fiche


# Directory name search: names without case nor accents, stored once at build time (computing
# them on 4 million rows at each France-wide search took 0.5 to 1 s). Built from the names
# the table keeps, so a masked name (statut de diffusion P) can never be found by searching.
NOM_RECHERCHE = "strip_accents(lower(concat_ws(' ', denomination, enseigne)))"


def _ecrire_etablissements(
    con: duckdb.DuckDBPyConnection, qualifie: Path, date: str, millesimes: Sequence[str]
) -> None:
    """ESS establishments (active and closed) of this stock, for evolutions and listings.

    Masked fields never enter the warehouse: names and coordinates of establishments with
    statut_diffusion = 'P' are dropped here whatever the qualified file holds.

    Each stock date is appended in one sorted block (etat, departement, epci, commune, siret):
    DuckDB's per-row-group min/max then skip closed establishments and other territories, so a
    directory search on a commune, EPCI, QPV or departement reads a few row groups instead of
    the whole national table."""
    existantes = {r[0] for r in con.execute("DESCRIBE etablissements_ess").fetchall()}
    if "nom_recherche" not in existantes:  # warehouse built by an older version
        con.execute("ALTER TABLE etablissements_ess ADD COLUMN nom_recherche VARCHAR")
        con.execute(f"UPDATE etablissements_ess SET nom_recherche = {NOM_RECHERCHE}")
    for m in millesimes:
        for col, typ in ((f"qpv_{m}", "VARCHAR"), (f"distance_qpv_{m}_m", "DOUBLE")):
            if col not in existantes:
                con.execute(f"ALTER TABLE etablissements_ess ADD COLUMN {col} {typ}")
    cols_m = ", ".join(f'q."qpv_{m}", q."distance_qpv_{m}_m"' for m in millesimes)
    noms_m = ", ".join(f"qpv_{m}, distance_qpv_{m}_m" for m in millesimes)
    # The build turns insertion order off for speed; this table's physical order is the point.
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        f"""INSERT INTO etablissements_ess (date_stock, siret, siren, etat, date_creation, denomination,
            enseigne, categorie_juridique, famille_ess, secteur_ess, naf, tranche_effectif,
            effectif_bas, effectif_central, effectif_haut, employeur, commune, epci, departement,
            region, lon, lat, statut_position, nom_recherche, {noms_m})
        SELECT DATE '{date}', q.siret::VARCHAR, q.siren::VARCHAR, q.etat, q.date_creation,
            CASE WHEN q.statut_diffusion = 'O' THEN q.denomination END,
            CASE WHEN q.statut_diffusion = 'O' THEN q.enseigne END,
            q.categorie_juridique::VARCHAR, q.famille_ess, q.secteur_ess, q.naf, q.tranche_effectif,
            q.effectif_bas, q.effectif_central, q.effectif_haut, q.employeur,
            m.commune, m.epci, coalesce(m.departement, q.departement::VARCHAR), m.region,
            CASE WHEN q.statut_diffusion = 'O' THEN q.lon END,
            CASE WHEN q.statut_diffusion = 'O' THEN q.lat END,
            q.statut_position,
            CASE WHEN q.statut_diffusion = 'O' THEN {NOM_RECHERCHE.replace("denomination", "q.denomination").replace("enseigne", "q.enseigne")} END,
            {cols_m}
        FROM read_parquet({litteral(qualifie)}) q LEFT JOIN cmap m ON m.code = q.code_commune::VARCHAR
        WHERE q.ess
        ORDER BY q.etat, coalesce(m.departement, q.departement::VARCHAR), m.epci, m.commune, q.siret"""
    )
    con.execute("SET preserve_insertion_order = false")


def construire(
    etablissements: Path | str,
    unites_legales: Path | str,
    *,
    date_stock: str | None = None,
    home: Path | str | None = None,
    commande: str | None = None,
    afficher: bool = True,
    historique_etablissements: Path | str | None = None,
    historique_unites_legales: Path | str | None = None,
) -> RapportConstruction:
    """``essq construire``: qualify the SIRENE stock (essq.sirene) then build the warehouse.

    The qualified table is written to a temporary folder next to the warehouse and removed
    afterwards; the warehouse is swapped in only if every step succeeds. With INSEE's
    historical stocks, the stock is rebuilt as it was at ``date_stock`` (then required).
    """
    etablissements, unites_legales = Path(etablissements), Path(unites_legales)
    # every input file, by role (its option is --role), with an example of INSEE's file name
    fichiers = {
        "etablissements": (etablissements, "StockEtablissement_utf8.csv"),
        "unites_legales": (unites_legales, "StockUniteLegale_utf8.csv"),
        "historique_etablissements": (
            historique_etablissements,
            "StockEtablissementHistorique_utf8.zip",
        ),
        "historique_unites_legales": (
            historique_unites_legales,
            "StockUniteLegaleHistorique_utf8.zip",
        ),
    }
    for role, (f, exemple) in fichiers.items():
        if f is not None and not Path(f).is_file():
            raise ErreurUtilisateur(
                f"Fichier introuvable : {f}.",
                champ="--" + role.replace("_", "-"),
                fichier=str(f),
                correctif=f"donner le chemin du fichier de l'Insee (CSV, zip ou Parquet), par "
                f"exemple {exemple}.",
            )
    historiques_donnes = {
        r: Path(f) for r, (f, _) in fichiers.items() if r.startswith("historique") and f is not None
    }
    if historiques_donnes and date_stock is None:
        raise ErreurUtilisateur(
            "Les fichiers historiques servent à reconstituer le stock à une date passée : "
            "cette date manque.",
            champ="--date-stock",
            correctif="indiquer la date à reconstituer, par exemple --date-stock 2022-12-31.",
        )
    date = _date(date_stock, defaut=etablissements)
    if historiques_donnes:
        from essq.sirene.historique import date_reconstitution

        date_reconstitution(date, champ="--date-stock")  # not in the future
    dossier_territoires(home)  # fail early, before the long qualification
    lieux = emplacements(home)
    lieux.entrepot.parent.mkdir(parents=True, exist_ok=True)
    from essq.sirene import qualifier  # type: ignore[attr-defined]

    with tempfile.TemporaryDirectory(prefix=".qualification.", dir=lieux.entrepot.parent) as tmp:
        sortie = Path(tmp) / "etablissements_qualifies.parquet"
        debut = time.perf_counter()
        # distances to the nearest QPV only for ESS establishments: the warehouse keeps them
        # for ESS establishments only (directory, quartier vécu counts)
        qualifier(
            unites_legales,
            etablissements,
            sortie,
            home=lieux.home,
            afficher_progression=afficher,
            distances="ess",
            # a temporary table, read once by the aggregation then deleted: lz4 writes and reads
            # faster than zstd (construire −5 to −15 % at 1 M and 5 M rows, measured)
            compression="lz4",
            # only what the warehouse reads; identifiers, names and coordinates for ESS
            # establishments only (the figures count the others, the table lists ESS ones)
            colonnes=COLONNES_REQUISES,
            ess_seulement=COLONNES_ESS_SEULEMENT,
            date_historique=date if historiques_donnes else None,
            historique_etablissements=historiques_donnes.get("historique_etablissements"),
            historique_unites_legales=historiques_donnes.get("historique_unites_legales"),
        )
        duree_q = time.perf_counter() - debut
        return construire_depuis_qualifie(
            sortie,
            date_stock=date,
            home=lieux.home,
            fichiers_source=[
                ("etablissements", etablissements),
                ("unites_legales", unites_legales),
                *historiques_donnes.items(),
            ],
            commande=commande,
            duree_qualification=duree_q,
            afficher=afficher,
        )
