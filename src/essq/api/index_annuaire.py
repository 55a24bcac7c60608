"""The directory's serving index: the active ESS establishments of one stock date held in
memory by each serving process, so that a directory page is a few array operations instead of
a scan of the warehouse table.

Why: a page query in DuckDB costs 3 to 12 ms on a populated territory (the territory filter
scans whole row groups, the name key is recomputed for every row), several times the budget
of a directory search under load. The index answers the searches that most users make —
a territory (or France), the facets (famille, secteur, taille, en/hors QPV), employeur,
« à moins de N m d'un QPV », any sort, any page — in well under a millisecond of work;
free-text searches (``q``) and older stock dates stay on the SQL path.

What it holds (loaded once from the read-only warehouse, with the same SQL expressions as the
SQL path so that both give the same rows, in the same order, with the same cursors):

- the rows of ``etablissements_ess`` for the date, ``etat = 'A'`` (the displayed columns, the
  low-cardinality ones as Arrow dictionaries);
- for every sort, each row's rank in that order (key then SIRET, with the SQL path's key
  expressions, e.g. ``lower(coalesce(denomination, enseigne, '~'))`` for the name, computed by
  DuckDB; keys compared bytewise, as DuckDB does);
- the filter columns as small integer codes (dictionary indices), and per territory level the
  positions of each territory's rows, built the first time the level is asked for.

Cursors are the SQL path's (stock date, sort, last row's key and SIRET): a cursor is turned
into a rank threshold by bisection over the sort's order, so a cursor given by either path is
followed by the other one.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as Date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from essq.erreurs import ErreurUtilisateur

# The displayed columns, in the order of the SQL path's answers (``qpv`` and
# ``distance_qpv_m`` are those of the requested millésime).
COLONNES_AFFICHEES = (
    "siret",
    "siren",
    "denomination",
    "enseigne",
    "famille_ess",
    "secteur_ess",
    "naf",
    "tranche_effectif",
    "effectif_central",
    "employeur",
    "date_creation",
    "commune",
    "epci",
    "departement",
    "lon",
    "lat",
)
NIVEAUX = ("commune", "epci", "departement", "region")
_DICTIONNAIRES = frozenset(
    {"famille_ess", "secteur_ess", "naf", "tranche_effectif", "taille", *NIVEAUX}
)


def _indices(tableau: pa.Array) -> np.ndarray:
    return tableau.to_numpy(zero_copy_only=False).astype(np.int32)


def _avec_none(codes: tuple[np.ndarray, list[Any]]) -> tuple[np.ndarray, list[Any]]:
    """Codes and values with None last, so that code -1 (NULL) reads None."""
    return codes[0], [*codes[1], None]


def _inverse(permutation: np.ndarray) -> np.ndarray:
    """The inverse permutation (rank -> row becomes row -> rank)."""
    inverse = np.empty(len(permutation), dtype=np.int32)
    inverse[permutation] = np.arange(len(permutation), dtype=np.int32)
    return inverse


def _dictionnaire(nom: str) -> bool:
    """Whether a fetched column is held as dictionary codes (few distinct values)."""
    return nom in _DICTIONNAIRES or nom.startswith("qpv_")


def _codes(colonne: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Dictionary codes of a column (-1 for NULL; int8, int16 or int32, the smallest that
    holds them) and the dictionary's values."""
    encodee = colonne.combine_chunks() if isinstance(colonne, pa.ChunkedArray) else colonne
    encodee = encodee.dictionary_encode()
    valeurs = encodee.dictionary.to_pylist()
    type_ = np.int8 if len(valeurs) < 2**7 else np.int16 if len(valeurs) < 2**15 else np.int32
    codes = encodee.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(type_)
    return codes, valeurs


@dataclass(frozen=True)
class Ordre:
    """One sort: each row's rank, the rows in that order, and how to compare a cursor key."""

    rang: np.ndarray  # int32, row -> rank
    rangs: np.ndarray  # int32, rank -> row
    cle: Callable[[int], Any]  # position -> comparable key (ascending in rank order)
    convertir: Callable[[Any], Any]  # cursor's "k" -> comparable key
    valeur: Callable[[int], Any]  # position -> the cursor's "k" (the SQL key's value)


class Groupes:
    """The positions of each territory's rows for one level column."""

    def __init__(self, codes: np.ndarray, valeurs: list[Any]) -> None:
        ordre = np.argsort(codes, kind="stable").astype(np.int32)
        tries = codes[ordre]
        self.positions = ordre
        self._bornes: dict[str, tuple[int, int]] = {}
        debuts = np.searchsorted(tries, np.arange(len(valeurs)), side="left")
        fins = np.searchsorted(tries, np.arange(len(valeurs)), side="right")
        for i, v in enumerate(valeurs):
            self._bornes[str(v)] = (int(debuts[i]), int(fins[i]))

    def de(self, code: str) -> np.ndarray:
        debut, fin = self._bornes.get(code, (0, 0))
        return self.positions[debut:fin]


class IndexAnnuaire:
    """The active ESS establishments of one stock date, in memory (see the module's doc)."""

    def __init__(self, con: Any, date: str, millesimes: list[str], cas_taille: str) -> None:
        self.date = date
        self.millesimes = list(millesimes)
        qpv = ", ".join(
            f"qpv_{m}, distance_qpv_{m}_m, round(distance_qpv_{m}_m, 1) AS distance_affichee_{m}"
            for m in self.millesimes
        )
        brute = con.execute(
            f"""SELECT {", ".join(COLONNES_AFFICHEES)}, region, {qpv}, {cas_taille} AS taille,
                lower(coalesce(denomination, enseigne, '~')) AS cle_nom
            FROM etablissements_ess WHERE date_stock = ? AND etat = 'A'""",
            [date],
        ).fetch_arrow_table()
        self.n = brute.num_rows

        def prendre(nom: str) -> pa.Array:
            """A column, removed from the fetched table so that its memory goes as it is
            converted (the load's peak stays near the index's own size)."""
            nonlocal brute
            colonne = brute.column(nom).combine_chunks()
            brute = brute.drop_columns([nom])
            return colonne

        # low-cardinality text columns as dictionary codes, shared by filters and display
        codes = {nom: _codes(prendre(nom)) for nom in brute.column_names if _dictionnaire(nom)}
        creation = prendre("date_creation")
        codes["date_creation"] = _codes(pc.cast(creation, pa.string()))
        epoque = Date(1970, 1, 1).toordinal()
        self._creation = (
            creation.cast(pa.int32())
            .fill_null(Date(1800, 1, 1).toordinal() - epoque)
            .to_numpy()
            .astype(np.int32)
        )
        del creation
        # the displayed columns: text ones with few values as (codes, values + [None]) —
        # reading 50 values of a list is ten times cheaper than decoding an Arrow dictionary
        self._affichage: dict[str, pa.Array | tuple[np.ndarray, list[Any]]] = {
            nom: _avec_none(codes[nom]) if nom in codes else prendre(nom)
            for nom in COLONNES_AFFICHEES
        }
        self._qpv_affiche: dict[str, tuple[tuple[np.ndarray, list[Any]], pa.Array]] = {
            m: (_avec_none(codes[f"qpv_{m}"]), prendre(f"distance_affichee_{m}"))
            for m in self.millesimes
        }
        siret = self._affichage["siret"]
        assert isinstance(siret, pa.Array)
        self._siret = siret
        self._cle_nom = prendre("cle_nom")
        effectif = self._affichage["effectif_central"]
        assert isinstance(effectif, pa.Array)
        self._effectif = effectif.fill_null(-1.0).to_numpy()
        employeur = self._affichage["employeur"]
        assert isinstance(employeur, pa.Array)
        self._employeur = employeur.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
        self._famille, self.familles = codes["famille_ess"]
        self._secteur, self.secteurs = codes["secteur_ess"]
        self._taille, self.tailles = codes["taille"]
        self._distance = {
            m: prendre(f"distance_qpv_{m}_m").to_numpy(zero_copy_only=False)
            for m in self.millesimes
        }
        self._qpv_codes = {m: codes[f"qpv_{m}"] for m in self.millesimes}
        self._niveaux = {n: codes[n] for n in NIVEAUX}
        del brute, codes
        self._groupes: dict[str, Groupes] = {}
        self._verrou = threading.Lock()
        self._toutes = np.arange(self.n, dtype=np.int32)

        # every sort is a rank per row; ties on the key are broken by SIRET, as in SQL
        par_siret = _indices(pc.sort_indices(self._siret))
        rang_siret = _inverse(par_siret)
        siret = self._siret_de

        def ordre(
            rangs: np.ndarray,
            cle: Callable[[int], Any],
            conv: Callable[[Any], Any],
            val: Callable[[int], Any],
        ) -> Ordre:
            return Ordre(_inverse(rangs), rangs, cle, conv, val)

        def selon(cle: np.ndarray) -> np.ndarray:  # rows by (key ascending, SIRET)
            return np.lexsort((rang_siret, cle)).astype(np.int32)

        self._ordres: dict[str, Ordre] = {
            "nom": ordre(
                _indices(
                    pc.sort_indices(
                        pa.table({"c": self._cle_nom, "s": self._siret}),
                        sort_keys=[("c", "ascending"), ("s", "ascending")],
                    )
                ),
                lambda p: (self._cle_nom[p].as_py(), siret(p)),
                lambda k: str(k),
                lambda p: self._cle_nom[p].as_py(),
            ),
            "effectif": ordre(
                selon(-self._effectif),
                lambda p: (-float(self._effectif[p]), siret(p)),
                lambda k: -float(k),
                lambda p: float(self._effectif[p]),
            ),
            "creation": ordre(
                selon(-self._creation),
                lambda p: (-int(self._creation[p]), siret(p)),
                lambda k: -(Date.fromisoformat(str(k)).toordinal() - epoque),
                lambda p: Date.fromordinal(int(self._creation[p]) + epoque).isoformat(),
            ),
            "siret": ordre(
                par_siret,
                lambda p: ("", siret(p)),
                lambda k: "",
                siret,
            ),
        }
        for m in self.millesimes:
            self._ordres[f"distance_qpv_{m}"] = self._ordre_distance(m, selon, ordre)
        # give back to the system what the load used transiently (about 0.6 GB nationally)
        pa.default_memory_pool().release_unused()

    def _ordre_distance(
        self,
        millesime: str,
        selon: Callable[[np.ndarray], np.ndarray],
        ordre: Callable[..., Ordre],
    ) -> Ordre:
        """Nearest QPV of the millésime first (unknown distances last), then SIRET."""
        dist = np.where(np.isnan(self._distance[millesime]), 1e12, self._distance[millesime])

        def cle(p: int) -> tuple[float, str]:
            return float(dist[p]), self._siret_de(p)

        def valeur(p: int) -> float:
            return float(dist[p])

        return ordre(selon(dist), cle, float, valeur)

    def _siret_de(self, position: int) -> str:
        return str(self._siret[position].as_py())

    # ------------------------------------------------------------------ selection
    def _groupes_de(self, colonne: str) -> Groupes:
        with self._verrou:
            if colonne not in self._groupes:
                if colonne.startswith("qpv_"):
                    codes, valeurs = self._qpv_codes[colonne.removeprefix("qpv_")]
                else:
                    codes, valeurs = self._niveaux[colonne]
                self._groupes[colonne] = Groupes(codes, valeurs)
            return self._groupes[colonne]

    def gere(self, colonne: str | None, millesime: str) -> bool:
        """Whether the index serves searches on this territory column and millésime."""
        return millesime in self.millesimes and (
            colonne is None
            or colonne in NIVEAUX
            or (colonne.startswith("qpv_") and colonne.removeprefix("qpv_") in self.millesimes)
        )

    @staticmethod
    def _masque_valeurs(
        codes: np.ndarray, dictionnaire: list[Any], voulues: list[str]
    ) -> np.ndarray:
        permis = [i for i, v in enumerate(dictionnaire) if v in set(voulues)]
        return np.isin(codes, np.asarray(permis, dtype=np.int32))

    def selection(
        self,
        filtre: tuple[str, str] | None,
        millesime: str,
        *,
        famille: list[str] | None = None,
        secteur: list[str] | None = None,
        taille: list[str] | None = None,
        perimetre: str = "ensemble",
        employeur: bool | None = None,
        proche_qpv_m: float | None = None,
    ) -> np.ndarray:
        """Positions of the rows passing the filters."""
        pos = self._toutes if filtre is None else self._groupes_de(filtre[0]).de(filtre[1])
        masque: np.ndarray | None = None

        def et(m: np.ndarray) -> None:
            nonlocal masque
            masque = m if masque is None else masque & m

        if famille:
            et(self._masque_valeurs(self._famille[pos], self.familles, famille))
        if secteur:
            et(self._masque_valeurs(self._secteur[pos], self.secteurs, secteur))
        if taille:
            et(self._masque_valeurs(self._taille[pos], self.tailles, taille))
        if perimetre != "ensemble":
            en_qpv = self._qpv_codes[millesime][0][pos] >= 0
            et(en_qpv if perimetre == "en_qpv" else ~en_qpv)
        if employeur is not None:
            et(self._employeur[pos] == employeur)
        if proche_qpv_m is not None:
            with np.errstate(invalid="ignore"):
                et(self._distance[millesime][pos] <= proche_qpv_m)
        return pos if masque is None else pos[masque]

    def cube(self, pos: np.ndarray, millesime: str) -> list[tuple[Any, Any, Any, bool, int]]:
        """Counts per (famille, secteur, taille, en QPV) cell of the rows ``pos``."""
        nf, ns, nt = len(self.familles) + 1, len(self.secteurs) + 1, len(self.tailles) + 1
        f = np.where(self._famille[pos] < 0, nf - 1, self._famille[pos]).astype(np.int64)
        s = np.where(self._secteur[pos] < 0, ns - 1, self._secteur[pos]).astype(np.int64)
        t = np.where(self._taille[pos] < 0, nt - 1, self._taille[pos]).astype(np.int64)
        q = (self._qpv_codes[millesime][0][pos] >= 0).astype(np.int64)
        cellules = ((f * ns + s) * nt + t) * 2 + q
        comptes = np.bincount(cellules, minlength=nf * ns * nt * 2)
        familles = [*self.familles, None]
        secteurs = [*self.secteurs, None]
        tailles = [*self.tailles, None]
        cube = []
        for cellule in np.flatnonzero(comptes):
            c = int(cellule)
            c, en_qpv = divmod(c, 2)
            c, it = divmod(c, nt)
            i_f, i_s = divmod(c, ns)
            cube.append(
                (familles[i_f], secteurs[i_s], tailles[it], bool(en_qpv), int(comptes[cellule]))
            )
        return cube

    # ------------------------------------------------------------------ pages
    def _ordre(self, tri: str, millesime: str) -> Ordre:
        return self._ordres[f"distance_qpv_{millesime}" if tri == "distance_qpv" else tri]

    def seuil(self, tri: str, millesime: str, cle: Any, siret: Any) -> int:
        """Rank of the first row after the cursor (key ``cle``, SIRET ``siret``)."""
        o = self._ordre(tri, millesime)
        try:
            cible = (o.convertir(cle), str(siret))
        except (TypeError, ValueError) as exc:
            raise ErreurUtilisateur(
                "Curseur de pagination illisible.",
                champ="curseur",
                correctif="reprendre la valeur « suivant » renvoyée par la page précédente, "
                "sans la modifier.",
            ) from exc
        rangs = o.rangs
        return bisect_right(range(self.n), cible, key=lambda r: o.cle(int(rangs[r])))

    def page(
        self, pos: np.ndarray, tri: str, millesime: str, limite: int, seuil: int | None
    ) -> tuple[list[dict[str, Any]], Any, str | None]:
        """The first ``limite`` rows of ``pos`` in the sort's order from rank ``seuil``;
        returns the rows, the last row's key and SIRET when a further row exists."""
        o = self._ordre(tri, millesime)
        rangs = o.rang[pos]
        if seuil is not None:
            garde = rangs >= seuil
            pos, rangs = pos[garde], rangs[garde]
        n = limite + 1
        if len(rangs) > n:
            part = np.argpartition(rangs, n - 1)[:n]
            pos, rangs = pos[part], rangs[part]
        choix = pos[np.argsort(rangs)]
        suite = len(choix) > limite
        choix = choix[:limite]
        lignes = self._lignes(choix, millesime)
        if suite and len(choix):
            dernier = int(choix[-1])
            return lignes, o.valeur(dernier), self._siret_de(dernier)
        return lignes, None, None

    def _lignes(self, choix: np.ndarray, millesime: str) -> list[dict[str, Any]]:
        indices = pa.array(choix, type=pa.int32())

        def lire(colonne: pa.Array | tuple[np.ndarray, list[Any]]) -> list[Any]:
            if isinstance(colonne, tuple):  # NULL is code -1: the list's last value, None
                codes, valeurs = colonne
                return [valeurs[i] for i in codes[choix].tolist()]
            return colonne.take(indices).to_pylist()

        colonnes = {nom: lire(col) for nom, col in self._affichage.items()}
        qpv, distance = self._qpv_affiche[millesime]
        colonnes["qpv"] = lire(qpv)
        colonnes["distance_qpv_m"] = lire(distance)
        noms = list(colonnes)
        return [
            dict(zip(noms, ligne, strict=True)) for ligne in zip(*colonnes.values(), strict=True)
        ]
