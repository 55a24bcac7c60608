"""Public entry points: one portrait as bytes, or every QPV portrait of a territory in a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from essq.erreurs import ErreurUtilisateur
from essq.fichiers import dossier_atomique
from essq.observatoire.lecture import lire_territoire
from essq.rapports import rendu
from essq.rapports.donnees import Sources, assembler

FORMATS = rendu.FORMATS


def verifier_format(format: str) -> str:
    f = format.lower().strip()
    if f not in FORMATS:
        raise ErreurUtilisateur(
            f"Format de portrait inconnu : « {format} ».",
            champ="--format",
            correctif="choisir pdf ou html.",
        )
    return f


def _rendre(
    src: Sources, territoire: str, format: str, date_stock: str | None, millesime: str
) -> bytes:
    contenu = assembler(src, territoire, date_stock=date_stock, millesime=millesime)
    if format == "pdf":
        return rendu.pdf(contenu)
    return rendu.html(contenu).encode("utf-8")


def portrait(
    territoire: str,
    *,
    format: str = "pdf",
    home: Path | str | None = None,
    date_stock: str | None = None,
    millesime: str = "2024",
) -> bytes:
    """The portrait of ``territoire`` ('qpv:CODE', 'commune:CODE', 'epci:SIREN',
    'departement:CODE', 'region:CODE' or 'france') as PDF or HTML bytes."""
    format = verifier_format(format)
    lire_territoire(territoire)
    with Sources.ouvrir(home) as src:
        return _rendre(src, territoire, format, date_stock, millesime)


def qpv_du_territoire(src: Sources, territoire: str, millesime: str = "2024") -> list[str]:
    """Codes of the QPV of a millésime inside a territory (by their communes), sorted."""
    niveau, code = lire_territoire(territoire)
    if niveau == "qpv":
        raise ErreurUtilisateur(
            "--tous-les-qpv attend un territoire qui contient des QPV, pas un QPV.",
            champ="TERRITOIRE",
            correctif="donner une commune, un EPCI, un département ou une région (ex. epci:200054781).",
        )
    src.entrepot.territoire(territoire, millesime)  # French error when unknown
    return sorted(
        q["code_qp"] for q in src.qpv_du_territoire(niveau, code) if q["millesime"] == millesime
    )


def portraits_qpv(
    territoire: str,
    dossier: Path | str,
    *,
    format: str = "pdf",
    home: Path | str | None = None,
    date_stock: str | None = None,
    millesime: str = "2024",
    avancement: Callable[[str, int, int], None] | None = None,
) -> list[Path]:
    """Write the portrait of every QPV of ``territoire`` into ``dossier`` (replaced atomically).

    Files are named ``portrait-<CODE>.<format>``. ``avancement(code, rang, total)`` is called
    after each portrait. Returns the written paths.
    """
    format = verifier_format(format)
    dossier = Path(dossier)
    with Sources.ouvrir(home) as src:
        codes = qpv_du_territoire(src, territoire, millesime)
        if not codes:
            raise ErreurUtilisateur(
                f"Aucun QPV {millesime} dans le territoire {territoire}.",
                champ="TERRITOIRE",
                correctif="vérifier le code, ou choisir l'autre génération avec --millesime 2015.",
            )
        noms = []
        with dossier_atomique(dossier) as tmp:
            for rang, code in enumerate(codes, 1):
                nom = f"portrait-{code}.{format}"
                (tmp / nom).write_bytes(_rendre(src, f"qpv:{code}", format, date_stock, millesime))
                noms.append(nom)
                if avancement:
                    avancement(code, rang, len(codes))
            tmp.chmod(0o755)
    return [dossier / n for n in noms]
