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


@dataclass(frozen=True)
class _Genre:
    """What differs between the legal units' and the establishments' reconstitution."""

    cle: str  # key column, in the historical file and in the view
    creation: str  # creation date column of the current view
    annee: str  # headcount bracket year column of the current view
    quoi: str  # French plural, for messages
    fichier_insee: str  # the historical stock's name, for messages
    optionnelles: dict[str, str]  # alias -> INSEE column of the historical file
    remplacements: Remplacements


GENRES = {
    "ul": _Genre(
        "siren",
        "creation_ul",
        "annee_ul",
        "unités légales",
        "StockUniteLegaleHistorique",
        OPTIONNELLES_UL,
        REMPLACEMENTS_UL,
    ),
    "et": _Genre(
        "siret",
        "creation_et",
        "annee_et",
        "établissements",
        "StockEtablissementHistorique",
        OPTIONNELLES_ET,
        REMPLACEMENTS_ET,
    ),
}


def date_reconstitution(texte: str | None, champ: str = "--date-historique") -> dt.date | None:
    """The past date asked for (None: the stock as it is); a clear error naming ``champ`` (the
    command's option) when invalid or in the future."""
    if texte is None:
        return None
    try:
        date = dt.date.fromisoformat(str(texte))
    except ValueError:
        raise ErreurUtilisateur(
            f"Date de reconstitution invalide : « {texte} »",
            champ=champ,
            correctif="Donner une date au format AAAA-MM-JJ, par exemple 2022-12-31.",
        ) from None
    if date > dt.date.today():
        raise ErreurUtilisateur(
            f"Date de reconstitution dans le futur : « {texte} »",
            champ=champ,
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
    con: duckdb.DuckDBPyConnection, source: Source, bornes: dict[str, str], quoi: str
) -> None:
    """A filled period bound that is not a date would silently mean "no limit": refuse it.
    ``bornes``: INSEE column name -> its SQL expression; one scan of the file for all."""
    mauvaise = {
        nom: f"{e} IS NOT NULL AND TRY_CAST({e} AS DATE) IS NULL" for nom, e in bornes.items()
    }
    comptes = ", ".join(
        f"count(*) FILTER (WHERE {m}), any_value(CAST({bornes[nom]} AS VARCHAR)) FILTER (WHERE {m})"
        for nom, m in mauvaise.items()
    )
    ligne = con.execute(f"SELECT {comptes} FROM {source.sql_table()}").fetchone() or ()
    for i, nom in enumerate(bornes):
        nombre, exemple = ligne[2 * i], ligne[2 * i + 1]
        if nombre:
            raise ErreurUtilisateur(
                f"{nombre} valeurs de « {nom} » ne sont pas des dates dans le fichier historique "
                f"des {quoi} (exemple : « {exemple} »)",
                fichier=str(source.chemin),
                champ=nom,
                correctif="Les dates des fichiers de l'Insee s'écrivent AAAA-MM-JJ : fournir le "
                "fichier historique tel que l'Insee le publie.",
            )


def _periodes(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    vue: str,
    genre: _Genre,
    date: dt.date,
    rapport: RapportQualification,
) -> dict[str, str]:
    """Temp table ``{vue}_hist``: one row per key, the period valid at ``date`` if any
    (``couvre``). Returns the view columns it replaces (column -> expression on ``h``)."""
    quoi, optionnelles = genre.quoi, genre.optionnelles
    requises = {"cle": genre.cle, "debut": "dateDebut", "fin": "dateFin"}
    col = resoudre_colonnes(source, requises, optionnelles, quoi=quoi)
    e = {k: source.expression(v) for k, v in col.items() if v is not None}
    e_debut, e_fin = source.expression_native(col["debut"]), source.expression_native(col["fin"])
    colonnes: dict[str, str] = {}
    absentes = []
    for colonne_vue, (besoins, modele) in genre.remplacements.items():
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
            correctif=f"Fournir le stock historique des {quoi} de l'Insee ({genre.fichier_insee}).",
        )
    _verifier_dates(con, source, {"dateDebut": e_debut, "dateFin": e_fin}, quoi)
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
    genre = GENRES[vue]
    source = reconstitution.unites_legales if vue == "ul" else reconstitution.etablissements
    creation = genre.creation
    apres = f"coalesce(TRY_CAST(c.{creation} AS DATE) > {d}, FALSE)"
    if source is None:
        existe, jointure, colonnes = f"NOT {apres}", "", {}
    else:
        colonnes = _periodes(con, source, vue, genre, date, rapport)
        jointure = f"LEFT JOIN {vue}_hist h ON h.cle = TRY_CAST(c.{genre.cle} AS BIGINT)"
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
    # headcount brackets are not historised: those of a later year are counted in the same
    # pass (for the legal units, only when their bracket gives the jobs: no establishments)
    tranches = rapport.mode == "unites_legales" or vue == "et"
    annee = f"TRY_CAST(c.{genre.annee} AS INTEGER) > {date.year}" if tranches else "FALSE"
    absents, sans_historique, posterieures = con.execute(
        f"SELECT count(*) FILTER (WHERE NOT ({existe})), {sans}, "
        f"count(*) FILTER (WHERE ({existe}) AND {annee}) FROM {vue}_courant c {jointure}"
    ).fetchone()  # type: ignore[misc]
    if posterieures:
        rapport.avertissements.append(
            f"{posterieures} {genre.quoi} ont une tranche d'effectif d'une année postérieure au "
            f"{date.isoformat()} : l'Insee n'historise pas les tranches, les emplois estimés "
            "sont ceux de cette année-là."
        )
    if vue == "ul":
        rapport.unites_legales_absentes_a_la_date = int(absents)
        rapport.unites_legales_sans_historique = int(sans_historique)
        con.execute(
            f"CREATE TEMP TABLE ul_absents AS SELECT c.siren FROM ul_courant c {jointure} "
            f"WHERE c.siren IS NOT NULL AND NOT ({existe})"
        )
    else:
        rapport.etablissements_absents_a_la_date = int(absents)
        rapport.etablissements_sans_historique = int(sans_historique)
