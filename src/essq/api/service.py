"""What the API and the web pages read: one read-only warehouse, the imported territories and
the référentiel, shared by every request of a process.

DuckDB connections are not shared between threads: each thread gets its own cursor on the
connection opened at start-up (``Service.entrepot()``), so a process serves requests in
parallel without re-opening the file. Several processes (``--workers``) or replicas open the
same file read-only.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from essq.config import emplacements
from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.observatoire import Entrepot
from essq.observatoire.lecture import fiche_territoire, lire_territoire
from essq.observatoire.schema import MESURES, MESURES_REPARTITION
from essq.territoires import Territoires

# The fictional demo territory (essq.generateur) uses region and département « 00 », which the
# official geographic code cannot contain: a warehouse holding them serves demo data.
CODES_FICTIFS = {("region", "00"), ("departement", "00")}
CACHE_INDICATEURS = 4096  # territories kept per process (a few kB each)
# DuckDB threads per serving process. Requests are many and small (point lookups, one
# territory's rows): parallelism comes from concurrent requests (threads and --workers), and
# intra-query threads only add contention — a territory lookup costs 4 times less CPU with 1.
FILS_DUCKDB = 1


class Service:
    """Shared read-only state of one serving process."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = emplacements(home).home
        self._verrou = threading.Lock()
        self._base: Entrepot | None = None
        self._local = threading.local()
        self._territoires: Territoires | None = None
        self._demo: bool | None = None
        self._cache_indicateurs: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._tables: TablesIndicateurs | None = None

    # ------------------------------------------------------------------ warehouse
    def _ouvrir(self) -> Entrepot:
        with self._verrou:
            if self._base is None:
                base = Entrepot.ouvrir(self.home, lecture_seule=True)
                base.con.execute(f"SET threads = {FILS_DUCKDB}")
                self._base = base
            return self._base

    def entrepot(self) -> Entrepot:
        """This thread's view of the warehouse (raises DonneesAbsentes when none is built)."""
        e = getattr(self._local, "entrepot", None)
        if e is None:
            base = self._ouvrir()
            e = EntrepotServi(base.con.cursor(), base.chemin, self.tables_indicateurs)
            self._local.entrepot = e
        return e

    def tables_indicateurs(self) -> TablesIndicateurs:
        """The indicator tables of the warehouse in memory, loaded once per process."""
        base = self._ouvrir()
        with self._verrou:
            if self._tables is None:
                self._tables = TablesIndicateurs(base.con.cursor())
            return self._tables

    def indicateurs_en_cache(
        self, territoire: str, date_stock: str | None, millesime: str
    ) -> bytes | None:
        """The cached JSON of :meth:`indicateurs_json`, or None when not computed yet."""
        cle = (territoire, date_stock, millesime)
        with self._verrou:
            corps = self._cache_indicateurs.get(cle)
            if corps is not None:
                self._cache_indicateurs.move_to_end(cle)
            return corps

    def indicateurs_json(self, territoire: str, date_stock: str | None, millesime: str) -> bytes:
        """The indicators of a territory as JSON bytes, cached per process (read-only data)."""
        cle = (territoire, date_stock, millesime)
        corps = self.indicateurs_en_cache(territoire, date_stock, millesime)
        if corps is not None:
            return corps
        res = self.entrepot().indicateurs(territoire, date_stock=date_stock, millesime=millesime)
        corps = json.dumps(
            res, default=str, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()
        with self._verrou:
            self._cache_indicateurs[cle] = corps
            while len(self._cache_indicateurs) > CACHE_INDICATEURS:
                self._cache_indicateurs.popitem(last=False)
        return corps

    def territoires(self) -> Territoires:
        with self._verrou:
            if self._territoires is None:
                t = Territoires.charger(self.home)
                t.commune("00000")  # prepares the COG tables once, before threads share them
                self._territoires = t
            return self._territoires

    def donnees_demo(self) -> bool:
        """True when the served warehouse holds the fictional demo territory."""
        if self._demo is None:
            try:
                lignes = self.entrepot().territoires()
            except DonneesAbsentes:
                return False
            self._demo = any((t["niveau"], t["code"]) in CODES_FICTIFS for t in lignes)
        return self._demo

    def prechauffer(self) -> None:
        """Open everything once at start-up so the first requests are not slower (the
        directory's serving index of a national warehouse takes a few seconds to load)."""
        for etape in (
            self.entrepot,
            self.tables_indicateurs,
            self.territoires,
            self.donnees_demo,
            self.index_annuaire,
        ):
            with suppress(DonneesAbsentes):
                etape()
        try:
            from essq.referentiel import charger

            charger().index()
        except ErreurUtilisateur:
            pass

    def index_annuaire(self) -> None:
        """Load the directory's serving index of the latest stock date (essq.api.annuaire)."""
        from essq.api.annuaire import index_annuaire

        index_annuaire(self.entrepot())

    def fermer(self) -> None:
        with self._verrou:
            if self._base is not None:
                self._base.fermer()
                self._base = None


COLONNES_REPARTITIONS = ("dimension", "modalite", *MESURES_REPARTITION)


class TablesIndicateurs:
    """The warehouse's small tables ``territoires``, ``indicateurs`` and ``repartitions`` held
    in memory (Arrow and a dictionary, a few tens of MB nationally), each territory's rows
    located by (niveau, code, date, millesime): an uncached indicator answer then costs three
    lookups instead of three DuckDB scans (over a millisecond each on the national warehouse).
    Read-only once built."""

    def __init__(self, con: Any) -> None:
        self.fiches: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        for ligne in con.execute(
            "SELECT niveau, code, libelle, millesime, epci, departement, region FROM territoires"
        ).fetchall():
            self.fiches.setdefault((ligne[0], ligne[1]), []).append(ligne)
        cle = "niveau, code, CAST(date_stock AS VARCHAR) AS d, millesime"
        self.mesures = con.execute(
            f"SELECT {cle}, perimetre, {', '.join(MESURES)} FROM indicateurs "
            "ORDER BY niveau, code, d, millesime, perimetre"
        ).fetch_arrow_table()
        self.repartitions = con.execute(
            f"SELECT {cle}, perimetre, {', '.join(COLONNES_REPARTITIONS)} FROM repartitions "
            "ORDER BY niveau, code, d, millesime, dimension, modalite"
        ).fetch_arrow_table()
        self._pos_mesures = self._positions(self.mesures)
        self._pos_repartitions = self._positions(self.repartitions)

    @staticmethod
    def _positions(table: Any) -> dict[tuple[str, str, str, str], tuple[int, int]]:
        cles = zip(
            *(table.column(n).to_pylist() for n in ("niveau", "code", "d", "millesime")),
            strict=True,
        )
        positions: dict[tuple[str, str, str, str], tuple[int, int]] = {}
        for i, cle in enumerate(cles):
            debut, _ = positions.get(cle, (i, i))
            positions[cle] = (debut, i + 1)
        return positions

    def _lignes(self, table: Any, positions: dict, cle: tuple) -> list[dict[str, Any]]:
        debut, fin = positions.get(cle, (0, 0))
        return table.slice(debut, fin - debut).to_pylist() if fin > debut else []

    def mesures_de(
        self, date: str, millesime: str, niveau: str, code: str
    ) -> dict[str, dict[str, Any]]:
        """What ``Entrepot._mesures`` returns, from memory."""
        lignes = self._lignes(self.mesures, self._pos_mesures, (niveau, code, date, millesime))
        return {li["perimetre"]: {m: li[m] for m in MESURES} for li in lignes}

    def repartitions_de(
        self, date: str, millesime: str, niveau: str, code: str
    ) -> dict[str, list[tuple]]:
        """What ``Entrepot._repartitions`` returns, from memory (same order)."""
        res: dict[str, list[tuple]] = {}
        cle = (niveau, code, date, millesime)
        for li in self._lignes(self.repartitions, self._pos_repartitions, cle):
            res.setdefault(li["perimetre"], []).append(tuple(li[c] for c in COLONNES_REPARTITIONS))
        return res


class EntrepotServi(Entrepot):
    """One thread's view of the served warehouse, its territory lookups shared by the process.

    The warehouse cannot change under a serving process: territories and indicator rows are
    answered from :class:`TablesIndicateurs` (memory); unknown territories go to the
    warehouse's own lookup, which refuses them with its French message.
    """

    def __init__(
        self,
        con: Any,
        chemin: Path,
        tables: Callable[[], TablesIndicateurs],
    ) -> None:
        super().__init__(con, chemin)
        self._tables = tables

    def _mesures(
        self, date: str, millesime: str, niveau: str, code: str
    ) -> dict[str, dict[str, Any]]:
        return self._tables().mesures_de(date, millesime, niveau, code)

    def _repartitions(
        self, date: str, millesime: str, niveau: str, code: str
    ) -> dict[str, list[tuple]]:
        return self._tables().repartitions_de(date, millesime, niveau, code)

    def territoire(self, territoire: str, millesime: str = "2024") -> dict[str, Any]:
        niveau, code = lire_territoire(territoire)
        lignes = self._tables().fiches.get((niveau, code))
        if lignes is None or len(lignes) != 1:  # unknown (refused) or several millésimes
            return super().territoire(territoire, millesime)
        return fiche_territoire(lignes[0])


@contextmanager
def traduire_inconnu(champ: str) -> Iterator[None]:
    """Turn the warehouse's « unknown territory » error into a 404 (Introuvable)."""
    try:
        yield
    except Introuvable:
        raise
    except ErreurUtilisateur as exc:
        if exc.champ == "TERRITOIRE" and "inconnu" in exc.message.lower():
            raise Introuvable(exc.message, champ=champ, correctif=exc.correctif) from exc
        raise


class Introuvable(ErreurUtilisateur):
    """The requested resource does not exist (HTTP 404)."""


class TropGrand(ErreurUtilisateur):
    """A request exceeds a size limit (HTTP 413)."""


def sans_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
