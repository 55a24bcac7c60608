"""Territory search: accent- and case-insensitive, by name or code, exact codes first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from essq.territoires.texte import normaliser

TYPES = ("commune", "epci", "departement", "region", "qpv")


class Recherche:
    """A small in-memory index of (type, code, name, label) entries."""

    def __init__(self, entrees: Sequence[tuple[str, str, str, str, int]]) -> None:
        # (type, code, normalised name, label, name, population for tie-breaks)
        self.entrees = [
            (t, c, normaliser(n), lib, n, pop, normaliser(lib)) for t, c, n, lib, pop in entrees
        ]

    def chercher(
        self, texte: str, *, types: Sequence[str] | None = None, limite: int = 20
    ) -> Iterator[dict]:
        requete = normaliser(texte)
        code = str(texte).strip().upper()
        if not requete:
            return iter(())
        mots = requete.split()
        retenus = []
        for t, c, cle, libelle, nom, pop, cle_libelle in self.entrees:
            if types and t not in types:
                continue
            if c.upper() == code:
                score = 1.0
            elif c.upper().startswith(code) and len(code) >= 2 and " " not in code:
                score = 0.9
            elif cle == requete:
                score = 0.85
            elif cle.startswith(requete):
                score = 0.75
            elif all(
                any(m == w or (len(m) >= 3 and w.startswith(m)) for w in cle_libelle.split())
                for m in mots
            ):
                # every searched word starts a word of the name ("franc moisin" → "Franc Moisin - …")
                score = 0.6
            elif requete in cle:
                score = 0.4
            else:
                continue
            # shorter names are closer to the query; communes before QPV on equal score
            score -= min(len(cle) - len(requete), 60) * 0.001
            rang = TYPES.index(t) if t in TYPES else 9
            retenus.append((round(score, 4), rang, -pop, c, t, libelle, nom))
        # equal scores: communes first, then the most populous (Saint-Denis 93 before 11)
        retenus.sort(key=lambda r: (-r[0], r[1], r[2], r[3]))
        return iter(
            {"type": t, "code": c, "libelle": lib, "nom": nom, "score": s}
            for s, _, _, c, t, lib, nom in retenus[:limite]
        )
        retenus.sort(key=lambda r: (-r[0], r[1], r[2]))
        return iter(
            {"type": t, "code": c, "libelle": lib, "nom": nom, "score": s}
            for s, _, c, t, lib, nom in retenus[:limite]
        )
