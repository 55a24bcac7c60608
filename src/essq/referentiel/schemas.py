"""Schemas of the référentiel collections (pydantic v2).

Each collection is a folder ``donnees/<collection>/`` of YAML files; each file holds a list
of entries of that collection. Every entry has an ``id`` (unique in the whole référentiel),
a French ``titre`` and ``description`` written in our own words, typed fields, links to other
entries (plain ids, validated against the target collection) and at least one ``source``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Texte = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=40)]
CodeInsee = Annotated[str, StringConstraints(pattern=r"^(\d{5}|2[AB]\d{3})$")]

SEEDS = {
    "000": "000_aec176e962352d18.txt",
    "001": "001_6896deeae8272fff.txt",
    "002": "002_42f8deb0724a5f09.txt",
    "003": "003_3c600fd7458b23bd.txt",
    "004": "004_737dac3eb2a78ca3.txt",
}


class Modele(BaseModel):
    # frozen: charger() shares one cached object between callers; nobody may alter it.
    model_config = ConfigDict(extra="forbid", use_enum_values=True, frozen=True)


# ---------------------------------------------------------------- shared vocabularies


class Stade(StrEnum):
    idee = "idee"
    emergence = "emergence"
    creation = "creation"
    developpement = "developpement"
    consolidation = "consolidation"
    changement_echelle = "changement_echelle"


class TypeBesoin(StrEnum):
    """What a scheme brings to a project holder."""

    accompagnement = "accompagnement"
    financement = "financement"
    locaux = "locaux"
    reseau = "reseau"
    formation = "formation"
    expertise = "expertise"
    debouches = "debouches"  # markets, public procurement, customers


class Echelle(StrEnum):
    national = "national"
    regional = "regional"
    departemental = "departemental"
    intercommunal = "intercommunal"
    local = "local"


class FamilleEss(StrEnum):
    association = "association"
    cooperative = "cooperative"
    mutuelle = "mutuelle"
    fondation = "fondation"
    societe_commerciale_ess = "societe_commerciale_ess"


class TypeCollectivite(StrEnum):
    commune = "commune"
    epci = "epci"
    metropole = "metropole"
    departement = "departement"
    region = "region"
    etat = "etat"


class Operateur(StrEnum):
    ge = ">="
    gt = ">"
    le = "<="
    lt = "<"
    eq = "="


# ---------------------------------------------------------------- building blocks


class Source(Modele):
    """Where a fact comes from: a seed (file name + section and/or lines) or an official text."""

    document: Texte = Field(
        description="Nom du fichier de la graine (ex. 000_aec176e962352d18.txt) ou titre du texte officiel"
    )
    section: str | None = Field(
        default=None, description="Section ou titre de partie (ex. « 2.6 Scop »)"
    )
    lignes: (
        Annotated[str, StringConstraints(pattern=r"^L?\d+(-\d+)?(, ?L?\d+(-\d+)?)*$")] | None
    ) = None
    url: str | None = None

    @model_validator(mode="after")
    def _localisee(self) -> Source:
        if self.document in SEEDS.values() and not (self.section or self.lignes):
            raise ValueError("une source « graine » doit préciser la section ou les lignes")
        return self


class Regle(Modele):
    """A rule as a typed value, e.g. SCOP: part du capital détenue par les salariés >= 51 %."""

    code: Id
    libelle: Texte
    operateur: Operateur | None = None
    valeur: float | int | bool | str | None = None
    unite: str | None = Field(
        default=None, description="%, mois, ans, euros, catégories, fois le SMIC…"
    )
    reference_legale: str | None = None
    date_validite: dt.date | None = None


class Chiffre(Modele):
    libelle: Texte
    valeur: float
    unite: Texte
    annee: int | None = Field(default=None, ge=1800, le=2100)


class OutilJuridique(Modele):
    nom: Texte
    reference: str | None = Field(default=None, description="Article de loi, code, décret…")
    conditions: str | None = None


class Divergence(Modele):
    """Where a seed contradicts another seed or the law: we follow the law and say so."""

    constat: Description
    retenu: Description
    sources: list[Source] = Field(min_length=1)


class Lieu(Modele):
    commune: str | None = None
    code_insee: CodeInsee | None = None
    departement: Annotated[str, StringConstraints(pattern=r"^(\d{2}|2[AB]|97\d)$")] | None = None
    region: str | None = None
    qpv: list[str] = Field(default_factory=list, description="Noms (ou codes) des QPV cités")


class Entree(Modele):
    """Fields every entry of every collection has."""

    id: Id
    titre: Texte
    description: Description
    sources: list[Source] = Field(min_length=1)
    mots_cles: list[str] = Field(default_factory=list)
    voir_aussi: list[Annotated[str, StringConstraints(pattern=r"^[a-z_]+:[a-z0-9-]+$")]] = Field(
        default_factory=list, description="Liens libres « collection:id »"
    )
    divergences: list[Divergence] = Field(default_factory=list)


# ---------------------------------------------------------------- collections


class Famille(Entree):
    famille: FamilleEss
    texte_legal: str | None = None
    principes: list[str] = Field(default_factory=list)
    ess_de_droit: bool = Field(description="Membre de l'ESS par son statut (loi 2014, art. 1)")


class Statut(Entree):
    famille: Id = Field(description="id dans familles")
    forme_juridique: Texte
    texte_legal: str | None = None
    regles: list[Regle] = Field(default_factory=list)
    avantages: list[str] = Field(default_factory=list)
    limites: list[str] = Field(default_factory=list)
    categories_juridiques_insee: list[Annotated[str, StringConstraints(pattern=r"^\d{4}$")]] = (
        Field(default_factory=list)
    )
    esus_de_droit: bool = False


class StructureInclusion(Entree):
    sigle: Texte
    secteur: Literal["iae", "travail_protege_adapte", "autre"]
    contrats: list[str] = Field(default_factory=list)
    publics: list[str] = Field(default_factory=list)
    regles: list[Regle] = Field(default_factory=list)
    financements: list[str] = Field(default_factory=list)
    chiffres: list[Chiffre] = Field(default_factory=list)
    esus_de_droit: bool = False


class Eligibilite(Modele):
    qpv: bool | None = Field(default=None, description="True: réservé ou prioritaire QPV")
    esus: bool | None = None
    pre_creation: bool = Field(default=True, description="Accessible sans SIRET (porteur en idée)")
    formes_juridiques: list[str] = Field(default_factory=list, description="Vide = toutes")
    conditions: list[str] = Field(default_factory=list)


class Dispositif(Entree):
    porteur: Texte = Field(description="Organisation qui porte le dispositif")
    type: Literal["accompagnement", "financement", "reseau", "programme", "label", "lieu", "outil"]
    stades: list[Stade] = Field(min_length=1)
    besoins: list[TypeBesoin] = Field(min_length=1)
    echelle: Echelle
    publics: list[str] = Field(
        default_factory=list, description="jeunes, femmes, demandeurs d'emploi, associations…"
    )
    eligibilite: Eligibilite = Field(default_factory=Eligibilite)
    montants: list[Chiffre] = Field(default_factory=list)
    site: str | None = None
    initiatives: list[Id] = Field(default_factory=list)


class Levier(Entree):
    cadre: Literal["seed004_6_leviers", "seed003_7_champs", "seed000_champs_collectivites"]
    niveau: Literal["champ", "levier", "action"]
    numero: Texte = Field(description="Numérotation dans son cadre, ex. « 3.2 » ou « CA4-L2 »")
    parent: Id | None = None
    collectivites: list[TypeCollectivite] = Field(default_factory=list)
    outils_juridiques: list[OutilJuridique] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    stades: list[Stade] = Field(default_factory=list)
    initiatives: list[Id] = Field(default_factory=list)
    dispositifs: list[Id] = Field(default_factory=list)
    equivalents: list[Id] = Field(
        default_factory=list, description="Leviers proches dans les autres cadres"
    )


class CadreCooperation(Entree):
    type: Literal[
        "ptce",
        "scic",
        "groupement_employeurs",
        "gie",
        "tiers_lieu",
        "tzcld_ebe",
        "pole_territorial",
        "cooperative_ephemere",
        "consortium",
        "autre",
    ]
    forme_juridique: str | None = None
    acteurs: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    regles: list[Regle] = Field(default_factory=list)
    initiatives: list[Id] = Field(default_factory=list)
    dispositifs: list[Id] = Field(default_factory=list)


class Initiative(Entree):
    lieu: Lieu
    besoins: list[Id] = Field(default_factory=list, description="ids dans besoins")
    activites: list[Id] = Field(default_factory=list, description="ids dans activites")
    forme_juridique: str | None = None
    statut: Id | None = Field(default=None, description="id dans statuts si identifiable")
    modele_socio_economique: Id | None = None
    partenaires: list[str] = Field(default_factory=list)
    financeurs: list[str] = Field(default_factory=list)
    chiffres: list[Chiffre] = Field(default_factory=list)
    annee_creation: int | None = Field(default=None, ge=1800, le=2100)
    leviers: list[Id] = Field(default_factory=list)
    dispositifs: list[Id] = Field(default_factory=list)
    cadres_cooperation: list[Id] = Field(default_factory=list)


class ModeleSocioEconomique(Entree):
    numero: int = Field(ge=1, le=3)
    ressources_dominantes: list[Id] = Field(min_length=1, description="ids dans ressources")
    caracteristiques: list[str] = Field(default_factory=list)
    risques: list[str] = Field(default_factory=list)
    exemples: list[Id] = Field(default_factory=list, description="ids dans initiatives")


class Ressource(Entree):
    categorie: Literal["marchande", "non_marchande", "non_monetaire"]
    publique: bool | None = None
    exemples: list[str] = Field(default_factory=list)


class CriterePerennite(Entree):
    famille: Literal[
        "prerequis", "modele_economique", "ancrage_territorial", "gouvernance_organisation"
    ]
    numero: int = Field(ge=0, le=17)
    definition: Description
    questions: list[Texte] = Field(min_length=1)
    leviers: list[Id] = Field(default_factory=list)
    dispositifs: list[Id] = Field(default_factory=list)


class Besoin(Entree):
    cadre: Literal["seed000_domaines", "seed004_besoins_territoriaux", "transverse"] = "transverse"
    activites: list[Id] = Field(default_factory=list)


class Activite(Entree):
    theme: str | None = Field(default=None, description="Thématique (seed 004 : 4 thématiques)")
    besoins: list[Id] = Field(default_factory=list)
    initiatives: list[Id] = Field(default_factory=list)


class ChiffreCle(Entree):
    indicateur: Texte
    valeur: float
    unite: Texte
    territoire: Texte = Field(description="France, QPV (ensemble), région…")
    perimetre: str | None = None
    annee: int | None = Field(default=None, ge=1800, le=2100, description="Année des données")
    annee_publication: int | None = Field(default=None, ge=1800, le=2100)
    source_primaire: str | None = Field(
        default=None, description="Producteur de la donnée (INSEE CLAP, Dares…)"
    )
    methode: str | None = None


class TermeGlossaire(Entree):
    terme: Texte
    sigle: str | None = None


class RessourceDocumentaire(Entree):
    auteurs: list[str] = Field(default_factory=list)
    editeur: str | None = None
    annee: int | None = Field(default=None, ge=1800, le=2100)
    type: Literal["guide", "etude", "rapport", "texte_juridique", "site", "outil", "autre"] = (
        "autre"
    )
    url: str | None = None


COLLECTIONS: dict[str, type[Entree]] = {
    "familles": Famille,
    "statuts": Statut,
    "structures_inclusion": StructureInclusion,
    "dispositifs": Dispositif,
    "leviers": Levier,
    "cadres_cooperation": CadreCooperation,
    "initiatives": Initiative,
    "modeles_socio_economiques": ModeleSocioEconomique,
    "ressources": Ressource,
    "criteres_perennite": CriterePerennite,
    "besoins": Besoin,
    "activites": Activite,
    "chiffres_cles": ChiffreCle,
    "glossaire": TermeGlossaire,
    "ressources_documentaires": RessourceDocumentaire,
}

# Typed link fields: (collection, field) -> target collection. Validation checks every id resolves.
LIENS: dict[tuple[str, str], str] = {
    ("statuts", "famille"): "familles",
    ("dispositifs", "initiatives"): "initiatives",
    ("leviers", "parent"): "leviers",
    ("leviers", "initiatives"): "initiatives",
    ("leviers", "dispositifs"): "dispositifs",
    ("leviers", "equivalents"): "leviers",
    ("cadres_cooperation", "initiatives"): "initiatives",
    ("cadres_cooperation", "dispositifs"): "dispositifs",
    ("initiatives", "besoins"): "besoins",
    ("initiatives", "activites"): "activites",
    ("initiatives", "statut"): "statuts",
    ("initiatives", "modele_socio_economique"): "modeles_socio_economiques",
    ("initiatives", "leviers"): "leviers",
    ("initiatives", "dispositifs"): "dispositifs",
    ("initiatives", "cadres_cooperation"): "cadres_cooperation",
    ("modeles_socio_economiques", "ressources_dominantes"): "ressources",
    ("modeles_socio_economiques", "exemples"): "initiatives",
    ("criteres_perennite", "leviers"): "leviers",
    ("criteres_perennite", "dispositifs"): "dispositifs",
    ("besoins", "activites"): "activites",
    ("activites", "besoins"): "besoins",
    ("activites", "initiatives"): "initiatives",
}
