"""Where the web application finds the DSFR assets installed from the npm registry."""

from __future__ import annotations

import os
from pathlib import Path

from essq.erreurs import ErreurUtilisateur

RACINE_DEPOT = Path(__file__).resolve().parents[3]


def dossier_dsfr() -> Path:
    """The ``dist`` folder of the ``@gouvfr/dsfr`` npm package (``make install`` puts it there).

    ``ESSQ_DSFR`` may point elsewhere (e.g. a deployment that copied the assets).
    """
    candidats = []
    if os.environ.get("ESSQ_DSFR"):
        candidats.append(Path(os.environ["ESSQ_DSFR"]))
    candidats.append(RACINE_DEPOT / "node_modules" / "@gouvfr" / "dsfr" / "dist")
    for candidat in candidats:
        if (candidat / "dsfr.min.css").is_file():
            return candidat
    raise ErreurUtilisateur(
        "Les fichiers du Système de design de l'État (DSFR) sont introuvables.",
        correctif="Lancer « make install » (qui exécute « npm ci ») ou définir ESSQ_DSFR "
        "vers le dossier dist du paquet @gouvfr/dsfr.",
    )
