"""Official geography with vintages, and the "is it in a QPV?" engine.

Belongs here: importers of QPV contours (generations 2015 and 2024), the COG (communes,
arrondissements, EPCI, départements, régions) and commune zonings (ZRR/FRR, ACV, PVD);
projections (Lambert-93 and the overseas legal systems); point and batch localisation
(containing QPV, distance to the nearest one, buffers); territory search by name or code.
Depends on nothing else in essq.

Data lives in ``$ESSQ_HOME/territoires/`` (Parquet tables, ``manifeste.json``, ``index/``),
written atomically by the importers (:mod:`essq.territoires.qpv`, :mod:`.cog`,
:mod:`.zonages`). ``Territoires.charger(home)`` loads it; ``localiser_lot`` returns, in input
order, ``lon``, ``lat`` (WGS84, null unless the status is ``ok``), ``statut_coordonnees``
(``ok`` | ``absentes`` | ``hors_plage`` | ``incoherentes``) and, per millésime M, ``qpv_M``,
``distance_qpv_M_m`` (0 inside, metres in the territory's legal projection) and
``qpv_proche_M``. Ties (shared boundaries, overlap slivers): smallest ``code_qp`` wins.
"""

from typing import TYPE_CHECKING

from essq.paresseux import attributs_paresseux

__all__ = ["Territoires", "epsg_legal"]

if TYPE_CHECKING:
    from essq.territoires.moteur import Territoires
    from essq.territoires.projections import epsg_legal

__getattr__ = attributs_paresseux(
    __name__,
    {
        "Territoires": "essq.territoires.moteur",
        "epsg_legal": "essq.territoires.projections",
    },
)
