"""The report of a qualification run: counts, rejected rows with reasons, provenance."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from essq.console import lignes_details

LIBELLES_FAMILLES = {
    "association": "Associations",
    "cooperative": "Coopératives",
    "mutuelle": "Mutuelles",
    "fondation": "Fondations (y compris fonds de dotation)",
    "societe_commerciale_ess": "Sociétés commerciales de l'ESS (et autres formes reconnues ESS)",
    "hors_ess": "Hors ESS",
}
LIBELLES_POSITIONS = {
    "coordonnees": "placés par leurs coordonnées",
    "commune_sans_qpv": "placés par leur commune (commune sans QPV)",
    "inconnue": "position inconnue (commune avec QPV, coordonnées absentes ou inutilisables)",
}
MAX_EXEMPLES = 20


@dataclass
class Rejet:
    fichier: str
    identifiant: str | None
    raison: str


@dataclass
class RapportQualification:
    """What ``qualifier`` did; ``texte()`` is printed by the CLI, ``en_dict()`` is JSON-ready."""

    sortie: str
    mode: str  # 'unites_legales' | 'etablissements'
    lignes_unites_legales: int = 0
    lignes_etablissements: int = 0
    lignes_ecrites: int = 0
    par_famille: Counter = field(default_factory=Counter)
    ess: int = 0
    par_source_ess: Counter = field(default_factory=Counter)
    par_statut_position: Counter = field(default_factory=Counter)
    par_statut_coordonnees: Counter = field(default_factory=Counter)
    par_secteur_ess: Counter = field(default_factory=Counter)
    secteur_public: int = 0
    unites_legales_manquantes: int = 0
    etrangers: int = 0
    employeurs_caractere: int = 0
    employeurs_tranche: int = 0
    actifs: int = 0
    non_diffusibles: int = 0
    conflits_cj_insee: int = 0
    tranches_inconnues: int = 0
    naf_non_classees: int = 0
    rejets_par_raison: Counter = field(default_factory=Counter)
    rejets_exemples: list[Rejet] = field(default_factory=list)
    avertissements: list[str] = field(default_factory=list)
    millesimes_qpv: list[str] = field(default_factory=list)
    # stock rebuilt at a past date from INSEE's historical stocks (essq.sirene.historique)
    date_historique: str | None = None
    unites_legales_absentes_a_la_date: int = 0
    unites_legales_sans_historique: int = 0
    etablissements_absents_a_la_date: int = 0
    etablissements_sans_historique: int = 0
    provenance: dict[str, Any] = field(default_factory=dict)
    secondes: float = 0.0

    def rejeter(self, fichier: str, raison: str, nombre: int, exemples: list[str | None]) -> None:
        if nombre <= 0:
            return
        self.rejets_par_raison[raison] += nombre
        for ex in exemples:
            if len(self.rejets_exemples) < MAX_EXEMPLES:
                self.rejets_exemples.append(Rejet(fichier, ex, raison))

    @property
    def lignes_rejetees(self) -> int:
        return sum(self.rejets_par_raison.values())

    def en_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for f in fields(self):
            valeur = getattr(self, f.name)
            if isinstance(valeur, Counter):
                valeur = dict(valeur)
            elif f.name == "rejets_exemples":
                valeur = [asdict(r) for r in valeur]
            d[f.name] = valeur
        d["lignes_rejetees"] = self.lignes_rejetees
        return d

    def texte(self) -> str:
        quoi = "établissements" if self.mode == "etablissements" else "unités légales"
        lignes = [
            f"Qualification SIRENE écrite dans {self.sortie}",
            f"  Unités légales lues : {self.lignes_unites_legales:,}".replace(",", " "),
        ]
        if self.mode == "etablissements":
            lignes.append(
                f"  Établissements lus : {self.lignes_etablissements:,}".replace(",", " ")
            )
        if self.date_historique:
            lignes += self._lignes_reconstitution()
        lignes.append(f"  Lignes écrites ({quoi}) : {self.lignes_ecrites:,}".replace(",", " "))
        lignes.append(f"  Dont ESS : {self.ess:,}".replace(",", " "))
        lignes.append("  Par famille :")
        for famille, libelle in LIBELLES_FAMILLES.items():
            lignes.append(f"    {libelle} : {self.par_famille.get(famille, 0):,}".replace(",", " "))
        if self.par_source_ess:
            sources = ", ".join(f"{k} {v}" for k, v in sorted(self.par_source_ess.items()))
            lignes.append(f"  Sources disant ESS (une unité peut en avoir plusieurs) : {sources}")
        lignes.append(f"  Secteur public (catégorie juridique 7xxx) : {self.secteur_public}")
        lignes += lignes_details(
            [
                (
                    "Famille statutaire mais indicateur ESS de l'Insee = N",
                    self.conflits_cj_insee
                    and f"{self.conflits_cj_insee} (comptées ESS par leur statut)",
                )
            ]
        )
        if self.mode == "etablissements":
            lignes.append("  Placement :")
            for statut, libelle in LIBELLES_POSITIONS.items():
                lignes.append(f"    {libelle} : {self.par_statut_position.get(statut, 0)}")
            lignes += lignes_details(
                [("dont établissements à l'étranger (sans commune)", self.etrangers)], "    "
            )
            lignes.append(
                f"  Unité légale absente du fichier (lignes gardées, signalées) : "
                f"{self.unites_legales_manquantes}"
            )
            lignes.append(
                f"  Employeurs : {self.employeurs_caractere} selon caractereEmployeurEtablissement, "
                f"{self.employeurs_tranche} selon la tranche d'effectif"
            )
            lignes.append(
                f"  Actifs : {self.actifs} ; non diffusibles (statut P) : {self.non_diffusibles}"
            )
            lignes += lignes_details([("Millésimes QPV", ", ".join(self.millesimes_qpv))])
        lignes += lignes_details(
            [
                ("Tranches d'effectif non reconnues (emploi inconnu)", self.tranches_inconnues),
                ("Activité NAF rév. 2 absente ou inconnue (secteur vide)", self.naf_non_classees),
            ]
        )
        lignes.append(f"  Lignes rejetées : {self.lignes_rejetees}")
        for raison, nombre in self.rejets_par_raison.most_common():
            lignes.append(f"    {raison} : {nombre}")
        for r in self.rejets_exemples[:5]:
            lignes.append(f"    exemple : {r.identifiant!r} ({r.fichier}) — {r.raison}")
        for a in self.avertissements:
            lignes.append(f"  Attention : {a}")
        return "\n".join(lignes)

    def _lignes_reconstitution(self) -> list[str]:
        def n(v: int) -> str:
            return f"{v:,}".replace(",", " ")

        lignes = [
            f"  Stock reconstitué au {self.date_historique} (fichiers historiques de l'Insee) :",
            f"    unités légales qui n'existaient pas encore (écartées) : "
            f"{n(self.unites_legales_absentes_a_la_date)}",
            f"    unités légales sans période dans l'historique (valeurs actuelles gardées) : "
            f"{n(self.unites_legales_sans_historique)}",
        ]
        if self.mode == "etablissements":
            lignes += [
                f"    établissements qui n'existaient pas encore (écartés) : "
                f"{n(self.etablissements_absents_a_la_date)}",
                f"    établissements sans période dans l'historique (valeurs actuelles gardées) : "
                f"{n(self.etablissements_sans_historique)}",
            ]
        return lignes
