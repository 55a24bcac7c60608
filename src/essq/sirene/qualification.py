"""Qualify SIRENE legal units and establishments: ESS perimeter, sector, jobs, place, privacy.

Pipeline (bounded memory): DuckDB reads the projected columns of both stocks, joins each
establishment to its legal unit and computes every row-wise rule in SQL; the result is streamed
in Arrow batches through ``Territoires`` (commune normalisation, reprojection, QPV) and written
batch by batch to a temporary file swapped in atomically at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import queue
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from essq.console import progression
from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.fichiers import ecriture_atomique
from essq.sirene import historique
from essq.sirene import nomenclatures as nom
from essq.sirene.lecture import Source, ouvrir_source, resoudre_colonnes
from essq.sirene.listes import TYPES_LISTE, lire_liste, listes_importees, verifier_listes
from essq.sirene.rapport import RapportQualification
from essq.sql import litteral

COLONNES_UL_REQUISES = {"siren": "siren", "cj": "categorieJuridiqueUniteLegale"}
COLONNES_UL_OPTIONNELLES = {
    "statut": "statutDiffusionUniteLegale",
    "flag": "economieSocialeSolidaireUniteLegale",
    "denomination": "denominationUniteLegale",
    "naf": "activitePrincipaleUniteLegale",
    "nomenclature": "nomenclatureActivitePrincipaleUniteLegale",
    "tranche": "trancheEffectifsUniteLegale",
    "annee": "anneeEffectifsUniteLegale",
    "employeur": "caractereEmployeurUniteLegale",
    "etat": "etatAdministratifUniteLegale",
    "creation": "dateCreationUniteLegale",
    "traitement": "dateDernierTraitementUniteLegale",
}
COLONNES_ET_REQUISES = {
    "siret": "siret",
    "commune": "codeCommuneEtablissement",
    "naf": "activitePrincipaleEtablissement",
    "tranche": "trancheEffectifsEtablissement",
    "etat": "etatAdministratifEtablissement",
}
COLONNES_ET_OPTIONNELLES = {
    "siren": "siren",
    "statut": "statutDiffusionEtablissement",
    "creation": "dateCreationEtablissement",
    "annee": "anneeEffectifsEtablissement",
    "siege": "etablissementSiege",
    "nomenclature": "nomenclatureActivitePrincipaleEtablissement",
    "employeur": "caractereEmployeurEtablissement",
    "x": "coordonneeLambertAbscisseEtablissement",
    "y": "coordonneeLambertOrdonneeEtablissement",
    "enseigne": "enseigne1Etablissement",
    "denomination_usuelle": "denominationUsuelleEtablissement",
    "pays": "codePaysEtrangerEtablissement",
    "traitement": "dateDernierTraitementEtablissement",
}
FORMATS_SORTIE = (".parquet", ".csv")
# which rows get the nearest QPV and its distance (inside a QPV, the distance is 0 for all)
DISTANCES = {
    "toutes": "toutes les lignes",
    "ess": "établissements de l'ESS seulement (les autres lignes hors QPV : distance absente)",
}
# Columns read with their Parquet type (TRY_CAST downstream accepts text and native values)
_NATIFS = frozenset({"creation", "annee", "traitement"})


class TerritoiresLike(Protocol):
    """What qualification needs from ``essq.territoires.Territoires`` (agreed interface)."""

    @property
    def millesimes_qpv(self) -> tuple[str, ...]: ...

    def localiser_lot(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        epsg: int | np.ndarray | None = None,
        codes_commune: np.ndarray | pa.Array | None = None,
        millesimes: Sequence[str] | None = None,
        avec_distance: bool | np.ndarray = True,
        dictionnaires: bool = False,
    ) -> pa.Table: ...

    def normaliser_communes_arrow(self, codes: pa.Array) -> pa.Array: ...

    def preparer_distances(self) -> None: ...

    def communes_avec_qpv(self, millesime: str) -> set[str]: ...


def _preparer_connexion(memoire: str, dossier_temp: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = {litteral(memoire)}")
    con.execute(f"SET temp_directory = {litteral(str(dossier_temp))}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    con.execute(
        r"""CREATE MACRO naf_norm(x) AS (
            CASE
              WHEN regexp_full_match(x, '\d{2}\.\d{2}[A-Z]') THEN x  -- INSEE's own writing
              WHEN regexp_full_match(upper(replace(x, ' ', '')), '\d{2}\.\d{2}[A-Z]')
                THEN upper(replace(x, ' ', ''))
              WHEN regexp_full_match(upper(replace(x, ' ', '')), '\d{4}[A-Z]')
                THEN substr(upper(replace(x, ' ', '')), 1, 2) || '.' || substr(upper(replace(x, ' ', '')), 3)
            END)"""
    )
    # reference tables loaded from Arrow in one statement each (executemany runs row by row)
    cj = nom.table_cj()
    naf = list(nom.table_naf().values())
    tranches = list(nom.table_tranches().values())
    references = {
        "cj_famille": pa.table({"code": list(cj.famille), "famille": list(cj.famille.values())}),
        "naf_map": pa.table(
            {
                "code": [n.code for n in naf],
                "section": [n.section for n in naf],
                "a38": [n.a38 for n in naf],
                "secteur": [n.secteur_ess for n in naf],
            }
        ),
        "tranches": pa.table(
            {
                "code": [t.code for t in tranches],
                "bas": pa.array([t.bas for t in tranches], pa.float64()),
                "central": pa.array([t.central for t in tranches], pa.float64()),
                "haut": pa.array([t.haut for t in tranches], pa.float64()),
                "employeur": pa.array([t.employeur for t in tranches], pa.bool_()),
            }
        ),
    }
    for nom_table, table in references.items():
        con.register(f"_{nom_table}", table)
        con.execute(f"CREATE TEMP TABLE {nom_table} AS SELECT * FROM _{nom_table}")
        con.unregister(f"_{nom_table}")
    for colonne in ("section", "a38", "secteur"):
        _en_enum(con, "naf_map", colonne)
    return con


def _charger_listes(
    con: duckdb.DuckDBPyConnection, home: Path | str | None, listes: Mapping[str, Path | str] | None
) -> dict[str, str]:
    """Load imported lists then explicit ones (explicit wins); type -> table name."""
    fichiers: dict[str, Path] = dict(listes_importees(home))  # home None: ESSQ_HOME or default
    fichiers.update(verifier_listes(listes))
    tables = {}
    for type_liste, chemin in fichiers.items():
        table = f"liste_{type_liste}"
        lire_liste(con, chemin, table)
        tables[type_liste] = table
    return tables


def _expr_qualification(
    *,
    cj: str,
    flag: str,
    listes: dict[str, str],
    exclure_fonds_dotation: bool,
    ul_trouvee: str = "TRUE",
) -> dict[str, str]:
    """SQL expressions of the ESS perimeter and its reasons, over columns ``famille_cj``,
    ``exclusion_naf`` (see _exclusion_naf), ``l_<liste>`` and the ``cj``/``flag`` given."""
    table = nom.table_cj()
    l_col = {t: f"l_{t}" for t in listes}

    def liste(t: str) -> str:
        return f"coalesce({l_col[t]}, FALSE)" if t in listes else "FALSE"

    fdd = f"({liste('fonds_dotation')} AND {cj} = '9300')" if exclure_fonds_dotation else "FALSE"
    cj_ess = f"(famille_cj IS NOT NULL AND exclusion_naf IS NULL AND NOT {fdd})"
    insee = f"({flag} = 'O')"
    ess = f"({cj_ess} OR coalesce({insee}, FALSE) OR {liste('ess_france')} OR {liste('esus')})"
    sources = (
        "NULLIF(concat_ws(';', "
        f"CASE WHEN {cj_ess} THEN 'cj' END, CASE WHEN {insee} THEN 'insee' END, "
        f"CASE WHEN {liste('ess_france')} THEN 'ess_france' END, "
        f"CASE WHEN {liste('esus')} THEN 'esus' END), '')"
    )
    raisons = [
        f"CASE WHEN NOT {ul_trouvee} THEN 'unité légale absente du fichier des unités légales' "
        f"WHEN {cj} IS NULL THEN 'catégorie juridique inconnue' "
        f"WHEN famille_cj IS NULL THEN 'catégorie juridique ' || {cj} || ' hors familles statutaires' "
        f"WHEN {fdd} THEN 'catégorie juridique 9300 mais fonds de dotation (liste importée), exclu par choix' "
        "WHEN exclusion_naf IS NOT NULL THEN 'catégorie juridique ' || "
        f"{cj} || ' (' || famille_cj || ') mais activité hors champ ' || exclusion_naf "
        f"ELSE 'catégorie juridique ' || {cj} || ' : famille ' || famille_cj END",
        f"CASE WHEN {flag} = 'O' THEN 'indicateur ESS de l''Insee = O' "
        f"WHEN {flag} = 'N' THEN 'indicateur ESS de l''Insee = N' END",
    ]
    libelles = {
        "ess_france": "sur la liste ESS France",
        "esus": "agrément ESUS (liste importée)",
        "siae": "sur la liste SIAE/EA/ESAT (ne suffit pas à classer ESS)",
        "fonds_dotation": "sur la liste des fonds de dotation",
    }
    for t in listes:
        raisons.append(f"CASE WHEN {liste(t)} THEN {litteral(libelles[t])} END")
    raison = f"(CASE WHEN {ess} THEN 'ESS : ' ELSE 'hors ESS : ' END || concat_ws(' ; ', {', '.join(raisons)}))"
    famille = (
        f"(CASE WHEN {ess} THEN coalesce(famille_cj, {litteral(table.famille_hors_statut)}) "
        "ELSE 'hors_ess' END)"
    )
    return {
        "ess": ess,
        "sources": sources,
        "raison": raison,
        "famille": famille,
        "insee": insee,
        "conflit": f"coalesce({cj_ess} AND {flag} = 'N', FALSE)",
    }


def _prefixes(colonne: str, prefixes: Sequence[str]) -> str:
    if not prefixes:
        return "FALSE"
    return "(" + " OR ".join(f"starts_with({colonne}, {litteral(p)})" for p in prefixes) + ")"


def _rejeter(
    con: duckdb.DuckDBPyConnection,
    rapport: RapportQualification,
    fichier: str,
    raison: str,
    nombre: int,
    requete: str,
) -> None:
    """Report ``nombre`` rows rejected for ``raison``, with examples from ``requete``'s first column."""
    if nombre:
        exemples = con.execute(f"{requete} LIMIT 5").fetchall()
        rapport.rejeter(fichier, raison, int(nombre), [r[0] for r in exemples])


def _vue_dedoublonnee(
    con: duckdb.DuckDBPyConnection,
    rapport: RapportQualification,
    fichier: str,
    nom: str,
    cle: str,
    valide: str,
    source: str | None = None,
    cible: str | None = None,
) -> None:
    """View ``cible`` (default ``nom``) of the ``valide`` rows of ``source`` (default
    ``{nom}_src``), one per ``cle`` (the most recently processed is kept)."""
    source = source or f"{nom}_src"
    cible = cible or nom
    con.execute(
        f"""CREATE TEMP TABLE {nom}_doublons AS
        SELECT {cle} FROM {source} WHERE {valide} GROUP BY {cle} HAVING count(*) > 1"""
    )
    n_dbl = con.execute(
        f"SELECT count(*) - count(DISTINCT {cle}) FROM {source} "
        f"WHERE {cle} IN (SELECT {cle} FROM {nom}_doublons)"
    ).fetchone()[0]  # type: ignore[index]
    if not n_dbl:
        con.execute(f"CREATE TEMP VIEW {cible} AS SELECT * FROM {source} WHERE {valide}")
        return
    _rejeter(
        con,
        rapport,
        fichier,
        f"{cle} en double (la ligne la plus récemment traitée est gardée)",
        n_dbl,
        f"SELECT {cle} FROM {nom}_doublons",
    )
    con.execute(
        f"""CREATE TEMP VIEW {cible} AS
        SELECT * FROM {source} WHERE {valide} AND {cle} NOT IN (SELECT {cle} FROM {nom}_doublons)
        UNION ALL
        SELECT * FROM {source} WHERE {cle} IN (SELECT {cle} FROM {nom}_doublons)
        QUALIFY row_number() OVER (PARTITION BY {cle} ORDER BY traitement_{nom} DESC NULLS LAST) = 1"""
    )


def _vue_unites_legales(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    rapport: RapportQualification,
    dedoublonner: bool,
    reconstitution: historique.Reconstitution | None = None,
) -> None:
    """View ``ul`` of valid legal units; with ``dedoublonner``, one row per SIREN (slow path)."""
    col = resoudre_colonnes(
        source, COLONNES_UL_REQUISES, COLONNES_UL_OPTIONNELLES, quoi="unités légales"
    )
    if col["flag"] is None:
        rapport.avertissements.append(
            "Colonne economieSocialeSolidaireUniteLegale absente : les sociétés commerciales de "
            "l'ESS ne peuvent être repérées que par les listes importées."
        )
    e = {
        k: source.expression_native(v) if k in _NATIFS else source.expression(v)
        for k, v in col.items()
    }
    # rows as read; with a reconstitution, read -> deduplicated (ul_courant) -> as at the date
    brut = "ul_src" if reconstitution is None else "ul_brut"
    con.execute(
        f"""CREATE TEMP VIEW {brut} AS SELECT
            {e["siren"]} AS siren, {e["cj"]} AS cj, upper({e["flag"]}) AS flag_insee,
            upper({e["statut"]}) AS statut_ul, {e["denomination"]} AS denomination_ul,
            CASE WHEN {e["nomenclature"]} IS NULL OR {e["nomenclature"]} = 'NAFRev2'
                 THEN naf_norm({e["naf"]}) END AS naf_ul,
            {e["tranche"]} AS tranche_ul, {e["annee"]} AS annee_ul,
            upper({e["employeur"]}) AS employeur_ul, upper({e["etat"]}) AS etat_ul,
            {e["creation"]} AS creation_ul, {e["traitement"]} AS traitement_ul
        FROM {source.sql_table()}"""
    )
    fichier = source.chemin.name
    n_lignes, n_invalides = con.execute(
        r"SELECT count(*), count(*) FILTER (WHERE siren IS NULL OR NOT regexp_full_match(siren, '\d{9}')) "
        f"FROM {brut}"
    ).fetchone()  # type: ignore[misc]
    rapport.lignes_unites_legales = int(n_lignes)
    _rejeter(
        con,
        rapport,
        fichier,
        "siren invalide (9 chiffres attendus)",
        n_invalides,
        f"SELECT siren FROM {brut} "
        r"WHERE siren IS NULL OR NOT regexp_full_match(siren, '\d{9}')",
    )
    valide = r"regexp_full_match(siren, '\d{9}')"
    cible = "ul" if reconstitution is None else "ul_courant"
    if dedoublonner:
        _vue_dedoublonnee(con, rapport, fichier, "ul", "siren", valide, brut, cible)
    else:
        con.execute(f"CREATE TEMP VIEW {cible} AS SELECT * FROM {brut} WHERE {valide}")
    if reconstitution is not None:
        historique.appliquer(con, reconstitution, "ul", rapport)  # ul_courant -> ul_src
        con.execute("CREATE TEMP VIEW ul AS SELECT * FROM ul_src")


def _jointures_listes(listes: dict[str, str], cle: str) -> tuple[str, str]:
    colonnes = "".join(f", ({t}.siren IS NOT NULL) AS l_{t}" for t in listes)
    jointures = "".join(
        f" LEFT JOIN {table} {t} ON {t}.siren = {cle}" for t, table in listes.items()
    )
    return colonnes, jointures


def _colonnes_listes_sortie(listes: dict[str, str]) -> str:
    return "".join(
        f", {'q.l_' + t if t in listes else 'CAST(NULL AS BOOLEAN)'} AS liste_{t}"
        for t in TYPES_LISTE
    )


def _exclusion_naf(naf: str, exclusions_naf: bool) -> str:
    """SQL expression of the NAF exclusion (``'prefix : comment'``) of ``naf``, or NULL."""
    table = nom.table_cj()
    if not (exclusions_naf and table.exclusions_naf):
        return "CAST(NULL AS VARCHAR)"
    cas = " ".join(
        f"WHEN starts_with({naf}, {litteral(p)}) THEN {litteral(p + ' : ' + c)}"
        for p, c in table.exclusions_naf
    )
    return f"(CASE {cas} END)"


COLONNES_COMBINAISON = (
    "famille_ess",
    "famille_statutaire",
    "ess",
    "sources_ess",
    "raison_ess",
    "secteur_public",
    "personne_physique",
    "conflit_cj_insee",
)


def _creer_combinaisons(
    con: duckdb.DuckDBPyConnection,
    listes: dict[str, str],
    exclusions_naf: bool,
    exclure_fdd: bool,
) -> dict[str, str]:
    """Table ``qualif_combo``: the ESS verdict of every combination of what it depends on.

    The verdict of a row depends only on (legal unit found, catégorie juridique, INSEE flag,
    NAF exclusion, presence on each imported list): a few thousand combinations against
    millions of rows. The catégories juridiques are those of ``ul_src``, the legal units
    before the SIREN check (a superset of ``ul``'s: checking every SIREN again only to list
    them cost a second at the national scale). The rules (_expr_qualification) run once per
    combination here; each row then gets its verdict by a join (``_jointure_combinaisons``).
    Returns the SQL type of the keys ``cj``, ``flag`` and ``excl`` (ENUM of their values).
    """
    table = nom.table_cj()
    exclusions = ["CAST(NULL AS VARCHAR)"]
    if exclusions_naf:
        exclusions += [litteral(p + " : " + c) for p, c in table.exclusions_naf]
    q = _expr_qualification(
        cj="k_cj",
        flag="k_flag",
        listes=listes,
        exclure_fonds_dotation=exclure_fdd,
        ul_trouvee="k_trouvee",
    )
    valeurs_listes = "".join(f" CROSS JOIN (VALUES (FALSE), (TRUE)) lt_{t}(l_{t})" for t in listes)
    colonnes_listes = "".join(f", l_{t}" for t in listes)
    pp = _prefixes("k_cj", table.prefixes_personnes_physiques)
    con.execute(
        f"""CREATE TEMP TABLE qualif_combo AS
        WITH base AS (
            SELECT k_trouvee, k_cj, k_flag, exclusion_naf, f.famille AS famille_cj {colonnes_listes}
            FROM (SELECT DISTINCT cj AS k_cj FROM ul_src UNION SELECT NULL) c
            CROSS JOIN (VALUES ('O'), ('N'), (NULL)) fl(k_flag)
            CROSS JOIN (VALUES {", ".join(f"({e})" for e in exclusions)}) ex(exclusion_naf)
            CROSS JOIN (VALUES (TRUE), (FALSE)) tr(k_trouvee)
            {valeurs_listes}
            LEFT JOIN cj_famille f ON f.code = c.k_cj
        )
        SELECT k_trouvee, k_cj, k_flag, exclusion_naf AS k_excl {colonnes_listes},
            {q["famille"]} AS famille_ess,
            famille_cj AS famille_statutaire,
            {q["ess"]} AS ess,
            {q["sources"]} AS sources_ess,
            {q["raison"]} AS raison_ess,
            coalesce({_prefixes("k_cj", table.prefixes_secteur_public)}, FALSE) AS secteur_public,
            coalesce({pp}, FALSE) AS personne_physique,
            {q["conflit"]} AS conflit_cj_insee
        FROM base"""
    )
    # Text verdicts as ENUM: rows carry a small code instead of a copy of the text, and DuckDB
    # hands them to Arrow (then Parquet) as dictionary-encoded columns.
    for colonne in ("famille_ess", "famille_statutaire", "sources_ess", "raison_ess"):
        _en_enum(con, "qualif_combo", colonne)
    # The keys too: the establishments' query carries them through its largest join as
    # one-byte codes (see _sql_etablissements); VARCHAR when a key has no value at all.
    return {
        cle: _en_enum(con, "qualif_combo", f"k_{cle}") or "VARCHAR"
        for cle in ("cj", "flag", "excl")
    }


def _en_enum(con: duckdb.DuckDBPyConnection, table: str, colonne: str) -> str | None:
    """Turn a text column of a small reference table into an ENUM of its distinct values;
    the ENUM's name, None when the column has no value."""
    valeurs = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT {colonne} FROM {table} WHERE {colonne} IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    if valeurs:
        con.execute(
            f"CREATE TYPE enum_{table}_{colonne} AS ENUM ({', '.join(map(litteral, valeurs))})"
        )
        con.execute(f"ALTER TABLE {table} ALTER {colonne} TYPE enum_{table}_{colonne}")
        return f"enum_{table}_{colonne}"
    return None


def _jointure_combinaisons(listes: dict[str, str], trouvee: str) -> str:
    """Join of ``q`` (cj, flag_insee, exclusion_naf, l_*) to its row of ``qualif_combo``."""
    conditions = [
        f"k.k_trouvee = {trouvee}",
        "k.k_cj IS NOT DISTINCT FROM q.cj",
        "k.k_flag IS NOT DISTINCT FROM (CASE WHEN q.flag_insee IN ('O', 'N') THEN q.flag_insee END)",
        "k.k_excl IS NOT DISTINCT FROM q.exclusion_naf",
        *(f"k.l_{t} = coalesce(q.l_{t}, FALSE)" for t in listes),
    ]
    return "LEFT JOIN qualif_combo k ON " + " AND ".join(conditions)


def _sql_colonnes_combinaison(listes: dict[str, str]) -> str:
    """The ESS qualification columns, the same in both outputs, from ``qualif_combo``."""
    return f"""k.famille_ess, k.famille_statutaire, k.ess, k.sources_ess, k.raison_ess,
        CASE WHEN flag_insee IN ('O', 'N') THEN flag_insee END AS indicateur_ess_insee
        {_colonnes_listes_sortie(listes)}"""


def _sql_nomenclatures(suffixe: str) -> tuple[str, str]:
    """Columns and joins for the NAF sector and the staff bracket of ``naf_<suffixe>`` and
    ``tranche_<suffixe>`` (sous-classe first, then its division)."""
    colonnes = f"""naf_{suffixe} AS naf,
        coalesce(ns.section, nd.section) AS section_naf,
        coalesce(ns.a38, nd.a38) AS a38,
        coalesce(ns.secteur, nd.secteur) AS secteur_ess,
        tranche_{suffixe} AS tranche_effectif,
        TRY_CAST(annee_{suffixe} AS INTEGER) AS annee_effectif,
        t.bas AS effectif_bas, t.central AS effectif_central, t.haut AS effectif_haut"""
    jointures = f"""LEFT JOIN naf_map ns ON ns.code = q.naf_{suffixe}
    LEFT JOIN naf_map nd ON nd.code = substr(q.naf_{suffixe}, 1, 2)
    LEFT JOIN tranches t ON t.code = q.tranche_{suffixe}"""
    return colonnes, jointures


def _sql_unites_legales(listes: dict[str, str], exclusions_naf: bool) -> str:
    """One row per legal unit; the ESS verdict comes from ``qualif_combo``."""
    cols_l, joins_l = _jointures_listes(listes, "u.siren")
    colonnes_nomenclatures, jointures_nomenclatures = _sql_nomenclatures("ul")
    return f"""
    WITH q AS (
        SELECT u.*, {_exclusion_naf("u.naf_ul", exclusions_naf)} AS exclusion_naf {cols_l}
        FROM ul u {joins_l}
    )
    SELECT
        q.siren,
        q.cj AS categorieJuridiqueUniteLegale,
        {_sql_colonnes_combinaison(listes)},
        k.secteur_public,
        k.personne_physique,
        CASE WHEN statut_ul IN ('P', 'N') THEN 'P' ELSE 'O' END AS statut_diffusion,
        CASE WHEN k.personne_physique OR statut_ul IN ('P', 'N') THEN NULL
             ELSE denomination_ul END AS denomination,
        etat_ul AS etat,
        TRY_CAST(creation_ul AS DATE) AS date_creation,
        {colonnes_nomenclatures},
        CASE employeur_ul WHEN 'O' THEN TRUE WHEN 'N' THEN FALSE END AS employeur,
        t.employeur AS employeur_tranche,
        k.conflit_cj_insee,
        (tranche_ul IS NOT NULL AND t.code IS NULL) AS tranche_inconnue
    FROM q
    {_jointure_combinaisons(listes, "TRUE")}
    {jointures_nomenclatures}
    """


def _vue_etablissements(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    rapport: RapportQualification,
    dedoublonner: bool,
    reconstitution: historique.Reconstitution | None = None,
) -> dict[str, str | None]:
    """View ``et``. Fast path: every row, rejects flagged by ``motif_rejet`` in the main query.

    Slow path (``dedoublonner``): a first pass counts invalid rows and duplicated SIRET and
    keeps one row per SIRET.
    """
    col = resoudre_colonnes(
        source, COLONNES_ET_REQUISES, COLONNES_ET_OPTIONNELLES, quoi="établissements"
    )
    if col["x"] is None or col["y"] is None:
        rapport.avertissements.append(
            "Colonnes de coordonnées Lambert absentes (stock antérieur à 2023 ?) : les "
            "établissements sont placés par commune seulement."
        )
    if col["employeur"] is None:
        rapport.avertissements.append(
            "Colonne caractereEmployeurEtablissement absente : le caractère employeur est déduit "
            "de la tranche d'effectif."
        )
    e = {
        k: source.expression_native(v) if k in _NATIFS else source.expression(v)
        for k, v in col.items()
    }
    siren = f"coalesce({e['siren']}, substr({e['siret']}, 1, 9))"
    brut = "et_src" if reconstitution is None else "et_brut"
    con.execute(
        f"""CREATE TEMP VIEW {brut} AS SELECT
            {e["siret"]} AS siret, {siren} AS siren_et, {e["siren"]} AS siren_declare,
            upper({e["statut"]}) AS statut_et, {e["creation"]} AS creation_et,
            {e["tranche"]} AS tranche_et, {e["annee"]} AS annee_et, lower({e["siege"]}) AS siege_et,
            CASE WHEN {e["nomenclature"]} IS NULL OR {e["nomenclature"]} = 'NAFRev2'
                 THEN naf_norm({e["naf"]}) END AS naf_et,
            upper({e["employeur"]}) AS employeur_et, upper({e["etat"]}) AS etat_et,
            upper({e["commune"]}) AS commune_et, {e["x"]} AS x_et, {e["y"]} AS y_et,
            coalesce({e["enseigne"]}, {e["denomination_usuelle"]}) AS enseigne_et,
            {e["pays"]} AS pays_et, {e["traitement"]} AS traitement_et
        FROM {source.sql_table()}"""
    )
    if not dedoublonner and reconstitution is None:
        con.execute("CREATE TEMP VIEW et AS SELECT * FROM et_src")
        return col
    fichier = source.chemin.name
    n_lignes, n_siret, n_siren = con.execute(
        r"""SELECT count(*),
            count(*) FILTER (WHERE siret IS NULL OR NOT regexp_full_match(siret, '\d{14}')),
            count(*) FILTER (WHERE regexp_full_match(siret, '\d{14}') AND siren_et <> substr(siret, 1, 9))
        FROM """
        + brut
    ).fetchone()  # type: ignore[misc]
    rapport.lignes_etablissements = int(n_lignes)
    _rejeter(
        con,
        rapport,
        fichier,
        "siret invalide (14 chiffres attendus)",
        n_siret,
        f"SELECT siret FROM {brut} "
        r"WHERE siret IS NULL OR NOT regexp_full_match(siret, '\d{14}')",
    )
    _rejeter(
        con,
        rapport,
        fichier,
        "siren incohérent avec les 9 premiers chiffres du siret",
        n_siren,
        f"SELECT siret FROM {brut} "
        r"WHERE regexp_full_match(siret, '\d{14}') AND siren_et <> substr(siret, 1, 9)",
    )
    valide = r"(regexp_full_match(siret, '\d{14}') AND siren_et = substr(siret, 1, 9))"
    cible = "et" if reconstitution is None else "et_courant"
    _vue_dedoublonnee(con, rapport, fichier, "et", "siret", valide, brut, cible)
    if reconstitution is not None:
        historique.appliquer(con, reconstitution, "et", rapport)  # et_courant -> et_src
        con.execute("CREATE TEMP VIEW et AS SELECT * FROM et_src")
    return col


def _sql_etablissements(
    listes: dict[str, str],
    exclusions_naf: bool,
    employeur_present: bool,
    types: Mapping[str, str] | None = None,
) -> str:
    """One row per establishment, joined to its legal unit; the ESS verdict comes from
    ``qualif_combo`` (the NAF exclusion looks at the legal unit's NAF, else the establishment's).
    ``types``: SQL types of the combination keys, from :func:`_creer_combinaisons`."""
    t = {"cj": "VARCHAR", "flag": "VARCHAR", "excl": "VARCHAR", **(types or {})}
    cols_l, joins_l = _jointures_listes(listes, "e.siren_et")
    colonnes_nomenclatures, jointures_nomenclatures = _sql_nomenclatures("et")
    masque = "(statut_et IN ('P', 'N') OR ul_masquee OR k.personne_physique OR NOT ul_trouvee)"
    employeur = (
        "CASE employeur_et WHEN 'O' THEN TRUE WHEN 'N' THEN FALSE END"
        if employeur_present
        else "t.employeur"
    )
    coord = "coalesce(TRY_CAST({c} AS DOUBLE), TRY_CAST(replace({c}, ',', '.') AS DOUBLE))"
    exclusion_ul = _exclusion_naf("naf_ul", exclusions_naf)
    exclusion_et = _exclusion_naf("e.naf_et", exclusions_naf)
    # The legal units are the join's hash table (tens of millions of rows at the national
    # scale). It carries small codes instead of texts (integer key, booleans, ENUM of the
    # catégories juridiques, flags and NAF exclusions met), so that it stays in memory:
    # spilling it to disk doubled the national join's time. Both keys are 9 digits for every
    # row kept (the others are rejected by motif_rejet), so the match is the text match.
    # The NAF exclusion is the legal unit's NAF's, else the establishment's.
    return f"""
    WITH u AS (
        SELECT CAST(siren AS INTEGER) AS cle, TRUE AS trouvee,
               CAST(cj AS {t["cj"]}) AS cj,
               CAST(CASE WHEN flag_insee IN ('O', 'N') THEN flag_insee END AS {t["flag"]})
                 AS flag_insee,
               statut_ul IN ('P', 'N') AS masquee, denomination_ul,
               naf_ul IS NOT NULL AS a_naf, CAST({exclusion_ul} AS {t["excl"]}) AS exclusion_ul
        FROM ul
    ), q AS (
        SELECT e.*, coalesce(u.trouvee, FALSE) AS ul_trouvee, u.cj, u.flag_insee,
               coalesce(u.masquee, FALSE) AS ul_masquee, u.denomination_ul,
               CASE WHEN u.a_naf THEN u.exclusion_ul
                    ELSE CAST({exclusion_et} AS {t["excl"]}) END AS exclusion_naf {cols_l}
        FROM et e
        LEFT JOIN u ON u.cle = TRY_CAST(e.siren_et AS INTEGER) {joins_l}
    )
    SELECT
        CASE WHEN siret IS NULL OR NOT regexp_full_match(siret, '[0-9]{{14}}')
               THEN 'siret invalide (14 chiffres attendus)'
             WHEN siren_et <> substr(siret, 1, 9)
               THEN 'siren incohérent avec les 9 premiers chiffres du siret' END AS motif_rejet,
        siret, siren_et AS siren, substr(siret, 10, 5) AS nic,
        etat_et AS etat,
        TRY_CAST(creation_et AS DATE) AS date_creation,
        CASE WHEN list_contains(['true', '1', 'o', 'oui', 't'], siege_et) THEN TRUE
             WHEN list_contains(['false', '0', 'n', 'non', 'f'], siege_et) THEN FALSE
        END AS etablissement_siege,
        CASE WHEN statut_et IN ('P', 'N') THEN 'P' ELSE 'O' END AS statut_diffusion,
        CASE WHEN statut_et IN ('P', 'N') OR ul_masquee OR k.personne_physique
             THEN NULL ELSE denomination_ul END AS denomination,
        CASE WHEN {masque} THEN NULL ELSE enseigne_et END AS enseigne,
        cj AS categorie_juridique,
        {_sql_colonnes_combinaison(listes)},
        k.secteur_public,
        {colonnes_nomenclatures},
        {employeur} AS employeur,
        t.employeur AS employeur_tranche,
        commune_et AS commune_origine,
        CASE WHEN statut_et IN ('P', 'N') THEN NULL ELSE {coord.format(c="x_et")} END AS x,
        CASE WHEN statut_et IN ('P', 'N') THEN NULL ELSE {coord.format(c="y_et")} END AS y,
        (pays_et IS NOT NULL AND commune_et IS NULL) AS etranger,
        ul_trouvee AS unite_legale_trouvee,
        k.conflit_cj_insee,
        (tranche_et IS NOT NULL AND t.code IS NULL) AS tranche_inconnue
    FROM q
    {_jointure_combinaisons(listes, "q.ul_trouvee")}
    {jointures_nomenclatures}
    """


def _departement(communes: pa.Array) -> pa.Array:
    """Département of a commune code: 3 characters overseas (97x, 98x), else 2 (2A, 2B…)."""
    outre_mer = pc.or_(pc.starts_with(communes, "97"), pc.starts_with(communes, "98"))
    return pc.if_else(
        outre_mer, pc.utf8_slice_codeunits(communes, 0, 3), pc.utf8_slice_codeunits(communes, 0, 2)
    )


def _par_valeur(codes: pa.DictionaryArray, valeurs: pa.Array) -> pa.DictionaryArray:
    """The dictionary array giving ``valeurs[k]`` where ``codes`` holds its k-th value:
    a function computed once per distinct value, re-encoded so that two values mapped to the
    same result share one dictionary entry."""
    cibles = pc.dictionary_encode(valeurs)
    return pa.DictionaryArray.from_arrays(pc.take(cibles.indices, codes.indices), cibles.dictionary)


def _normaliser(territoires: TerritoiresLike, codes: pa.DictionaryArray) -> pa.DictionaryArray:
    """Current commune of each code (dictionary arrays), asking Territoires once per
    distinct code."""
    uniques = codes.dictionary
    if len(uniques) == 0:
        return _par_valeur(codes, pa.array([], pa.string()))
    return _par_valeur(codes, territoires.normaliser_communes_arrow(uniques))


def _placer(
    lot: pa.RecordBatch,
    territoires: TerritoiresLike,
    millesimes: Sequence[str],
    communes_qpv: pa.Array,
    distances: str = "toutes",
) -> pa.Table:
    """Add code_commune, departement, lon/lat, statut_position and the QPV columns to a batch."""
    table = pa.Table.from_batches([lot])
    # codes, départements and statuses stay dictionary arrays: computed once per distinct
    # value, and written to Parquet as they are (the original code too)
    origine = pc.dictionary_encode(table.column("commune_origine").combine_chunks())
    table = table.set_column(
        table.schema.get_field_index("commune_origine"), "commune_origine", origine
    )
    communes = _normaliser(territoires, origine)
    x = table.column("x").to_numpy(zero_copy_only=False).astype("float64")
    y = table.column("y").to_numpy(zero_copy_only=False).astype("float64")
    absent = np.isnan(x) | np.isnan(y)
    x[absent] = np.nan
    y[absent] = np.nan
    loc = territoires.localiser_lot(
        x,
        y,
        epsg=None,
        codes_commune=communes,  # Arrow: projections are resolved once per distinct code
        millesimes=list(millesimes),
        avec_distance=(
            pc.fill_null(table.column("ess"), False).to_numpy(zero_copy_only=False)
            if distances == "ess"
            else True
        ),
        dictionnaires=True,
    )
    statut_coord = loc.column("statut_coordonnees").combine_chunks()
    if not pa.types.is_dictionary(statut_coord.type):  # a TerritoiresLike giving strings
        statut_coord = pc.dictionary_encode(statut_coord)
    ok = pc.fill_null(pc.take(pc.equal(statut_coord.dictionary, "ok"), statut_coord.indices), False)
    # position: 0 coordonnees, 1 commune_sans_qpv, 2 inconnue
    sans_qpv = pc.fill_null(
        pc.take(pc.invert(pc.is_in(communes.dictionary, value_set=communes_qpv)), communes.indices),
        False,
    )
    position = pa.DictionaryArray.from_arrays(
        pc.if_else(ok, 0, pc.if_else(sans_qpv, 1, 2)).cast(pa.int8()),
        pa.array(["coordonnees", "commune_sans_qpv", "inconnue"]),
    )
    table = table.drop_columns(["x", "y"])
    i = table.schema.get_field_index("commune_origine")
    table = table.add_column(i, "code_commune", communes)
    table = table.add_column(
        i + 2, "departement", _par_valeur(communes, _departement(communes.dictionary))
    )
    vide = pa.nulls(len(table), pa.float64())
    table = table.append_column("lon", pc.if_else(ok, loc.column("lon").cast(pa.float64()), vide))
    table = table.append_column("lat", pc.if_else(ok, loc.column("lat").cast(pa.float64()), vide))
    table = table.append_column("statut_coordonnees", statut_coord)
    table = table.append_column("statut_position", position)
    for m in millesimes:
        qpv, distance, proche = _colonnes_qpv(m)
        table = table.append_column(qpv, loc.column(qpv))
        table = table.append_column(distance, loc.column(distance).cast(pa.float64()))
        table = table.append_column(proche, loc.column(proche))
    return table


# Output columns whose values are (nearly) all distinct: written without a dictionary.
SANS_DICTIONNAIRE = frozenset({"siret", "siren", "nic", "denomination", "enseigne", "lon", "lat"})


class _Ecrivain:
    """Batch writer to Parquet or CSV, one fixed schema, writing in a background thread.

    Encoding and compressing a batch (pyarrow releases the GIL) then overlaps with the placing
    of the next one; at most one batch waits (bounded memory). Use as a context manager: on an
    error the thread is stopped and the file left to the caller's atomic write to discard.
    """

    def __init__(self, chemin: Path, format_sortie: str, compression: str = "zstd") -> None:
        self.chemin = chemin
        self.format = format_sortie
        self.compression = compression
        self.ecrivain: Any = None
        self.schema: pa.Schema | None = None
        self._file: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._fil: threading.Thread | None = None
        self._erreur: BaseException | None = None

    def __enter__(self) -> _Ecrivain:
        return self

    def __exit__(self, *exc: object) -> None:
        self._arreter()
        if self.ecrivain is not None:
            with contextlib.suppress(Exception):
                self.ecrivain.close()
            self.ecrivain = None

    def _ecrire_maintenant(self, table: pa.Table) -> None:
        if self.ecrivain is None:
            self.schema = table.schema
            if self.format == ".parquet":
                # no column statistics: nothing filters this file by value ranges, and
                # computing them costs about a fifth of the writing time
                # dictionary encoding only where values repeat: hashing every identifier,
                # name or coordinate costs a fifth of the writing and gains no space
                repetees = [
                    c
                    for c in self.schema.names
                    if c not in SANS_DICTIONNAIRE and not c.startswith("distance_")
                ]
                self.ecrivain = pq.ParquetWriter(
                    self.chemin,
                    self.schema,
                    compression=self.compression,
                    write_statistics=False,
                    use_dictionary=repetees,
                )
            else:  # CSV: dictionary-encoded columns written as their text
                self.schema = pa.schema(
                    f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
                    for f in table.schema
                )
                self.ecrivain = pacsv.CSVWriter(self.chemin, self.schema)
                table = table.cast(self.schema)
        else:
            table = table.cast(self.schema)
        self.ecrivain.write_table(table)

    def _boucle(self) -> None:
        while (table := self._file.get()) is not _FIN:
            if self._erreur is None:
                try:
                    self._ecrire_maintenant(table)
                except BaseException as exc:  # handed over to the caller's thread
                    self._erreur = exc

    def _verifier(self) -> None:
        if self._erreur is not None:
            raise self._erreur

    def ecrire(self, table: pa.Table) -> None:
        self._verifier()
        if self._fil is None:
            self._fil = threading.Thread(target=self._boucle, name="essq-sirene-ecriture")
            self._fil.start()
        self._file.put(table)

    def _arreter(self) -> None:
        if self._fil is not None:
            self._file.put(_FIN)
            self._fil.join()
            self._fil = None

    def fermer(self, schema_vide: pa.Schema | None = None) -> None:
        self._arreter()
        self._verifier()
        if self.ecrivain is None and schema_vide is not None:
            self._ecrire_maintenant(schema_vide.empty_table())
        if self.ecrivain is not None:
            self.ecrivain.close()
            self.ecrivain = None


def _compter(rapport: RapportQualification, table: pa.Table, mode: str) -> None:
    def vc(colonne: str) -> dict[str, int]:
        res = pc.value_counts(table.column(colonne))
        return {
            str(v["values"]): int(v["counts"]) for v in res.to_pylist() if v["values"] is not None
        }

    def vrais(colonne: str) -> int:
        return int(
            pc.sum(pc.cast(pc.fill_null(table.column(colonne), False), pa.int64())).as_py() or 0
        )

    rapport.lignes_ecrites += table.num_rows
    rapport.par_famille.update(vc("famille_ess"))
    rapport.ess += vrais("ess")
    rapport.secteur_public += vrais("secteur_public")
    rapport.conflits_cj_insee += vrais("conflit_cj_insee")
    rapport.tranches_inconnues += vrais("tranche_inconnue")
    rapport.par_secteur_ess.update(vc("secteur_ess"))
    rapport.naf_non_classees += table.column("secteur_ess").null_count
    for sources, n in vc("sources_ess").items():
        for s in sources.split(";"):
            rapport.par_source_ess[s] += n
    if mode == "etablissements":
        rapport.par_statut_position.update(vc("statut_position"))
        rapport.par_statut_coordonnees.update(vc("statut_coordonnees"))
        rapport.unites_legales_manquantes += table.num_rows - vrais("unite_legale_trouvee")
        rapport.etrangers += vrais("etranger")
        rapport.employeurs_caractere += vrais("employeur")
        rapport.employeurs_tranche += vrais("employeur_tranche")
        rapport.actifs += int(
            pc.sum(pc.cast(pc.equal(table.column("etat"), "A"), pa.int64())).as_py() or 0
        )
        rapport.non_diffusibles += int(
            pc.sum(pc.cast(pc.equal(table.column("statut_diffusion"), "P"), pa.int64())).as_py()
            or 0
        )


COLONNES_INTERNES = ("conflit_cj_insee", "tranche_inconnue", "etranger", "motif_rejet")


class _DoublonsDetectes(Exception):
    """Duplicated SIRET/SIREN met on the fast path: qualify again with deduplication."""


def _filtrer_rejets(
    lot: pa.RecordBatch, rapport: RapportQualification, fichier: str
) -> pa.RecordBatch:
    """Count the rows flagged by ``motif_rejet`` (reason, examples) and drop them."""
    motif = lot.column("motif_rejet")
    if motif.null_count == len(motif):
        return lot
    rejets = pa.Table.from_batches([lot]).filter(pc.is_valid(motif))
    for compte in pc.value_counts(rejets.column("motif_rejet")).to_pylist():
        raison = compte["values"]
        exemples = rejets.filter(pc.equal(rejets.column("motif_rejet"), raison)).column("siret")
        rapport.rejeter(fichier, raison, int(compte["counts"]), exemples.slice(0, 5).to_pylist())
    return lot.filter(pc.is_null(motif))


def _erreur_duckdb(
    exc: duckdb.Error, fichiers: Sequence[Path], memoire: str = "3GB"
) -> ErreurUtilisateur:
    premiere = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, duckdb.OutOfMemoryException):
        return ErreurUtilisateur(
            f"Mémoire insuffisante pour la qualification (limite de DuckDB : {memoire}). "
            "Le fichier de sortie n'a pas été écrit.",
            champ="--memoire",
            correctif="Relancer avec une limite plus haute (par exemple --memoire 6GB) si la "
            "machine le permet, et vérifier l'espace disque libre à côté du fichier de sortie, "
            "où DuckDB déborde.",
        )
    if "unicode" in str(exc).lower() or "utf-8" in str(exc).lower():
        return ErreurUtilisateur(
            "Caractères non UTF-8 au milieu du fichier (début lu en UTF-8)",
            fichier=", ".join(str(f) for f in fichiers),
            correctif="Convertir le fichier en UTF-8 (par exemple : iconv -f LATIN1 -t UTF-8) "
            "ou télécharger à nouveau le fichier de l'Insee.",
        )
    ligne = None
    m = re.search(r"[Ll]ine:? (\d+)", str(exc))
    if m:
        ligne = int(m.group(1))
    return ErreurUtilisateur(
        f"Fichier SIRENE illisible : {premiere}",
        fichier=", ".join(str(f) for f in fichiers),
        ligne=ligne,
        correctif="Vérifier que le fichier est un stock SIRENE complet (CSV séparé par des "
        "virgules avec en-tête, ou Parquet) ; le télécharger à nouveau s'il est tronqué.",
    )


class _EnFond:
    """A value computed in a background thread; ``obtenir`` waits for it (or raises its error).

    Loading the territories (QPV indexes, commune parents) then overlaps with DuckDB's first
    steps (reading the legal units and building its join table).
    """

    def __init__(self, fonction: Any, *args: Any) -> None:
        self._valeur: Any = None
        self._erreur: BaseException | None = None

        def lancer() -> None:
            try:
                self._valeur = fonction(*args)
            except BaseException as exc:  # handed over to the caller's thread
                self._erreur = exc

        self._fil = threading.Thread(target=lancer, name="essq-territoires", daemon=True)
        self._fil.start()

    def obtenir(self) -> Any:
        self._fil.join()
        if self._erreur is not None:
            raise self._erreur
        return self._valeur


def _communes_qpv_de(territoires: TerritoiresLike) -> tuple[TerritoiresLike, pa.Array]:
    """The sorted codes of the communes hosting a QPV (any millésime); the distance kernel is
    made ready meanwhile (this runs in the background while DuckDB starts reading)."""
    territoires.preparer_distances()
    avec_qpv: set[str] = set()
    for m in territoires.millesimes_qpv:
        avec_qpv |= set(territoires.communes_avec_qpv(m))
    return territoires, pa.array(sorted(avec_qpv), pa.string())


def _preparer_territoires(home: Path | str | None) -> tuple[TerritoiresLike, pa.Array]:
    """The territories and what :func:`_communes_qpv_de` gives."""
    return _communes_qpv_de(_charger_territoires(home))


def _charger_territoires(home: Path | str | None) -> TerritoiresLike:
    commande = (
        "essq territoires importer-qpv FICHIER --millesime 2024 puis "
        "essq territoires importer-cog DOSSIER"
    )
    try:
        from essq.territoires import Territoires
    except ImportError as exc:
        raise DonneesAbsentes(
            "Les territoires (QPV, communes) ne sont pas disponibles : impossible de placer les "
            "établissements",
            correctif=f"Importer d'abord les territoires ({commande}), ou qualifier les seules "
            "unités légales (sans --etablissements).",
        ) from exc
    try:
        return Territoires.charger(home)
    except DonneesAbsentes as exc:
        raise DonneesAbsentes(
            "Territoires non importés : les établissements ne peuvent pas être placés "
            "(commune, QPV)",
            correctif=(exc.correctif or f"Lancer {commande}")
            + " — ou qualifier les seules unités légales (sans --etablissements).",
        ) from exc


@contextlib.contextmanager
def _sources(
    unites_legales: Path, etablissements: Path | None, dossier_temp: Path
) -> Iterator[tuple[Source, Source | None]]:
    with ouvrir_source(unites_legales, dossier_temp=dossier_temp) as ul:
        if etablissements is None:
            yield ul, None
        else:
            with ouvrir_source(etablissements, dossier_temp=dossier_temp) as et:
                yield ul, et


@contextlib.contextmanager
def _reconstitution(
    jour: dt.date | None,
    unites_legales: Path | None,
    etablissements: Path | None,
    avec_etablissements: bool,
    dossier_temp: Path,
) -> Iterator[historique.Reconstitution | None]:
    """The historical stocks opened for the duration (None: the stock as it is)."""
    if jour is None:
        if unites_legales is not None or etablissements is not None:
            raise ErreurUtilisateur(
                "Fichier historique donné sans date de reconstitution",
                champ="--date-historique",
                correctif="Indiquer la date à reconstituer avec --date-historique AAAA-MM-JJ.",
            )
        yield None
        return
    if unites_legales is None and etablissements is None:
        raise ErreurUtilisateur(
            "Reconstituer le stock à une date passée demande les fichiers historiques de l'Insee",
            champ="--date-historique",
            correctif="Donner --historique-unites-legales StockUniteLegaleHistorique et/ou "
            "--historique-etablissements StockEtablissementHistorique.",
        )
    if etablissements is not None and not avec_etablissements:
        raise ErreurUtilisateur(
            "Historique des établissements donné sans stock des établissements",
            champ="--historique-etablissements",
            correctif="Donner aussi --etablissements, ou retirer --historique-etablissements.",
        )
    with contextlib.ExitStack() as pile:
        rec = historique.Reconstitution(jour)
        if unites_legales is not None:
            rec.unites_legales = pile.enter_context(
                ouvrir_source(unites_legales, dossier_temp=dossier_temp)
            )
        if etablissements is not None:
            rec.etablissements = pile.enter_context(
                ouvrir_source(etablissements, dossier_temp=dossier_temp)
            )
        yield rec


def _nombre_lignes(source: Source) -> int | None:
    if source.format == "parquet":
        return int(pq.ParquetFile(source.lecture).metadata.num_rows)
    return None


def qualifier(
    unites_legales: Path | str,
    etablissements: Path | str | None,
    sortie: Path | str,
    *,
    home: Path | str | None = None,
    listes: Mapping[str, Path | str] | None = None,
    territoires: TerritoiresLike | None = None,
    exclusions_naf: bool = True,
    exclure_fonds_dotation: bool = False,
    memoire: str = "3GB",
    taille_lot: int = 131_072,
    afficher_progression: bool = True,
    distances: str = "toutes",
    date_historique: str | None = None,
    historique_unites_legales: Path | str | None = None,
    historique_etablissements: Path | str | None = None,
    compression: str = "zstd",
    colonnes: Sequence[str] | None = None,
    ess_seulement: Sequence[str] = (),
) -> RapportQualification:
    """Qualify a SIRENE stock and write one row per establishment (or per legal unit).

    ``colonnes`` restricts the output to these columns (in this order), plus the QPV
    columns of every millésime (``qpv_M``, ``distance_qpv_M_m``, ``qpv_proche_M``);
    ``ess_seulement`` columns are written for ESS rows only (empty on the others). Both
    serve ``essq construire``, whose temporary table needs names, identifiers and
    coordinates for ESS establishments only.

    ``listes``: extra lists by type (``ess_france``, ``esus``, ``siae``, ``fonds_dotation``),
    on top of those imported under ``home``. ``territoires`` defaults to
    ``Territoires.charger(home)`` and is only needed with establishments. ``distances``
    (see DISTANCES): ``"ess"`` measures the distance to the nearest QPV only for ESS
    establishments, all the observatory needs (its quartier vécu counts ESS establishments).
    ``date_historique`` with INSEE's historical stocks rebuilds the stock as it was at that
    date (essq.sirene.historique). ``compression``: of a Parquet output; ``essq construire``
    writes its temporary table in lz4, faster to write and read back than zstd.
    """
    debut = time.perf_counter()
    unites_legales = Path(unites_legales)
    etab = Path(etablissements) if etablissements is not None else None
    sortie = Path(sortie)
    format_sortie = sortie.suffix.lower()
    if format_sortie not in FORMATS_SORTIE:
        raise ErreurUtilisateur(
            f"Format de sortie non pris en charge : « {sortie.name} »",
            champ="--sortie",
            correctif="Donner un fichier .parquet ou .csv.",
        )
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memoire.strip(), flags=re.IGNORECASE):
        raise ErreurUtilisateur(
            f"Limite de mémoire illisible : « {memoire} »",
            champ="--memoire",
            correctif="Donner un nombre suivi d'une unité, par exemple 3GB ou 512MB.",
        )
    if distances not in DISTANCES:
        raise ErreurUtilisateur(
            f"Valeur inconnue pour les distances : « {distances} »",
            champ="--distances",
            correctif="Choisir « toutes » (par défaut) ou « ess ».",
        )
    mode = "etablissements" if etab is not None else "unites_legales"
    hist_ul = Path(historique_unites_legales) if historique_unites_legales is not None else None
    hist_et = Path(historique_etablissements) if historique_etablissements is not None else None
    jour = historique.date_reconstitution(date_historique)  # bad dates fail before any work
    rapport = RapportQualification(sortie=str(sortie), mode=mode)
    preparation: _EnFond | None = None
    if etab is not None:
        if territoires is None:
            preparation = _EnFond(_preparer_territoires, home)
        else:
            preparation = _EnFond(_communes_qpv_de, territoires)
    sortie.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".essq-sirene-", dir=sortie.parent) as tmp,
        _sources(unites_legales, etab, Path(tmp)) as (src_ul, src_et),
        _reconstitution(jour, hist_ul, hist_et, etab is not None, Path(tmp)) as rec,
    ):
        historiques = (rec.unites_legales, rec.etablissements) if rec is not None else ()
        for s in (src_ul, src_et, *historiques):
            if s is not None:
                rapport.avertissements.extend(s.avertissements)
        fichiers = [p for p in (unites_legales, etab, hist_ul, hist_et) if p is not None]
        avertissements = list(rapport.avertissements)
        # Fast path first; duplicated identifiers (rare in INSEE's stocks) are only detected
        # at the end of it, then the slow path dedupes before qualifying. A reconstitution
        # takes the slow path at once: duplicates must be resolved before the date filter,
        # which could otherwise hide one of the two rows.
        for dedoublonner in (True,) if rec is not None else (False, True):
            rapport = RapportQualification(sortie=str(sortie), mode=mode)
            rapport.avertissements = list(avertissements)
            rapport.date_historique = rec.date.isoformat() if rec is not None else None
            try:
                con = _preparer_connexion(memoire, Path(tmp))
            except duckdb.Error as exc:
                raise _erreur_duckdb(exc, fichiers, memoire) from exc
            try:
                tables_listes = _charger_listes(con, home, listes)
                _vue_unites_legales(con, src_ul, rapport, dedoublonner, rec)
                if src_et is None:
                    _creer_combinaisons(con, tables_listes, exclusions_naf, exclure_fonds_dotation)
                    sql = _sql_unites_legales(tables_listes, exclusions_naf)
                    total = _nombre_lignes(src_ul)
                else:
                    col = _vue_etablissements(con, src_et, rapport, dedoublonner, rec)
                    types = _creer_combinaisons(
                        con, tables_listes, exclusions_naf, exclure_fonds_dotation
                    )
                    sql = _sql_etablissements(
                        tables_listes, exclusions_naf, col["employeur"] is not None, types
                    )
                    total = _nombre_lignes(src_et)
                _executer(
                    con,
                    sql,
                    sortie,
                    format_sortie,
                    preparation,
                    rapport,
                    mode,
                    total,
                    taille_lot,
                    afficher_progression,
                    verifier_doublons=not dedoublonner,
                    fichier_et=src_et.chemin.name if src_et is not None else "",
                    distances=distances,
                    compression=compression,
                    colonnes=colonnes,
                    ess_seulement=ess_seulement,
                )
                break
            except _DoublonsDetectes:
                continue
            except duckdb.Error as exc:
                raise _erreur_duckdb(exc, fichiers, memoire) from exc
            finally:
                con.close()
    rapport.provenance = {
        "unites_legales": str(unites_legales.resolve()),
        "etablissements": str(etab.resolve()) if etab else None,
        "historique_unites_legales": str(hist_ul.resolve()) if hist_ul else None,
        "historique_etablissements": str(hist_et.resolve()) if hist_et else None,
        "date_reconstituee": rapport.date_historique,
        "listes": sorted(tables_listes),
        "categories_juridiques": f"{nom.table_cj().source} (table essq version {nom.table_cj().version})",
        "secteurs": "NAF rév. 2 (Insee) -> 12 secteurs du tableau 3 de l'étude ESS France / ANCT",
        "effectifs": "tranches d'effectif Insee, bornes et milieu de tranche",
        "exclusions_naf": exclusions_naf,
        "exclure_fonds_dotation": exclure_fonds_dotation,
        "distances_qpv": DISTANCES[distances] if etab is not None else None,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    rapport.secondes = time.perf_counter() - debut
    return rapport


def _executer(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    sortie: Path,
    format_sortie: str,
    preparation: _EnFond | None,
    rapport: RapportQualification,
    mode: str,
    total: int | None,
    taille_lot: int,
    afficher_progression: bool,
    *,
    verifier_doublons: bool,
    fichier_et: str,
    distances: str = "toutes",
    compression: str = "zstd",
    colonnes: Sequence[str] | None = None,
    ess_seulement: Sequence[str] = (),
) -> None:
    lecteur = con.execute(sql).fetch_record_batch(taille_lot)
    with (
        ecriture_atomique(sortie, suffixe=format_sortie) as tmp,
        _lots_en_avance(lecteur) as lots,  # DuckDB starts reading now
        _Ecrivain(tmp, format_sortie, compression) as ecrivain,
        _sans_ramasse_miettes(),
    ):
        millesimes: tuple[str, ...] = ()
        territoires: TerritoiresLike | None = None
        communes_qpv = pa.array([], pa.string())
        if mode == "etablissements":
            assert preparation is not None
            territoires, communes_qpv = preparation.obtenir()
            millesimes = tuple(territoires.millesimes_qpv)
            rapport.millesimes_qpv = list(millesimes)
        barre = progression(transitoire=True)
        quoi = "établissements" if mode == "etablissements" else "unités légales"
        with barre if afficher_progression else contextlib.nullcontext():
            tache = barre.add_task(f"Qualification des {quoi}", total=total)
            schema_vide = None
            identifiants = _Identifiants(total or taille_lot)
            for lot in lots:
                barre.update(tache, advance=lot.num_rows)
                if mode == "etablissements":
                    assert territoires is not None
                    if verifier_doublons:  # the slow path counted rows in its first pass
                        rapport.lignes_etablissements += lot.num_rows
                    lot = _filtrer_rejets(lot, rapport, fichier_et)
                    if lot.num_rows == 0:
                        continue
                    table = _placer(lot, territoires, millesimes, communes_qpv, distances)
                else:
                    table = pa.Table.from_batches([lot])
                if verifier_doublons:
                    cle = "siret" if mode == "etablissements" else "siren"
                    identifiants.ajouter(
                        pc.cast(table.column(cle), pa.int64()).to_numpy(zero_copy_only=False)
                    )
                _compter(rapport, table, mode)
                table = table.drop_columns(
                    [c for c in COLONNES_INTERNES if c in table.column_names]
                )
                ecrivain.ecrire(_projeter(table, colonnes, ess_seulement, millesimes))
            if verifier_doublons and identifiants.en_double():
                raise _DoublonsDetectes
            if ecrivain.ecrivain is None:
                schema_vide = _schema_vide(lecteur.schema, mode, millesimes)
                if colonnes is not None:
                    garder = _colonnes_gardees(colonnes, millesimes)
                    schema_vide = pa.schema([schema_vide.field(c) for c in garder])
            ecrivain.fermer(schema_vide)


_FIN = object()


def _colonnes_qpv(millesime: str) -> tuple[str, str, str]:
    """The placement columns of one QPV millésime: containing QPV, distance, nearest QPV."""
    return (f"qpv_{millesime}", f"distance_qpv_{millesime}_m", f"qpv_proche_{millesime}")


def _colonnes_gardees(colonnes: Sequence[str], millesimes: Sequence[str]) -> list[str]:
    qpv = [c for m in millesimes for c in _colonnes_qpv(m)]
    return [*colonnes, *(c for c in qpv if c not in colonnes)]


def _projeter(
    table: pa.Table,
    colonnes: Sequence[str] | None,
    ess_seulement: Sequence[str],
    millesimes: Sequence[str],
) -> pa.Table:
    """The output columns of a batch (``qualifier``'s ``colonnes`` and ``ess_seulement``)."""
    if colonnes is not None:
        table = table.select(_colonnes_gardees(colonnes, millesimes))
    if ess_seulement:
        ess = pc.fill_null(table.column("ess"), False)
        for c in ess_seulement:
            i = table.schema.get_field_index(c)
            colonne = table.column(c)
            table = table.set_column(
                i, c, pc.if_else(ess, colonne, pa.nulls(len(table), colonne.type))
            )
    return table


class _Identifiants:
    """SIRET (or SIREN) of every written row, as integers, to detect duplicates at the end.

    One array sized from the row count known in advance (Parquet metadata), grown by doubling
    otherwise, sorted in place: 8 bytes per row (340 MB for the national stock) instead of
    twice that with a list of batches concatenated at the end.
    """

    def __init__(self, capacite: int) -> None:
        self._valeurs = np.empty(max(capacite, 1), dtype=np.int64)
        self._n = 0

    def ajouter(self, valeurs: np.ndarray) -> None:
        fin = self._n + len(valeurs)
        if fin > len(self._valeurs):
            plus_grand = np.empty(max(fin, 2 * len(self._valeurs)), dtype=np.int64)
            plus_grand[: self._n] = self._valeurs[: self._n]
            self._valeurs = plus_grand
        self._valeurs[self._n : fin] = valeurs
        self._n = fin

    def en_double(self) -> bool:
        tous = self._valeurs[: self._n]
        tous.sort()
        return bool(len(tous) > 1 and (tous[1:] == tous[:-1]).any())


@contextlib.contextmanager
def _sans_ramasse_miettes() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while batches are placed.

    Placing a batch creates hundreds of thousands of short-lived objects (shapely points for
    the distances): each allocation burst triggered collections that scanned every live
    object, several percent of the run, to free nothing (the batches hold no cycles).
    Reference counting still frees everything at once.
    """
    actif = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if actif:
            gc.enable()


@contextlib.contextmanager
def _lots_en_avance(
    lecteur: pa.RecordBatchReader, avance: int = 2
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Read DuckDB's batches in a background thread, at most ``avance`` ahead (bounded memory).

    DuckDB computes the next batch (join, rules) while this thread places the current one.
    """
    file: queue.Queue[Any] = queue.Queue(maxsize=avance)
    arret = threading.Event()

    def produire() -> None:
        try:
            for lot in lecteur:
                while not arret.is_set():
                    try:
                        file.put(lot, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if arret.is_set():
                    return
            file.put(_FIN)
        except BaseException as exc:  # handed over to the consumer thread
            file.put(exc)

    fil = threading.Thread(target=produire, name="essq-sirene-lecture", daemon=True)
    fil.start()

    def consommer() -> Iterator[pa.RecordBatch]:
        while True:
            element = file.get()
            if element is _FIN:
                return
            if isinstance(element, BaseException):
                raise element
            yield element

    try:
        yield consommer()
    finally:
        arret.set()
        while fil.is_alive():
            with contextlib.suppress(queue.Empty):
                file.get(timeout=0.1)
        fil.join()


def _schema_vide(schema: pa.Schema, mode: str, millesimes: Sequence[str]) -> pa.Schema:
    champs = [f for f in schema if f.name not in COLONNES_INTERNES]
    if mode == "etablissements":
        champs = [f for f in champs if f.name not in ("x", "y")]
        champs += [
            pa.field("code_commune", pa.string()),
            pa.field("departement", pa.string()),
            pa.field("lon", pa.float64()),
            pa.field("lat", pa.float64()),
            pa.field("statut_coordonnees", pa.string()),
            pa.field("statut_position", pa.string()),
        ]
        for m in millesimes:
            qpv, distance, proche = _colonnes_qpv(m)
            champs += [
                pa.field(qpv, pa.string()),
                pa.field(distance, pa.float64()),
                pa.field(proche, pa.string()),
            ]
    return pa.schema(champs)


__all__ = ["COLONNES_ET_REQUISES", "COLONNES_UL_REQUISES", "qualifier"]
