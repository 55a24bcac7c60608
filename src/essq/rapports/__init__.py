"""Printable territory portraits (HTML and PDF, WeasyPrint).

Belongs here: the "Portrait ESS" of a territory built from the warehouse and the
référentiel: identity, key figures with comparisons, vector charts, map, directory, levers.
An interface: depends on observatoire, diagnostics and the foundations, never the reverse.

Usage::

    from essq.rapports import portrait, portraits_qpv
    octets = portrait("qpv:QN00001M", format="pdf", home=home)
    fichiers = portraits_qpv("epci:200000001", dossier, format="pdf", home=home)
"""

from typing import TYPE_CHECKING

from essq.paresseux import attributs_paresseux

__all__ = ["FORMATS", "portrait", "portraits_qpv", "qpv_du_territoire"]

if TYPE_CHECKING:
    from essq.rapports.portraits import FORMATS, portrait, portraits_qpv, qpv_du_territoire

__getattr__ = attributs_paresseux(
    __name__,
    {
        "FORMATS": "essq.rapports.portraits",
        "portrait": "essq.rapports.portraits",
        "portraits_qpv": "essq.rapports.portraits",
        "qpv_du_territoire": "essq.rapports.portraits",
    },
)
