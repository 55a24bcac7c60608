"""User-facing errors: a French message naming the problem, and the fix.

Every package raises :class:`ErreurUtilisateur` (or a subclass) for bad input; the CLI
prints it without a traceback and exits with status 2; the API turns it into a 4xx JSON body.
"""

from __future__ import annotations


class ErreurUtilisateur(Exception):
    """A problem the user can fix: bad file, bad argument, missing prerequisite."""

    def __init__(
        self,
        message: str,
        *,
        correctif: str | None = None,
        champ: str | None = None,
        fichier: str | None = None,
        ligne: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.correctif = correctif
        self.champ = champ
        self.fichier = fichier
        self.ligne = ligne

    def texte(self) -> str:
        """The full French explanation, on one or two lines."""
        lieu = []
        if self.fichier:
            lieu.append(f"fichier {self.fichier}")
        if self.ligne is not None:
            lieu.append(f"ligne {self.ligne}")
        if self.champ:
            lieu.append(f"champ « {self.champ} »")
        debut = f"{self.message} ({', '.join(lieu)})" if lieu else self.message
        return f"{debut}\nComment corriger : {self.correctif}" if self.correctif else debut

    def en_dict(self) -> dict[str, object]:
        return {
            "erreur": self.message,
            "correctif": self.correctif,
            "champ": self.champ,
            "fichier": self.fichier,
            "ligne": self.ligne,
        }

    def __str__(self) -> str:
        return self.texte()


class DonneesAbsentes(ErreurUtilisateur):
    """A prerequisite (imported territories, built warehouse…) has not been built yet."""
