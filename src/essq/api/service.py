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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from essq.config import emplacements
from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.observatoire import Entrepot
from essq.territoires import Territoires

# The fictional demo territory (essq.generateur) uses region and département « 00 », which the
# official geographic code cannot contain: a warehouse holding them serves demo data.
CODES_FICTIFS = {("region", "00"), ("departement", "00")}
CACHE_INDICATEURS = 4096  # territories kept per process (a few kB each)
CACHE_TERRITOIRES = 100_000  # resolved territories kept per process (every one nationally)
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
        self._fiches: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

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
            e = EntrepotServi(base.con.cursor(), base.chemin, self._fiches, self._verrou)
            self._local.entrepot = e
        return e

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
        """Open everything once at start-up so the first requests are not slower."""
        for etape in (self.entrepot, self.territoires, self.donnees_demo):
            with suppress(DonneesAbsentes):
                etape()
        try:
            from essq.referentiel import charger

            charger().index()
        except ErreurUtilisateur:
            pass

    def fermer(self) -> None:
        with self._verrou:
            if self._base is not None:
                self._base.fermer()
                self._base = None


class EntrepotServi(Entrepot):
    """One thread's view of the served warehouse, its territory lookups shared by the process.

    The warehouse cannot change under a serving process, so a territory resolved once (by the
    warehouse's own query) is answered from memory afterwards; unknown territories are looked
    up, and refused, each time.
    """

    def __init__(
        self,
        con: Any,
        chemin: Path,
        fiches: OrderedDict[tuple[str, str], dict[str, Any]],
        verrou: threading.Lock,
    ) -> None:
        super().__init__(con, chemin)
        self._fiches = fiches
        self._verrou_fiches = verrou

    def territoire(self, territoire: str, millesime: str = "2024") -> dict[str, Any]:
        cle = (territoire, millesime)
        with self._verrou_fiches:
            fiche = self._fiches.get(cle)
            if fiche is not None:
                self._fiches.move_to_end(cle)
        if fiche is None:
            fiche = super().territoire(territoire, millesime)
            with self._verrou_fiches:
                self._fiches[cle] = fiche
                while len(self._fiches) > CACHE_TERRITOIRES:
                    self._fiches.popitem(last=False)
        return dict(fiche)


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
