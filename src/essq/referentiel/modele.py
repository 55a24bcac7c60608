"""The loaded référentiel: entries by collection and id, resolved links and backlinks.

:func:`charger` reads and validates a folder once and caches the result; it re-reads the
folder only when a file changed (checked on each call from file sizes and modification times,
which costs well under a millisecond).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import pickle
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
from platformdirs import user_cache_dir

from essq.erreurs import ErreurUtilisateur
from essq.fichiers import ecriture_atomique
from essq.referentiel.schemas import COLLECTIONS, LIENS, SEEDS, Entree
from essq.referentiel.validation import (
    DOSSIER_DONNEES,
    Probleme,
    _affichage,
    empreinte,
    graines_citees,
    lire,
)

if TYPE_CHECKING:
    from essq.referentiel.recherche import Index, Resultats


class ReferentielInvalide(ErreurUtilisateur):
    """The référentiel folder has validation errors; ``problemes`` lists them all."""

    def __init__(self, problemes: Sequence[Probleme], dossier: Path) -> None:
        apercu = "\n".join(p.texte() for p in problemes[:5])
        suite = f"\n… et {len(problemes) - 5} autre(s)" if len(problemes) > 5 else ""
        super().__init__(
            f"Le référentiel {dossier} contient {len(problemes)} erreur(s) :\n{apercu}{suite}\n",
            correctif=f"Lancer « essq referentiel valider --dossier {dossier} » pour la liste complète, "
            "corriger les fichiers YAML indiqués, puis relancer.",
        )
        self.problemes = list(problemes)
        self.dossier = dossier


class IdentifiantInconnu(ErreurUtilisateur, KeyError):
    """No entry has this id."""

    def __str__(self) -> str:
        return self.texte()


@dataclass(frozen=True)
class Lien:
    """A resolved link between two entries.

    ``champ`` is the link field of the *source* entry (``besoins``, ``parent``…) or
    ``voir_aussi`` for free links.
    """

    source: str
    champ: str
    cible: str
    collection_source: str
    collection_cible: str


@dataclass(frozen=True)
class Origine:
    fichier: str
    ligne: int | None


class Referentiel:
    """Every valid entry of a référentiel folder, indexed by collection and id."""

    def __init__(
        self,
        entrees: Mapping[str, Sequence[Entree]],
        origines: Mapping[str, Origine] | None = None,
        dossier: Path | None = None,
    ) -> None:
        self.dossier = dossier
        self._collections: dict[str, list[Entree]] = {
            nom: list(entrees.get(nom, ())) for nom in COLLECTIONS
        }
        self._par_id: dict[str, Entree] = {}
        self._collection_de: dict[str, str] = {}
        for nom, liste in self._collections.items():
            for entree in liste:
                self._par_id[entree.id] = entree
                self._collection_de[entree.id] = nom
        self._origines = dict(origines or {})
        self._liens: dict[str, list[Lien]] = {}
        self._retroliens: dict[str, list[Lien]] = {}
        for nom, liste in self._collections.items():
            champs = [champ for (coll, champ) in LIENS if coll == nom]
            for entree in liste:
                sortants: list[Lien] = []
                for champ in champs:
                    valeur = getattr(entree, champ)
                    for cible in valeur if isinstance(valeur, list) else [valeur]:
                        if cible in self._collection_de:
                            sortants.append(
                                Lien(entree.id, champ, cible, nom, self._collection_de[cible])
                            )
                for libre in entree.voir_aussi:
                    cible = libre.partition(":")[2]
                    if cible in self._collection_de:
                        sortants.append(
                            Lien(entree.id, "voir_aussi", cible, nom, self._collection_de[cible])
                        )
                self._liens[entree.id] = sortants
                for lien in sortants:
                    self._retroliens.setdefault(lien.cible, []).append(lien)
        self._index: Index | None = None
        self._verrou = threading.Lock()

    # ------------------------------------------------------------ access

    @property
    def collections(self) -> tuple[str, ...]:
        """Every collection name, in the order of ``schemas.COLLECTIONS``."""
        return tuple(self._collections)

    def collection(self, nom: str) -> list[Entree]:
        """The entries of one collection (in file order). Unknown name: ErreurUtilisateur."""
        try:
            return list(self._collections[nom])
        except KeyError:
            raise ErreurUtilisateur(
                f"Collection « {nom} » inconnue",
                correctif=f"Choisir parmi : {', '.join(COLLECTIONS)}.",
                champ="collection",
            ) from None

    def get(self, ident: str) -> Entree | None:
        """The entry with this id, or None."""
        return self._par_id.get(ident)

    def collection_de(self, ident: str) -> str:
        """The collection of an entry; raises :class:`IdentifiantInconnu` for an unknown id."""
        try:
            return self._collection_de[ident]
        except KeyError:
            raise IdentifiantInconnu(
                f"Aucune entrée du référentiel n'a l'identifiant « {ident} »",
                correctif="Vérifier l'identifiant (essq referentiel chercher « mots » pour le retrouver).",
            ) from None

    def origine(self, ident: str) -> Origine | None:
        """File and line where the entry is written (None for entries built in memory)."""
        return self._origines.get(ident)

    def liens(self, ident: str) -> list[Lien]:
        """Outgoing links of an entry (typed fields, then ``voir_aussi``), all resolved."""
        self.collection_de(ident)
        return list(self._liens.get(ident, ()))

    def retroliens(self, ident: str) -> list[Lien]:
        """Links from other entries to this one (backlinks)."""
        self.collection_de(ident)
        return list(self._retroliens.get(ident, ()))

    def fiche(self, ident: str) -> dict[str, Any]:
        """An entry as JSON with where it is written, its seeds, its resolved links and
        backlinks (each with the title of the entry at the other end): the JSON of
        ``essq referentiel montrer --format json``, for the API and the web pages."""
        entree = self._par_id.get(ident)
        if entree is None:
            proches = difflib.get_close_matches(ident, list(self._par_id), n=3, cutoff=0.6)
            raise IdentifiantInconnu(
                f"Aucune entrée du référentiel n'a l'identifiant « {ident} »",
                correctif=(f"Vouliez-vous dire {', '.join(proches)} ? " if proches else "")
                + "Retrouver l'identifiant avec « essq referentiel chercher <mots> ».",
                champ="id",
            )

        def decrire(champ: str, autre: str) -> dict[str, str]:
            return {
                "champ": champ,
                "id": autre,
                "collection": self._collection_de[autre],
                "titre": self._par_id[autre].titre,
            }

        origine = self._origines.get(ident)
        return {
            "id": ident,
            "collection": self._collection_de[ident],
            "fichier": origine.fichier if origine else None,
            "ligne": origine.ligne if origine else None,
            "graines": list(graines_citees(entree)),
            "entree": entree.model_dump(mode="json", exclude_defaults=True),
            "liens": [decrire(lien.champ, lien.cible) for lien in self._liens.get(ident, ())],
            "retroliens": [
                decrire(lien.champ, lien.source) for lien in self._retroliens.get(ident, ())
            ],
        }

    def graines(self, ident: str) -> tuple[str, ...]:
        """Seed codes (« 000 »…« 004 ») cited in the entry's sources."""
        entree = self._par_id.get(ident)
        if entree is None:
            self.collection_de(ident)
        assert entree is not None
        return graines_citees(entree)

    def entrees_de_graine(self, graine: str, collection: str | None = None) -> list[Entree]:
        """Entries whose sources cite seed ``graine`` (« 001 »…), optionally in one collection."""
        if graine not in SEEDS:
            raise ErreurUtilisateur(
                f"Graine « {graine} » inconnue",
                correctif=f"Choisir parmi : {', '.join(SEEDS)}.",
            )
        noms = [collection] if collection else list(self._collections)
        return [e for nom in noms for e in self.collection(nom) if graine in graines_citees(e)]

    def stats(self) -> dict[str, int]:
        """``{collection: number of entries}`` for every collection."""
        return {nom: len(liste) for nom, liste in self._collections.items()}

    def stats_par_graine(self) -> dict[str, dict[str, int]]:
        """``{graine: {collection: count}}``: entries citing each seed (an entry may cite
        several seeds); entries citing no seed (official texts only) are under « autres »."""
        resultat: dict[str, dict[str, int]] = {
            g: dict.fromkeys(self._collections, 0) for g in [*SEEDS, "autres"]
        }
        for nom, liste in self._collections.items():
            for entree in liste:
                for graine in graines_citees(entree) or ("autres",):
                    resultat[graine][nom] += 1
        return resultat

    def __len__(self) -> int:
        return len(self._par_id)

    def __iter__(self) -> Iterator[Entree]:
        for liste in self._collections.values():
            yield from liste

    def __contains__(self, ident: object) -> bool:
        return ident in self._par_id

    def en_dict(self) -> dict[str, list[dict[str, Any]]]:
        """Every entry as JSON-ready dicts, by collection (default values omitted)."""
        return {
            nom: [e.model_dump(mode="json", exclude_defaults=True) for e in liste]
            for nom, liste in self._collections.items()
        }

    # ------------------------------------------------------------ search

    def index(self) -> Index:
        """The full-text index, built on first use then kept with this référentiel."""
        with self._verrou:
            if self._index is None:
                from essq.referentiel.recherche import Index

                self._index = Index(self)
            return self._index

    def chercher(
        self,
        texte: str,
        collection: str | None = None,
        filtres: Mapping[str, str | Sequence[str]] | None = None,
        limite: int = 20,
    ) -> Resultats:
        """Full-text search (accent-insensitive, French stemming, titre > mots_cles >
        description), restricted to one collection and filters, with facet counts.

        ``filtres`` maps a field (``stades``, ``echelle``, ``lieu.departement``, ``graine``…)
        to a value, or to several values (a list, or comma-separated) of which any may match.
        """
        return self.index().chercher(texte, collection=collection, filtres=filtres, limite=limite)


# ---------------------------------------------------------------- loading with a cache

_cache: dict[Path, tuple[tuple[Any, ...], Referentiel]] = {}
_verrou_cache = threading.Lock()
VARIABLE_CACHE = "ESSQ_CACHE_REFERENTIEL"
_FICHIERS_DU_CODE = ("schemas.py", "validation.py", "modele.py")


def valider(dossier: Path | str | None = None) -> list[Probleme]:
    """Every problem of a référentiel folder (empty list: the folder is valid)."""
    return lire(dossier).problemes


def _dossier_cache() -> Path | None:
    """Where validated référentiels are kept between processes (None: disk cache off)."""
    valeur = os.environ.get(VARIABLE_CACHE)
    if valeur is not None and valeur.strip().lower() in {"", "0", "non", "off"}:
        return None
    if valeur:
        return Path(valeur)
    return Path(user_cache_dir("essq", appauthor=False)) / "referentiel"


def _cle_cache(racine: Path, signature: tuple[Any, ...]) -> str:
    """Changes with the folder, any of its files, the schema code and the library versions."""
    h = hashlib.sha256()
    h.update(repr((str(racine), signature, pydantic.VERSION, sys.version)).encode())
    for nom in _FICHIERS_DU_CODE:
        h.update((Path(__file__).parent / nom).read_bytes())
    return h.hexdigest()


def _fichier_cache(dossier: Path, racine: Path) -> Path:
    return dossier / f"{hashlib.sha256(str(racine).encode()).hexdigest()[:20]}.pickle"


def _lire_cache(racine: Path, cle: str) -> Referentiel | None:
    dossier = _dossier_cache()
    if dossier is None:
        return None
    chemin = _fichier_cache(dossier, racine)
    try:
        with open(chemin, "rb") as f:
            contenu = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    if not isinstance(contenu, dict) or contenu.get("cle") != cle:
        return None
    origines = {
        ident: Origine(_affichage(racine / relatif), ligne)
        for ident, (relatif, ligne) in contenu["origines"].items()
    }
    return Referentiel(contenu["entrees"], origines, racine)


def _ecrire_cache(
    racine: Path, cle: str, entrees: dict[str, list[Entree]], origines: dict[str, Origine]
) -> None:
    dossier = _dossier_cache()
    if dossier is None:
        return
    relatifs = {}
    for ident, origine in origines.items():
        chemin = Path(origine.fichier).resolve()
        relatifs[ident] = (
            str(chemin.relative_to(racine)) if chemin.is_relative_to(racine) else str(chemin),
            origine.ligne,
        )
    contenu = {"cle": cle, "entrees": entrees, "origines": relatifs}
    try:
        with ecriture_atomique(_fichier_cache(dossier, racine)) as tmp, open(tmp, "wb") as f:
            pickle.dump(contenu, f, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass  # a read-only or full cache folder only costs speed


def charger(dossier: Path | str | None = None) -> Referentiel:
    """Load and validate a référentiel folder (default: the packaged ``donnees/``).

    Cached per folder: later calls return the same object until a YAML file changes. A
    validated référentiel is also kept on disk (user cache folder, or ``ESSQ_CACHE_REFERENTIEL``;
    ``ESSQ_CACHE_REFERENTIEL=non`` turns it off), keyed by every file's size and modification
    time and by the schema code, so a new process skips the YAML parsing.
    Raises :class:`ReferentielInvalide` (an ``ErreurUtilisateur``) listing the problems when
    the folder does not validate, and ``ErreurUtilisateur`` when it does not exist.
    """
    racine = Path(dossier).resolve() if dossier is not None else DOSSIER_DONNEES
    if not racine.is_dir():
        lire(racine)  # raises the French error for a missing folder
    signature = empreinte(racine)
    with _verrou_cache:
        trouve = _cache.get(racine)
        if trouve is not None and trouve[0] == signature:
            return trouve[1]
        cle = _cle_cache(racine, signature)
        referentiel = _lire_cache(racine, cle)
        if referentiel is None:
            lecture = lire(racine)
            if lecture.problemes:
                raise ReferentielInvalide(lecture.problemes, racine)
            entrees: dict[str, list[Entree]] = {}
            origines: dict[str, Origine] = {}
            for lue in lecture.entrees:
                assert lue.entree is not None
                entrees.setdefault(lue.collection, []).append(lue.entree)
                origines[lue.id] = Origine(lue.fichier, lue.ligne)
            referentiel = Referentiel(entrees, origines, racine)
            _ecrire_cache(racine, cle, entrees, origines)
        _cache[racine] = (signature, referentiel)
        return referentiel


def vider_cache() -> None:
    """Forget every référentiel loaded in this process (the disk cache stays: it is keyed by
    the files' contents signature and never served stale)."""
    with _verrou_cache:
        _cache.clear()
