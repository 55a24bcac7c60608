"""The SIRENE stock as it was at a past date, rebuilt from INSEE's historical stocks.

INSEE publishes, next to the current stocks, ``StockUniteLegaleHistorique`` and
``StockEtablissementHistorique``: one row per period of each unit (``dateDebut``,
``dateFin``, empty for the current period) with the values of the historised variables
during that period. Rules (documented in docs/methodologie.md § 2):

- the period valid at the date D is the one with ``dateDebut <= D`` (or no start) and
  ``dateFin >= D`` (or no end); if two periods qualify (an end date equal to the next start),
  the most recent start wins;
- a unit whose periods all start after D, or created after D (``dateCreation…``), did not
  exist at D: it is left out, with its establishments, and counted;
- a unit without any period in the historical file keeps its current values (counted);
- historised values replace the current ones: état administratif, catégorie juridique,
  indicateur ESS de l'Insee, activité principale (and its nomenclature), caractère employeur,
  dénomination / enseigne; everything else (address, coordinates, commune, headcount
  bracket, statut de diffusion) is not historised by INSEE and stays as in the current stock;
- the legal form is never emptied by a period without one, and a natural person's stays (its
  name stays masked); duplicated identifiers are resolved before the date filter;
- a period bound that is not a date, or a file without any historised variable, is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from essq.erreurs import ErreurUtilisateur
from essq.sirene.lecture import Source, resoudre_colonnes
from essq.sirene.rapport import RapportQualification

REQUISES_UL = {"cle": "siren", "debut": "dateDebut", "fin": "dateFin"}
REQUISES_ET = {"cle": "siret", "debut": "dateDebut", "fin": "dateFin"}
OPTIONNELLES_UL = {
    "etat": "etatAdministratifUniteLegale",
    "cj": "categorieJuridiqueUniteLegale",
    "flag": "economieSocialeSolidaireUniteLegale",
    "denomination": "denominationUniteLegale",
    "naf": "activitePrincipaleUniteLegale",
    "nomenclature": "nomenclatureActivitePrincipaleUniteLegale",
    "employeur": "caractereEmployeurUniteLegale",
}
OPTIONNELLES_ET = {
    "etat": "etatAdministratifEtablissement",
    "naf": "activitePrincipaleEtablissement",
    "nomenclature": "nomenclatureActivitePrincipaleEtablissement",
    "employeur": "caractereEmployeurEtablissement",
    "enseigne": "enseigne1Etablissement",
    "denomination_usuelle": "denominationUsuelleEtablissement",
}
# view column <- (historical columns it needs, SQL on their expressions)
Remplacements = dict[str, tuple[tuple[str, ...], str]]
_NAF = "CASE WHEN {nomenclature} IS NULL OR {nomenclature} = 'NAFRev2' THEN naf_norm({naf}) END"
REMPLACEMENTS_UL: Remplacements = {
    "etat_ul": (("etat",), "upper({etat})"),
    "cj": (("cj",), "{cj}"),  # see appliquer: never empty, a natural person stays one
    "flag_insee": (("flag",), "upper({flag})"),
    "denomination_ul": (("denomination",), "{denomination}"),
    "naf_ul": (("naf",), _NAF),
    "employeur_ul": (("employeur",), "upper({employeur})"),
}
REMPLACEMENTS_ET: Remplacements = {
    "etat_et": (("etat",), "upper({etat})"),
    "naf_et": (("naf",), _NAF),
    "employeur_et": (("employeur",), "upper({employeur})"),
    "enseigne_et": (
        ("enseigne", "denomination_usuelle"),
        "coalesce({enseigne}, {denomination_usuelle})",
    ),
}


def date_reconstitution(texte: str | None) -> dt.date | None:
    """The past date asked for (None: the stock as it is); a clear error when invalid."""
    if texte is None:
        return None
    try:
        date = dt.date.fromisoformat(str(texte))
    except ValueError:
        raise ErreurUtilisateur(
            f"Date de reconstitution invalide : « {texte} »",
            champ="--date-historique",
            correctif="Donner une date au format AAAA-MM-JJ, par exemple 2022-12-31.",
        ) from None
    if date > dt.date.today():
        raise ErreurUtilisateur(
            f"Date de reconstitution dans le futur : « {texte} »",
            champ="--date-historique",
            correctif="Donner une date passée : les fichiers historiques décrivent le passé.",
        )
    return date


@dataclass
class Reconstitution:
    """What rebuilding the stock at ``date`` needs: the historical stocks that were given."""

    date: dt.date
    unites_legales: Source | None = None
    etablissements: Source | None = None


def _verifier_dates(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    col_debut: str | None,
    col_fin: str | None,
    e_debut: str,
    e_fin: str,
    quoi: str,
) -> None:
    """A filled period bound that is not a date would silently mean "no limit": refuse it."""
    for nom, expr in ((col_debut, e_debut), (col_fin, e_fin)):
        ligne = con.execute(
            f"SELECT count(*), any_value(CAST({expr} AS VARCHAR)) FROM {source.sql_table()} "
            f"WHERE {expr} IS NOT NULL AND TRY_CAST({expr} AS DATE) IS NULL"
        ).fetchone()
        if ligne and ligne[0]:
            raise ErreurUtilisateur(
                f"{ligne[0]} valeurs de « {nom} » ne sont pas des dates dans le fichier historique "
                f"des {quoi} (exemple : « {ligne[1]} »)",
                fichier=str(source.chemin),
                champ=nom,
                correctif="Les dates des fichiers de l'Insee s'écrivent AAAA-MM-JJ : fournir le "
                "fichier historique tel que l'Insee le publie.",
            )


def _periodes(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    vue: str,
    requises: dict[str, str],
    optionnelles: dict[str, str],
    remplacements: Remplacements,
    date: dt.date,
    rapport: RapportQualification,
    quoi: str,
) -> dict[str, str]:
    """Temp table ``{vue}_hist``: one row per key, the period valid at ``date`` if any
    (``couvre``). Returns the view columns it replaces (column -> expression on ``h``)."""
    col = resoudre_colonnes(source, requises, optionnelles, quoi=quoi)
    e = {k: source.expression(v) for k, v in col.items() if v is not None}
    e_debut, e_fin = source.expression_native(col["debut"]), source.expression_native(col["fin"])
    colonnes: dict[str, str] = {}
    absentes = []
    for colonne_vue, (besoins, modele) in remplacements.items():
        presents = [b for b in besoins if b in e]
        if not presents:
            absentes.append(", ".join(optionnelles[b] for b in besoins))
            continue
        valeurs = {k: e.get(k, "CAST(NULL AS VARCHAR)") for k in optionnelles}
        colonnes[colonne_vue] = modele.format(**valeurs)
    if not colonnes:
        raise ErreurUtilisateur(
            f"Le fichier historique des {quoi} n'a aucune variable historisée "
            f"({', '.join(optionnelles.values())})",
            fichier=str(source.chemin),
            correctif=f"Fournir le stock historique des {quoi} de l'Insee "
            f"({'StockUniteLegaleHistorique' if requises['cle'] == 'siren' else 'StockEtablissementHistorique'}).",
        )
    _verifier_dates(con, source, col["debut"], col["fin"], e_debut, e_fin, quoi)
    if absentes:
        rapport.avertissements.append(
            f"Colonnes absentes du fichier historique des {quoi} ({source.chemin.name}) : "
            f"{' ; '.join(absentes)}. Les valeurs du stock actuel sont gardées pour elles."
        )
    d = f"DATE '{date.isoformat()}'"
    select = ", ".join(f"{expr} AS {c}" for c, expr in colonnes.items())
    champs = ", ".join(f"{c} := {c}" for c in colonnes)
    # One row per unit: does a period cover the date, and the values of the covering period
    # that starts last. An aggregation rather than a window: DuckDB spills it to disk within
    # --memoire (a window over the 47 million periods of the establishments did not fit in
    # 3 GB). Keys as integers (SIREN and SIRET are digits): a smaller hash table.
    con.execute(
        f"""CREATE TEMP TABLE {vue}_hist AS
        SELECT cle, bool_or(couvre) AS couvre,
               arg_max(struct_pack({champs}), debut) FILTER (WHERE couvre) AS p
        FROM (
            SELECT cle, coalesce(debut <= {d}, TRUE) AND coalesce(fin >= {d}, TRUE) AS couvre,
                   coalesce(debut, DATE '0001-01-01') AS debut, {", ".join(colonnes)}
            FROM (SELECT TRY_CAST({e["cle"]} AS BIGINT) AS cle, TRY_CAST({e_debut} AS DATE) AS debut,
                         TRY_CAST({e_fin} AS DATE) AS fin, {select}
                  FROM {source.sql_table()}))
        WHERE cle IS NOT NULL
        GROUP BY cle"""
    )
    if not con.execute(f"SELECT count(*) FROM {vue}_hist").fetchone()[0]:  # type: ignore[index]
        rapport.avertissements.append(
            f"Le fichier historique des {quoi} ({source.chemin.name}) ne contient aucune "
            "période : les valeurs du stock actuel sont gardées."
        )
    return {c: f"struct_extract(h.p, '{c}')" for c in colonnes}


def _tranches_posterieures(
    con: duckdb.DuckDBPyConnection,
    vue: str,
    annee: str,
    quoi: str,
    date: dt.date,
    rapport: RapportQualification,
) -> None:
    """Warn about headcount brackets of a year after the date (INSEE does not historise them)."""
    posterieures = con.execute(
        f"SELECT count(*) FROM {vue} WHERE TRY_CAST({annee} AS INTEGER) > {date.year}"
    ).fetchone()[0]  # type: ignore[index]
    if posterieures:
        rapport.avertissements.append(
            f"{posterieures} {quoi} ont une tranche d'effectif d'une année postérieure au "
            f"{date.isoformat()} : l'Insee n'historise pas les tranches, les emplois estimés "
            "sont ceux de cette année-là."
        )


def appliquer(
    con: duckdb.DuckDBPyConnection,
    reconstitution: Reconstitution,
    vue: str,
    rapport: RapportQualification,
) -> None:
    """Create ``{vue}_src`` (``vue`` = ``ul`` or ``et``) from ``{vue}_courant``: the rows that
    existed at the date, with their historised values of that date."""
    date = reconstitution.date
    d = f"DATE '{date.isoformat()}'"
    if vue == "ul":
        source, cle, creation, quoi = (
            reconstitution.unites_legales,
            "siren",
            "creation_ul",
            "unités légales",
        )
        requises, optionnelles, remplacements = REQUISES_UL, OPTIONNELLES_UL, REMPLACEMENTS_UL
    else:
        source, cle, creation, quoi = (
            reconstitution.etablissements,
            "siret",
            "creation_et",
            "établissements",
        )
        requises, optionnelles, remplacements = REQUISES_ET, OPTIONNELLES_ET, REMPLACEMENTS_ET
    apres = f"coalesce(TRY_CAST(c.{creation} AS DATE) > {d}, FALSE)"
    if source is None:
        existe, jointure, colonnes = f"NOT {apres}", "", {}
    else:
        colonnes = _periodes(
            con, source, vue, requises, optionnelles, remplacements, date, rapport, quoi
        )
        jointure = f"LEFT JOIN {vue}_hist h ON h.cle = TRY_CAST(c.{cle} AS BIGINT)"
        existe = f"(h.cle IS NULL OR h.couvre) AND NOT {apres}"
    if vue == "et":  # ul_absents: made by the legal units' pass, which always runs first
        existe += " AND NOT EXISTS (SELECT 1 FROM ul_absents a WHERE a.siren = c.siren_et)"

    def valeur(c: str, expr: str) -> str:
        if c == "cj":
            # the legal form is never empty; a natural person's SIREN never becomes a
            # company's: its current form is kept, so that its name stays masked
            return f"CASE WHEN c.cj LIKE '1%' THEN c.cj ELSE coalesce({expr}, c.cj) END"
        return expr

    remplace = ", ".join(
        f"CASE WHEN h.cle IS NULL THEN c.{c} ELSE {valeur(c, expr)} END AS {c}"
        for c, expr in colonnes.items()
    )
    etoile = f"c.* REPLACE ({remplace})" if remplace else "c.*"
    con.execute(
        f"CREATE TEMP VIEW {vue}_src AS SELECT {etoile} FROM {vue}_courant c {jointure} WHERE {existe}"
    )
    sans = f"count(*) FILTER (WHERE h.cle IS NULL AND {existe})" if source is not None else "0"
    absents, sans_historique = con.execute(
        f"SELECT count(*) FILTER (WHERE NOT ({existe})), {sans} FROM {vue}_courant c {jointure}"
    ).fetchone()  # type: ignore[misc]
    if vue == "ul":
        rapport.unites_legales_absentes_a_la_date = int(absents)
        rapport.unites_legales_sans_historique = int(sans_historique)
        if rapport.mode == "unites_legales":  # their jobs come from the legal units' bracket
            _tranches_posterieures(con, "ul_src", "annee_ul", "unités légales", date, rapport)
        con.execute(
            f"CREATE TEMP TABLE ul_absents AS SELECT c.siren FROM ul_courant c {jointure} "
            f"WHERE c.siren IS NOT NULL AND NOT ({existe})"
        )
    else:
        rapport.etablissements_absents_a_la_date = int(absents)
        rapport.etablissements_sans_historique = int(sans_historique)
        _tranches_posterieures(con, "et_src", "annee_et", "établissements", date, rapport)
