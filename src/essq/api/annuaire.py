"""The directory of ESS establishments: filters, facets, sorting and stable cursor pagination.

Reads the warehouse table ``etablissements_ess`` (built by essq.observatoire with the masked
fields of non-diffusible establishments already removed). Pagination is keyset-based: the
cursor carries the stock date, the sort and the last row's sort key and SIRET, so a page never
repeats nor skips a row, even when other requests run in between.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from essq.api.index_annuaire import IndexAnnuaire
from essq.erreurs import ErreurUtilisateur
from essq.observatoire import Entrepot

# sort name -> (SQL key expression, descending?)
TRIS: dict[str, tuple[str, bool]] = {
    "siret": ("siret", False),
    "nom": ("lower(coalesce(denomination, enseigne, '~'))", False),
    "effectif": ("coalesce(effectif_central, -1)", True),
    "creation": ("coalesce(date_creation, DATE '1800-01-01')", True),
    "distance_qpv": ("coalesce(distance_qpv_{m}_m, 1e12)", False),
}
# Size classes of the directory facet, from the estimated headcount (tranche midpoint).
TAILLES: dict[str, tuple[float, float]] = {
    "non_employeur": (-1.0, 0.5),
    "1_9": (0.5, 9.5),
    "10_49": (9.5, 49.5),
    "50_249": (49.5, 249.5),
    "250_plus": (249.5, 1e12),
}
LIBELLES_TAILLES = {
    "non_employeur": "Sans salarié ou effectif inconnu",
    "1_9": "1 à 9 salariés",
    "10_49": "10 à 49 salariés",
    "50_249": "50 à 249 salariés",
    "250_plus": "250 salariés et plus",
}
PERIMETRES = ("ensemble", "en_qpv", "hors_qpv")
LIMITE_MAX = 500
EXPORT_MAX = 100_000


@dataclass
class Criteres:
    territoire: str | None = None
    perimetre: str = "ensemble"
    famille: list[str] = field(default_factory=list)
    secteur: list[str] = field(default_factory=list)
    taille: list[str] = field(default_factory=list)
    q: str | None = None
    proche_qpv_m: float | None = None
    employeur: bool | None = None
    date_stock: str | None = None
    millesime: str = "2024"
    tri: str = "nom"


def _encoder(obj: dict[str, Any]) -> str:
    brut = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(brut).decode().rstrip("=")


def _decoder(curseur: str) -> dict[str, Any]:
    try:
        brut = base64.urlsafe_b64decode(curseur + "=" * (-len(curseur) % 4))
        obj = json.loads(brut)
        if not isinstance(obj, dict) or not {"d", "t", "k", "s"} <= obj.keys():
            raise ValueError
        return obj
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ErreurUtilisateur(
            "Curseur de pagination illisible.",
            champ="curseur",
            correctif="reprendre la valeur « suivant » renvoyée par la page précédente, sans la modifier.",
        ) from exc


_CACHE_MAX = 2048
# (filters other than the facets) -> counts per (famille, secteur, taille, en_qpv) cell
_cache_cubes: OrderedDict[
    tuple[Any, ...], list[tuple[str | None, str | None, str | None, bool, int]]
] = OrderedDict()
# (warehouse, 'TYPE:CODE', millesime) -> (column, code) of the territory filter
_cache_territoires: OrderedDict[tuple[str, str, str], tuple[str, str] | None] = OrderedDict()
_verrou_cache = threading.Lock()
Cube = list[tuple[str | None, str | None, str | None, bool, int]]


class CubesNiveau:
    """The cube cells of every territory of a level (an Arrow table sorted by territory) and
    where each territory's cells start and end."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        codes = table.column(0).combine_chunks().dictionary_encode()
        indices = codes.indices.to_numpy(zero_copy_only=False)
        debuts = np.flatnonzero(np.diff(indices)) + 1 if len(indices) else np.zeros(0, int)
        debuts = np.concatenate([[0], debuts]).astype(int) if len(indices) else debuts
        fins = np.append(debuts[1:], len(indices)).astype(int)
        noms = codes.dictionary.to_pylist()
        self.positions = {
            noms[indices[d]]: (int(d), int(f)) for d, f in zip(debuts, fins, strict=True)
        }

    def cube(self, code: str) -> Cube:
        debut, fin = self.positions.get(code, (0, 0))
        if fin <= debut:
            return []
        morceau = self.table.slice(debut, fin - debut)
        colonnes = [morceau.column(i).to_pylist() for i in range(1, 6)]
        return [(f, s, t, bool(q), int(n)) for f, s, t, q, n in zip(*colonnes, strict=True)]


# (warehouse, date, millesime, territory column or None) -> cubes of a whole level
_cubes_niveaux: dict[tuple[str, str, str, str | None], CubesNiveau] = {}
_verrous_niveaux: dict[tuple[str, str, str, str | None], threading.Lock] = {}
_CAS_TAILLE = (
    "CASE "
    + " ".join(
        f"WHEN coalesce(effectif_central, 0) > {bas} AND coalesce(effectif_central, 0) <= {haut} "
        f"THEN '{nom}'"
        for nom, (bas, haut) in TAILLES.items()
    )
    + " END"
)
# The facets: each is counted under every active filter except its own.
FACETTES = ("famille", "secteur", "taille", "perimetre")


def _cle(c: Criteres, date: str, chemin: str) -> tuple[Any, ...]:
    """Signature of the filters that are not facets (the cube depends on nothing else)."""
    return (chemin, date, c.territoire, c.q, c.proche_qpv_m, c.employeur, c.millesime)


_noms_par_entrepot: dict[str, str] = {}


def _expression_nom(entrepot: Entrepot) -> str:
    """SQL of the searchable name: the column the build stores (names without case nor
    accents), or, for a warehouse built by an older version, the same computed on the fly.
    Known once per warehouse file (read-only while served)."""
    cle = str(entrepot.chemin)
    if cle not in _noms_par_entrepot:
        colonnes = {r[0] for r in entrepot.con.execute("DESCRIBE etablissements_ess").fetchall()}
        _noms_par_entrepot[cle] = (
            "nom_recherche"
            if "nom_recherche" in colonnes
            else "strip_accents(lower(concat_ws(' ', denomination, enseigne)))"
        )
    return _noms_par_entrepot[cle]


# (warehouse, stock date) -> the directory's serving index (one per process and warehouse file,
# only for the latest stock date: older dates are served by SQL)
_index: dict[tuple[str, str], IndexAnnuaire] = {}
_verrous_index: dict[tuple[str, str], threading.Lock] = {}


def index_annuaire(
    entrepot: Entrepot, date: str | None = None, *, charger: bool = True
) -> IndexAnnuaire | None:
    """The serving index of the warehouse's latest stock date (``date`` when given and it is
    the latest), loaded the first time it is asked for in the process (unless ``charger`` is
    false: then None until it is); None for other dates or a warehouse without
    establishments."""
    dates = entrepot.dates_stock()
    if not dates or (date is not None and date != dates[-1]):
        return None
    cle = (str(entrepot.chemin), dates[-1])
    if not charger:
        return _index.get(cle)
    with _verrou_cache:
        verrou = _verrous_index.setdefault(cle, threading.Lock())
    with verrou:  # loaded once; concurrent requests wait for it
        if cle not in _index:
            _index[cle] = IndexAnnuaire(entrepot.con, dates[-1], entrepot.millesimes(), _CAS_TAILLE)
        return _index[cle]


class Annuaire:
    """Queries over ``etablissements_ess`` for one warehouse view.

    The total and the facet counts of a search do not depend on the page nor on the facet
    filters themselves: one scan under the non-facet filters counts the establishments per
    (famille, secteur, taille, en/hors QPV) cell, at most a few hundred cells, from which the
    total and every facet are summed exactly. The cell counts are kept in a small per-process
    cache (the warehouse is read-only for the process's lifetime, so they cannot go stale), so
    paging or toggling a facet costs no further count.
    """

    def __init__(self, entrepot: Entrepot, *, memoire: bool = True) -> None:
        self.e = entrepot
        self._nom = _expression_nom(entrepot)
        self._memoire = memoire

    def index_pret(self, c: Criteres, date: str) -> IndexAnnuaire | None:
        """The serving index if it is already loaded and can answer these criteria."""
        return self._index_pour(c, date, charger=False)

    def _index_pour(self, c: Criteres, date: str, *, charger: bool = True) -> IndexAnnuaire | None:
        """The serving index when it can answer these criteria (no free text, latest date, a
        territory level it holds), else None (the SQL path answers)."""
        if not self._memoire or c.q is not None:
            return None
        idx = index_annuaire(self.e, date, charger=charger)
        if idx is None:
            return None
        filtre = self._filtre_territoire(c.territoire, c.millesime) if c.territoire else None
        return idx if idx.gere(filtre[0] if filtre else None, c.millesime) else None

    def _cube(
        self, c: Criteres, date: str
    ) -> list[tuple[str | None, str | None, str | None, bool, int]]:
        cle = _cle(c, date, str(self.e.chemin))
        with _verrou_cache:
            if cle in _cache_cubes:
                _cache_cubes.move_to_end(cle)
                return _cache_cubes[cle]
        idx = self._index_pour(c, date)
        if idx is not None:
            filtre = self._filtre_territoire(c.territoire, c.millesime) if c.territoire else None
            pos = idx.selection(
                filtre, c.millesime, employeur=c.employeur, proche_qpv_m=c.proche_qpv_m
            )
            cube = idx.cube(pos, c.millesime)
        elif c.q is None and c.proche_qpv_m is None and c.employeur is None:
            # only a territory (or none): the cube comes from the per-level cubes
            filtre = self._filtre_territoire(c.territoire, c.millesime) if c.territoire else None
            colonne, code = filtre or (None, "FR")
            cube = self._cubes_par_territoire(date, c.millesime, colonne).cube(code)
        else:
            where, params = self._where(c, date, sauf=FACETTES)
            lignes = self.e.con.execute(
                f"SELECT famille_ess, secteur_ess, {_CAS_TAILLE}, qpv_{c.millesime} IS NOT NULL, "
                f"count(*) FROM etablissements_ess WHERE {where} GROUP BY ALL",
                params,
            ).fetchall()
            cube = [(f, s, t, bool(q), int(n)) for f, s, t, q, n in lignes]
        with _verrou_cache:
            _cache_cubes[cle] = cube
            while len(_cache_cubes) > _CACHE_MAX:
                _cache_cubes.popitem(last=False)
        return cube

    def _cubes_par_territoire(self, date: str, millesime: str, colonne: str | None) -> CubesNiveau:
        """The cubes of every territory of one level (``colonne``: commune, epci, departement,
        region, qpv_<millésime>; None for France), computed by one scan the first time the
        level is asked for and kept for the process's lifetime in Arrow (one row per non-empty
        cell, sorted by territory: a few MB for a level of 35,000 communes), instead of a scan
        per territory. Territories without any establishment have an empty cube."""
        cle = (str(self.e.chemin), date, millesime, colonne)
        with _verrou_cache:
            verrou = _verrous_niveaux.setdefault(cle, threading.Lock())
        with verrou:  # computed once, concurrent requests for the same level wait for it
            if cle not in _cubes_niveaux:
                groupe = f"CAST({colonne} AS VARCHAR)" if colonne else "'FR'"
                present = f" AND {colonne} IS NOT NULL" if colonne else ""
                table = self.e.con.execute(
                    f"SELECT {groupe} AS territoire, famille_ess, secteur_ess, {_CAS_TAILLE}, "
                    f"qpv_{millesime} IS NOT NULL, count(*) FROM etablissements_ess "
                    f"WHERE date_stock = ? AND etat = 'A'{present} GROUP BY ALL ORDER BY 1",
                    [date],
                ).fetch_arrow_table()
                _cubes_niveaux[cle] = CubesNiveau(table)
            return _cubes_niveaux[cle]

    @staticmethod
    def _retenue(
        c: Criteres, cellule: tuple[str | None, str | None, str | None, bool, int], sauf: str
    ) -> bool:
        """Whether a cube cell passes every facet filter of ``c`` except ``sauf``."""
        famille, secteur, taille, en_qpv, _ = cellule
        if c.famille and sauf != "famille" and famille not in c.famille:
            return False
        if c.secteur and sauf != "secteur" and secteur not in c.secteur:
            return False
        if c.taille and sauf != "taille" and taille not in c.taille:
            return False
        if sauf != "perimetre":
            if c.perimetre == "en_qpv" and not en_qpv:
                return False
            if c.perimetre == "hors_qpv" and en_qpv:
                return False
        return True

    def _comptes(self, c: Criteres, date: str) -> tuple[int, dict[str, dict[str, int]]]:
        cube = self._cube(c, date)
        total = sum(cel[4] for cel in cube if self._retenue(c, cel, sauf=""))
        return total, self._facettes_du_cube(c, cube)

    def _facettes_du_cube(
        self, c: Criteres, cube: list[tuple[str | None, str | None, str | None, bool, int]]
    ) -> dict[str, dict[str, int]]:
        res: dict[str, dict[str, int]] = {}
        for nom, i in (("famille", 0), ("secteur", 1)):
            compte: dict[str, int] = {}
            for cel in cube:
                k = cel[i]
                if k is not None and self._retenue(c, cel, sauf=nom):
                    compte[str(k)] = compte.get(str(k), 0) + cel[4]
            res[nom] = dict(sorted(compte.items(), key=lambda kv: (-kv[1], kv[0])))
        par_taille: dict[str, int] = {}
        for cel in cube:
            if cel[2] is not None and self._retenue(c, cel, sauf="taille"):
                par_taille[str(cel[2])] = par_taille.get(str(cel[2]), 0) + cel[4]
        res["taille"] = {t: par_taille[t] for t in TAILLES if t in par_taille}
        en = hors = 0
        for cel in cube:
            if self._retenue(c, cel, sauf="perimetre"):
                if cel[3]:
                    en += cel[4]
                else:
                    hors += cel[4]
        res["perimetre"] = {"en_qpv": en, "hors_qpv": hors}
        return res

    def _filtre_territoire(self, territoire: str, millesime: str) -> tuple[str, str] | None:
        """(column, code) selecting the territory's establishments; None for the whole of France.

        Resolved once per process and territory (unknown territories raise each time)."""
        cle = (str(self.e.chemin), territoire, millesime)
        with _verrou_cache:
            if cle in _cache_territoires:
                _cache_territoires.move_to_end(cle)
                return _cache_territoires[cle]
        terr = self.e.territoire(territoire, millesime)
        filtre: tuple[str, str] | None = None
        if terr["type"] == "qpv":
            filtre = (f"qpv_{terr['millesime']}", str(terr["code"]))
        elif terr["type"] != "france":
            filtre = (str(terr["type"]), str(terr["code"]))
        with _verrou_cache:
            _cache_territoires[cle] = filtre
            while len(_cache_territoires) > _CACHE_MAX:
                _cache_territoires.popitem(last=False)
        return filtre

    def _where(
        self, c: Criteres, date: str, sauf: str | tuple[str, ...] | None = None
    ) -> tuple[str, list[Any]]:
        sauf_ = (sauf,) if isinstance(sauf, str) else (sauf or ())
        m = c.millesime
        conds = ["date_stock = ?", "etat = 'A'"]
        params: list[Any] = [date]
        if c.territoire:
            filtre = self._filtre_territoire(c.territoire, m)
            if filtre is not None:
                conds.append(f"{filtre[0]} = ?")
                params.append(filtre[1])
        if "perimetre" not in sauf_:
            if c.perimetre == "en_qpv":
                conds.append(f"qpv_{m} IS NOT NULL")
            elif c.perimetre == "hors_qpv":
                conds.append(f"qpv_{m} IS NULL")
        if c.famille and "famille" not in sauf_:
            conds.append(f"famille_ess IN ({', '.join('?' * len(c.famille))})")
            params.extend(c.famille)
        if c.secteur and "secteur" not in sauf_:
            conds.append(f"secteur_ess IN ({', '.join('?' * len(c.secteur))})")
            params.extend(c.secteur)
        if c.taille and "taille" not in sauf_:
            morceaux = []
            for t in c.taille:
                bas, haut = TAILLES[t]
                morceaux.append(
                    "(coalesce(effectif_central, 0) > ? AND coalesce(effectif_central, 0) <= ?)"
                )
                params.extend([bas, haut])
            conds.append("(" + " OR ".join(morceaux) + ")")
        if c.employeur is not None:
            conds.append("coalesce(employeur, false) = ?")
            params.append(c.employeur)
        if c.proche_qpv_m is not None:
            conds.append(f"distance_qpv_{m}_m <= ?")
            params.append(float(c.proche_qpv_m))
        if c.q:
            mots = [w for w in c.q.lower().split() if w][:8]
            for mot in mots:
                conds.append(f"(contains({self._nom}, strip_accents(?)) OR starts_with(siret, ?))")
                params.extend([mot, mot])
        return " AND ".join(conds), params

    def verifier(self, c: Criteres) -> str:
        """Check the criteria; return the stock date served."""
        if c.perimetre not in PERIMETRES:
            raise ErreurUtilisateur(
                f"Périmètre inconnu : {c.perimetre}.",
                champ="perimetre",
                correctif=f"choisir parmi : {', '.join(PERIMETRES)}.",
            )
        if c.tri not in TRIS:
            raise ErreurUtilisateur(
                f"Tri inconnu : {c.tri}.",
                champ="tri",
                correctif=f"choisir parmi : {', '.join(TRIS)}.",
            )
        for t in c.taille:
            if t not in TAILLES:
                raise ErreurUtilisateur(
                    f"Classe de taille inconnue : {t}.",
                    champ="taille",
                    correctif=f"choisir parmi : {', '.join(TAILLES)}.",
                )
        if c.millesime not in self.e.millesimes():
            raise ErreurUtilisateur(
                f"Millésime QPV absent de l'entrepôt : {c.millesime}.",
                champ="millesime",
                correctif=f"choisir parmi : {', '.join(self.e.millesimes())}.",
            )
        return self.e._date(c.date_stock)

    def _colonnes(self, m: str) -> str:
        return (
            "siret, siren, denomination, enseigne, famille_ess, secteur_ess, naf, tranche_effectif, "
            "effectif_central, employeur, date_creation, commune, epci, departement, lon, lat, "
            f"qpv_{m} AS qpv, round(distance_qpv_{m}_m, 1) AS distance_qpv_m"
        )

    @staticmethod
    def _ligne(noms: list[str], r: tuple) -> dict[str, Any]:
        d = dict(zip(noms, r, strict=True))
        if d["date_creation"] is not None:
            d["date_creation"] = d["date_creation"].isoformat()
        return d

    def chercher(self, c: Criteres, limite: int = 50, curseur: str | None = None) -> dict[str, Any]:
        if not 1 <= limite <= LIMITE_MAX:
            raise ErreurUtilisateur(
                f"Taille de page hors limites : {limite}.",
                champ="limite",
                correctif=f"choisir une taille de page entre 1 et {LIMITE_MAX}.",
            )
        date = self.verifier(c)
        idx = self._index_pour(c, date)
        if idx is not None:
            return self._chercher_en_memoire(idx, c, date, limite, curseur)
        expr, desc = TRIS[c.tri]
        expr = expr.format(m=c.millesime)
        where, params = self._where(c, date)
        total, facettes = self._comptes(c, date)
        sql_where, sql_params = where, list(params)
        if curseur:
            cur = self._curseur(curseur, c, date)
            op = "<" if desc else ">"
            sql_where += f" AND (({expr}) {op} ? OR (({expr}) = ? AND siret > ?))"
            sql_params.extend([cur["k"], cur["k"], cur["s"]])
        ordre = f"{expr} {'DESC' if desc else 'ASC'}, siret ASC"
        noms: list[str] = []
        lignes: list[tuple[Any, ...]] = []
        if total:  # the exact total is known: an empty search needs no page query
            res = self.e.con.execute(
                f"SELECT {self._colonnes(c.millesime)}, {expr} AS _cle FROM etablissements_ess "
                f"WHERE {sql_where} ORDER BY {ordre} LIMIT {limite + 1}",
                sql_params,
            )
            noms = [d[0] for d in res.description]
            lignes = res.fetchall()
        suivant = None
        if len(lignes) > limite:
            lignes = lignes[:limite]
            dernier = dict(zip(noms, lignes[-1], strict=True))
            cle = dernier["_cle"]
            if hasattr(cle, "isoformat"):
                cle = cle.isoformat()
            suivant = _encoder({"d": date, "t": c.tri, "k": cle, "s": dernier["siret"]})
        resultats = []
        for r in lignes:
            d = self._ligne(noms, r)
            d.pop("_cle")
            resultats.append(d)
        return {
            "date_stock": date,
            "millesime_qpv": c.millesime,
            "total": total,
            "resultats": resultats,
            "suivant": suivant,
            "facettes": facettes,
        }

    @staticmethod
    def _curseur(curseur: str, c: Criteres, date: str) -> dict[str, Any]:
        cur = _decoder(curseur)
        if cur["d"] != date or cur["t"] != c.tri:
            raise ErreurUtilisateur(
                "Ce curseur appartient à une autre recherche (date de stock ou tri différents).",
                champ="curseur",
                correctif="relancer la recherche sans curseur.",
            )
        return cur

    def _chercher_en_memoire(
        self, idx: IndexAnnuaire, c: Criteres, date: str, limite: int, curseur: str | None
    ) -> dict[str, Any]:
        """The same answer as the SQL path, from the serving index."""
        seuil = None
        if curseur:
            cur = self._curseur(curseur, c, date)
            seuil = idx.seuil(c.tri, c.millesime, cur["k"], cur["s"])
        total, facettes = self._comptes(c, date)
        resultats: list[dict[str, Any]] = []
        suivant = None
        if total:
            filtre = self._filtre_territoire(c.territoire, c.millesime) if c.territoire else None
            pos = idx.selection(
                filtre,
                c.millesime,
                famille=c.famille,
                secteur=c.secteur,
                taille=c.taille,
                perimetre=c.perimetre,
                employeur=c.employeur,
                proche_qpv_m=c.proche_qpv_m,
            )
            resultats, cle, siret = idx.page(pos, c.tri, c.millesime, limite, seuil)
            if cle is not None:
                suivant = _encoder({"d": date, "t": c.tri, "k": cle, "s": siret})
        return {
            "date_stock": date,
            "millesime_qpv": c.millesime,
            "total": total,
            "resultats": resultats,
            "suivant": suivant,
            "facettes": facettes,
        }

    def facettes(self, c: Criteres, date: str) -> dict[str, dict[str, int]]:
        """Counts per value of each facet, under every other active filter."""
        return self._facettes_du_cube(c, self._cube(c, date))

    def exporter(self, c: Criteres) -> tuple[list[str], list[dict[str, Any]], str]:
        """Every matching row (up to EXPORT_MAX) for the CSV export; returns names, rows, date."""
        date = self.verifier(c)
        expr, desc = TRIS[c.tri]
        expr = expr.format(m=c.millesime)
        where, params = self._where(c, date)
        res = self.e.con.execute(
            f"SELECT {self._colonnes(c.millesime)} FROM etablissements_ess WHERE {where} "
            f"ORDER BY {expr} {'DESC' if desc else 'ASC'}, siret LIMIT {EXPORT_MAX + 1}",
            params,
        )
        noms = [d[0] for d in res.description]
        lignes = res.fetchall()
        if len(lignes) > EXPORT_MAX:
            raise ErreurUtilisateur(
                f"L'export dépasse {EXPORT_MAX} établissements.",
                correctif="restreindre la recherche (territoire, famille, secteur) ou utiliser "
                "« essq exporter » en ligne de commande.",
            )
        return noms, [self._ligne(noms, r) for r in lignes], date
