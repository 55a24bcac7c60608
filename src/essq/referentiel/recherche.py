"""Full-text search over the référentiel: BM25F ranking, French stemming, filters, facets.

The index is built once per loaded référentiel (``Referentiel.index()``):

- every entry is split into weighted fields: ``titre`` (with ``sigle`` and ``terme``) weighs
  4, ``mots_cles`` 2.5, ``description`` (and ``definition``) 1, every other free-text field
  (rules, conditions, partners, commune…) 0.5;
- each word gives one or two accent-free Snowball stems (see :mod:`essq.referentiel.texte`);
- a query word matches a stem exactly, or by prefix either way (« inser » from « insérer »
  matches « insert » from « insertion », and the reverse) with a lower weight;
- all query words must match (mode « et »); when no entry has them all, entries matching
  any are returned (mode « ou ») and the result says so;
- filters (``champ=valeur``) and facets use values precomputed per entry.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel

from essq.erreurs import ErreurUtilisateur
from essq.referentiel.schemas import COLLECTIONS, LIENS, Entree
from essq.referentiel.texte import MOT, MOTS_VIDES, analyser, mots, sans_accents, termes_du_mot
from essq.referentiel.validation import graines_citees

if TYPE_CHECKING:
    from essq.referentiel.modele import Referentiel

POIDS_TITRE = 4.0
POIDS_MOTS_CLES = 2.5
POIDS_DESCRIPTION = 1.0
POIDS_AUTRES = 0.5
POIDS_PREFIXE = 0.5  # a prefix match counts for this fraction of an exact match
LONGUEUR_MIN_PREFIXE = 4  # query stem extended to longer index terms (« coop » -> « cooper »)
LONGUEUR_MIN_PREFIXE_INVERSE = 5  # index term shorter than the query stem (« inser » <- « insert »)
BONUS_TITRE_EXACT = 2.0  # the query is the title, acronym or term of the entry
BONUS_MOT_CLE_EXACT = 1.5  # the query is one of the entry's keywords
# Static rank: at equal relevance, entries that describe a subject come before the figures
# and documents that mention it.
PRIORITE_COLLECTION = {"chiffres_cles": 0.7, "ressources_documentaires": 0.85}
K1 = 1.2
B = 0.3

CHAMPS_TITRE = ("titre", "sigle", "terme")
CHAMPS_DESCRIPTION = ("description", "definition")
# Never indexed as text: identifiers, provenance, addresses.
CHAMPS_NON_TEXTE = {
    "id",
    "sources",
    "voir_aussi",
    "url",
    "site",
    "code",
    "lignes",
    "document",
    "code_insee",
    "departement",
    "mots_cles",
    *CHAMPS_TITRE,
    *CHAMPS_DESCRIPTION,
}
# Link fields that also make useful facets (their values are ids).
FACETTES_LIENS = {
    "initiatives": (
        "besoins",
        "activites",
        "statut",
        "modele_socio_economique",
        "cadres_cooperation",
    ),
    "statuts": ("famille",),
    "leviers": ("parent",),
}
FACETTES_IMBRIQUEES = {"initiatives": ("lieu.departement",)}
VRAI = {"true", "vrai", "oui", "1"}
FAUX = {"false", "faux", "non", "0"}


@dataclass(frozen=True)
class Resultat:
    """One hit: the entry, its collection, its score and a short excerpt of its description."""

    id: str
    collection: str
    titre: str
    score: float
    extrait: str
    entree: Entree = field(repr=False, compare=False)

    def en_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "collection": self.collection,
            "titre": self.titre,
            "score": round(self.score, 4),
            "extrait": self.extrait,
        }


@dataclass(frozen=True)
class Resultats:
    """The hits of a search (best first, at most ``limite``), their total and facet counts.

    ``mode`` is « et » (every query word matched), « ou » (no entry had them all: entries
    matching at least one), or « tout » (empty query: every entry passing the filters).
    ``facettes`` maps a field (``collection``, ``graine``, ``stades``, ``echelle``…) to
    ``{valeur: nombre d'entrées}`` over all matching entries, not only the returned ones.
    """

    requete: str
    mode: Literal["et", "ou", "tout"]
    total: int
    resultats: list[Resultat]
    facettes: dict[str, dict[str, int]]
    filtres: dict[str, list[str]]

    def __iter__(self) -> typing.Iterator[Resultat]:
        return iter(self.resultats)

    def __len__(self) -> int:
        return len(self.resultats)

    def ids(self) -> list[str]:
        return [r.id for r in self.resultats]

    def en_dict(self) -> dict[str, Any]:
        return {
            "requete": self.requete,
            "mode": self.mode,
            "total": self.total,
            "filtres": self.filtres,
            "resultats": [r.en_dict() for r in self.resultats],
            "facettes": self.facettes,
        }


# ---------------------------------------------------------------- field introspection


def _est_facette(annotation: Any) -> bool:
    """Enum, Literal or bool (or a list / optional of those)."""
    if annotation is bool:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    origine = typing.get_origin(annotation)
    if origine is Literal:
        return True
    if origine in (list, typing.Union, types.UnionType, typing.Annotated):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and _est_facette(args[0])
    return False


def champs_facettes(collection: str) -> tuple[str, ...]:
    """The facet fields of a collection: enums, literals, booleans (also one level down in
    nested models, e.g. ``eligibilite.qpv``) and a few link fields."""
    modele = COLLECTIONS[collection]
    champs: list[str] = []
    for nom, info in modele.model_fields.items():
        if _est_facette(info.annotation):
            champs.append(nom)
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            champs.extend(
                f"{nom}.{sous}"
                for sous, sinfo in info.annotation.model_fields.items()
                if _est_facette(sinfo.annotation)
            )
    champs.extend(FACETTES_LIENS.get(collection, ()))
    champs.extend(FACETTES_IMBRIQUEES.get(collection, ()))
    return tuple(champs)


@functools.lru_cache(maxsize=1024)
def _champ_existe(collection: str, chemin: str) -> bool:
    modele: type[BaseModel] = COLLECTIONS[collection]
    parties = chemin.split(".")
    for rang, partie in enumerate(parties):
        info = modele.model_fields.get(partie)
        if info is None:
            return False
        if rang < len(parties) - 1:
            sous = info.annotation
            candidats = [sous, *typing.get_args(sous)]
            suivant = next(
                (c for c in candidats if isinstance(c, type) and issubclass(c, BaseModel)), None
            )
            if suivant is None:
                return False
            modele = suivant
    return True


def _normaliser_valeur(valeur: Any) -> str:
    if isinstance(valeur, bool):
        return "true" if valeur else "false"
    if isinstance(valeur, Enum):
        valeur = valeur.value
    if isinstance(valeur, float) and valeur.is_integer():
        return str(int(valeur))
    return sans_accents(str(valeur)).strip()


def _affichable(valeur: Any) -> str:
    if isinstance(valeur, bool):
        return "true" if valeur else "false"
    if isinstance(valeur, Enum):
        return str(valeur.value)
    if isinstance(valeur, float) and valeur.is_integer():
        return str(int(valeur))
    return str(valeur)


def _valeurs_affichables(entree: Entree, chemin: str) -> list[str]:
    valeur: Any = entree
    for partie in chemin.split("."):
        valeur = getattr(valeur, partie, None) if isinstance(valeur, BaseModel) else None
        if valeur is None:
            return []
    if isinstance(valeur, list):
        return [_affichable(v) for v in valeur if not isinstance(v, BaseModel)]
    return [] if isinstance(valeur, BaseModel) else [_affichable(valeur)]


def _textes(valeur: Any, exclus: set[str], facettes: set[str]) -> Iterable[str]:
    """Every free-text string inside ``valeur`` (a dumped entry), skipping excluded fields."""
    if isinstance(valeur, str):
        yield valeur
    elif isinstance(valeur, dict):
        for cle, sous in valeur.items():
            if cle not in exclus and cle not in facettes:
                yield from _textes(sous, exclus, facettes)
    elif isinstance(valeur, list):
        for sous in valeur:
            yield from _textes(sous, exclus, facettes)


# ---------------------------------------------------------------- the index


class Index:
    """Inverted index of a :class:`Referentiel`, with per-entry facet values."""

    def __init__(self, referentiel: Referentiel) -> None:
        self.entrees: list[Entree] = list(referentiel)
        self.collections = np.array(
            [referentiel.collection_de(e.id) for e in self.entrees], dtype=object
        )
        self.n = len(self.entrees)
        self._facettes_par_collection = {nom: champs_facettes(nom) for nom in COLLECTIONS}
        liens_par_collection: dict[str, set[str]] = {}
        for (coll, champ), _cible in LIENS.items():
            liens_par_collection.setdefault(coll, set()).add(champ)

        frequences: list[dict[str, float]] = []
        longueurs = np.zeros(self.n, dtype=np.float64)
        for rang, entree in enumerate(self.entrees):
            collection = str(self.collections[rang])
            exclus = CHAMPS_NON_TEXTE | liens_par_collection.get(collection, set())
            facettes = {c.split(".")[0] for c in self._facettes_par_collection[collection]}
            facettes -= {"lieu"}  # the commune, region and QPV names are text
            champs: list[tuple[float, str]] = []
            for nom in CHAMPS_TITRE:
                texte = getattr(entree, nom, None)
                if isinstance(texte, str):
                    champs.append((POIDS_TITRE, texte))
            champs.extend((POIDS_MOTS_CLES, m) for m in entree.mots_cles)
            for nom in CHAMPS_DESCRIPTION:
                texte = getattr(entree, nom, None)
                if isinstance(texte, str):
                    champs.append((POIDS_DESCRIPTION, texte))
            brut = entree.model_dump(mode="json", exclude_defaults=True)
            champs.extend((POIDS_AUTRES, t) for t in _textes(brut, exclus, facettes))
            tf: dict[str, float] = {}
            longueur = 0.0
            for poids, texte in champs:
                for termes in analyser(texte):
                    longueur += poids
                    for terme in termes:
                        tf[terme] = tf.get(terme, 0.0) + poids
            frequences.append(tf)
            longueurs[rang] = longueur
        moyenne = float(longueurs.mean()) if self.n else 1.0
        normes = K1 * (1 - B + B * longueurs / (moyenne or 1.0))

        par_terme: dict[str, tuple[list[int], list[float]]] = {}
        for rang, tf in enumerate(frequences):
            for terme, f in tf.items():
                docs, valeurs = par_terme.setdefault(terme, ([], []))
                docs.append(rang)
                valeurs.append(f * (K1 + 1) / (f + normes[rang]))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for terme, (docs, valeurs) in par_terme.items():
            idf = math.log(1 + (self.n - len(docs) + 0.5) / (len(docs) + 0.5))
            self.postings[terme] = (
                np.asarray(docs, dtype=np.int32),
                np.asarray(valeurs, dtype=np.float64) * idf,
            )
        self.vocabulaire = sorted(self.postings)
        self.priorites = np.array(
            [PRIORITE_COLLECTION.get(str(c), 1.0) for c in self.collections], dtype=np.float64
        )
        titres: dict[str, set[int]] = {}
        mots_cles: dict[str, set[int]] = {}
        for rang, entree in enumerate(self.entrees):
            for cle in _cles_titre(entree):
                titres.setdefault(cle, set()).add(rang)
            for mot_cle in entree.mots_cles:
                mots_cles.setdefault(_cle_titre(mot_cle), set()).add(rang)
        self._titres_exacts = {c: np.asarray(sorted(r), dtype=np.int64) for c, r in titres.items()}
        self._mots_cles_exacts = {
            c: np.asarray(sorted(r), dtype=np.int64) for c, r in mots_cles.items() if c
        }

        # Facet and filter values, computed on demand per field and kept.
        self._masques: dict[str, dict[str, np.ndarray]] = {}
        self._libelles: dict[str, dict[str, str]] = {}
        self._masques_collection = {nom: self.collections == nom for nom in COLLECTIONS}
        for nom in ("collection", "graine"):
            self._preparer(nom)
        for nom in {c for champs in self._facettes_par_collection.values() for c in champs}:
            self._preparer(nom)

    # ------------------------------------------------------------ values per field

    def _preparer(self, champ: str) -> None:
        """Per value of ``champ``, the boolean mask of the entries holding it."""
        if champ in self._masques:
            return
        rangs_par_valeur: dict[str, list[int]] = {}
        libelles: dict[str, str] = {}
        normes: dict[str, str] = {}
        for rang, entree in enumerate(self.entrees):
            collection = str(self.collections[rang])
            if champ == "collection":
                bruts = [collection]
            elif champ == "graine":
                bruts = list(graines_citees(entree))
            elif _champ_existe(collection, champ):
                bruts = _valeurs_affichables(entree, champ)
            else:
                continue
            for brut in bruts:
                norme = normes.get(brut)
                if norme is None:
                    norme = normes[brut] = _normaliser_valeur(brut)
                    libelles.setdefault(norme, brut)
                rangs_par_valeur.setdefault(norme, []).append(rang)
        masques: dict[str, np.ndarray] = {}
        for norme, rangs in rangs_par_valeur.items():
            masque = np.zeros(self.n, dtype=bool)
            masque[rangs] = True
            masques[norme] = masque
        self._masques[champ] = masques
        self._libelles[champ] = libelles

    def _masque_filtre(
        self, champ: str, voulues: Sequence[str], portee: Sequence[str]
    ) -> np.ndarray:
        if champ not in {"collection", "graine"} and not any(
            _champ_existe(c, champ) for c in portee
        ):
            connus = sorted(
                {"collection", "graine"}
                | {c for nom in portee for c in COLLECTIONS[nom].model_fields}
                | {c for nom in portee for c in self._facettes_par_collection[nom]}
            )
            raise ErreurUtilisateur(
                f"Impossible de filtrer sur « {champ} » : aucun champ de ce nom dans "
                + ("la collection « " + portee[0] + " »" if len(portee) == 1 else "le référentiel"),
                correctif=f"Champs utilisables : {', '.join(connus)}.",
                champ="filtre",
            )
        self._preparer(champ)
        masques = self._masques[champ]
        masque = np.zeros(self.n, dtype=bool)
        for valeur in voulues:
            norme = _normaliser_valeur(valeur)
            if norme in VRAI:
                norme = "true"
            elif norme in FAUX:
                norme = "false"
            trouve = masques.get(norme)
            if trouve is not None:
                masque |= trouve
        return masque

    # ------------------------------------------------------------ matching

    def _termes_proches(self, variante: str) -> list[tuple[str, float]]:
        """Index terms matching one query stem: itself, and prefix matches both ways."""
        trouves: dict[str, float] = {}
        if variante in self.postings:
            trouves[variante] = 1.0
        if len(variante) >= LONGUEUR_MIN_PREFIXE:
            debut = bisect.bisect_left(self.vocabulaire, variante)
            for terme in self.vocabulaire[debut : debut + 64]:
                if not terme.startswith(variante):
                    break
                trouves.setdefault(terme, POIDS_PREFIXE)
            for longueur in range(
                max(LONGUEUR_MIN_PREFIXE_INVERSE, len(variante) - 2), len(variante)
            ):
                prefixe = variante[:longueur]
                if prefixe in self.postings:
                    trouves.setdefault(prefixe, POIDS_PREFIXE)
        return list(trouves.items())

    def _score_mot(self, variantes: Iterable[str]) -> tuple[np.ndarray, set[str]]:
        score = np.zeros(self.n, dtype=np.float64)
        termes: set[str] = set()
        for variante in variantes:
            for terme, poids in self._termes_proches(variante):
                termes.add(terme)
                docs, valeurs = self.postings[terme]
                score[docs] = np.maximum(score[docs], valeurs * poids)  # docs are unique
        return score, termes

    def chercher(
        self,
        texte: str,
        collection: str | None = None,
        filtres: Mapping[str, str | Sequence[str]] | None = None,
        limite: int = 20,
    ) -> Resultats:
        if collection is not None and collection not in COLLECTIONS:
            raise ErreurUtilisateur(
                f"Collection « {collection} » inconnue",
                correctif=f"Choisir parmi : {', '.join(COLLECTIONS)}.",
                champ="collection",
            )
        if limite < 0:
            raise ErreurUtilisateur(
                "La limite de résultats doit être positive", correctif="Indiquer par ex. 20."
            )
        portee = [collection] if collection else list(COLLECTIONS)
        masque = (
            self._masques_collection[collection].copy()
            if collection
            else np.ones(self.n, dtype=bool)
        )
        filtres_normes: dict[str, list[str]] = {}
        for champ, valeur in (filtres or {}).items():
            voulues = (
                [v.strip() for v in valeur.split(",") if v.strip()]
                if isinstance(valeur, str)
                else [str(v) for v in valeur]
            )
            filtres_normes[champ] = voulues
            masque &= self._masque_filtre(champ, voulues, portee)

        mots_requete = [termes_du_mot(m) for m in mots(texte)]
        termes_trouves: set[str] = set()
        if not mots_requete:
            mode: Literal["et", "ou", "tout"] = "tout"
            scores = np.zeros(self.n, dtype=np.float64)
            retenus = masque
        else:
            par_mot = []
            for variantes in mots_requete:
                score, termes = self._score_mot(variantes)
                par_mot.append(score)
                termes_trouves |= termes
            matrice = np.vstack(par_mot)
            scores = matrice.sum(axis=0) * self.priorites
            cle = _cle_titre(texte)
            for exacts, bonus in (
                (self._titres_exacts.get(cle), BONUS_TITRE_EXACT),
                (self._mots_cles_exacts.get(cle), BONUS_MOT_CLE_EXACT),
            ):
                if exacts is not None:
                    scores[exacts] *= bonus
            tous = (matrice > 0).all(axis=0) & masque
            if tous.any() or len(par_mot) == 1:
                mode, retenus = "et", tous
            else:
                mode, retenus = "ou", (scores > 0) & masque
                scores = scores * (matrice > 0).mean(axis=0)  # favour entries matching more words

        indices = np.flatnonzero(retenus)
        ordre = indices if mode == "tout" else indices[np.argsort(-scores[indices], kind="stable")]
        resultats = [
            Resultat(
                id=self.entrees[i].id,
                collection=str(self.collections[i]),
                titre=self.entrees[i].titre,
                score=float(scores[i]),
                extrait=_extrait(self.entrees[i].description, termes_trouves),
                entree=self.entrees[i],
            )
            for i in ordre[:limite]
        ]
        return Resultats(
            requete=texte,
            mode=mode,
            total=int(indices.size),
            resultats=resultats,
            facettes=self._compter(retenus, portee),
            filtres=filtres_normes,
        )

    def _compter(self, retenus: np.ndarray, portee: Sequence[str]) -> dict[str, dict[str, int]]:
        champs = ["collection", "graine"]
        for nom in portee:
            champs.extend(c for c in self._facettes_par_collection[nom] if c not in champs)
        facettes: dict[str, dict[str, int]] = {}
        for champ in champs:
            libelles = self._libelles[champ]
            comptes = {
                libelles[valeur]: int(np.count_nonzero(m & retenus))
                for valeur, m in self._masques[champ].items()
            }
            comptes = {k: v for k, v in comptes.items() if v}
            if comptes:
                facettes[champ] = dict(sorted(comptes.items(), key=lambda kv: (-kv[1], kv[0])))
        return facettes


def _cle_titre(texte: str) -> str:
    return " ".join(re.findall(r"[0-9a-z]+", sans_accents(texte)))


def _cles_titre(entree: Entree) -> set[str]:
    """Normalised forms under which a query names the entry exactly: its title (with and
    without its parenthesised part, and each side of a dash or colon), the acronym in
    parentheses, ``sigle``, ``terme``."""
    cles = {_cle_titre(entree.titre), _cle_titre(re.sub(r"\([^)]*\)", " ", entree.titre))}
    cles.update(_cle_titre(p) for p in re.findall(r"\(([^)]*)\)", entree.titre))
    cles.update(_cle_titre(p) for p in re.split(r" [—–:-] ", entree.titre))
    for nom in ("sigle", "terme"):
        valeur = getattr(entree, nom, None)
        if isinstance(valeur, str):
            cles.add(_cle_titre(valeur))
    return {c for c in cles if c}


def _extrait(description: str, termes: set[str], largeur: int = 160) -> str:
    """About ``largeur`` characters of the description around the first matching word."""
    if len(description) <= largeur:
        return description
    debut = 0
    if termes:
        for trouve in MOT.finditer(description):
            mot = trouve.group().lower()
            if mot not in MOTS_VIDES and not termes.isdisjoint(termes_du_mot(mot)):
                debut = max(0, trouve.start() - largeur // 3)
                break
    morceau = description[debut : debut + largeur]
    if debut > 0:
        morceau = "…" + morceau[morceau.find(" ") + 1 :]
    if debut + largeur < len(description):
        morceau = morceau[: morceau.rfind(" ")] + " …"
    return morceau
