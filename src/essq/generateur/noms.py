"""Word lists for synthetic names and addresses (uppercase, unaccented, as in SIRENE).

Every name produced from them is fictional; combinations may by chance resemble a real
organisation's name, which is why the demo files are labelled "Données fictives de
démonstration".
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from essq.generateur.nomenclatures import FAMILLES

TYPES_VOIE = ("RUE", "AV", "BD", "PL", "CHE", "ALL", "IMP", "RTE", "QUAI", "SQ", "CRS", "PAS")
_P = np.array([45, 14, 8, 5, 6, 6, 4, 4, 2, 2, 2, 2], dtype=float)
POIDS_TYPES_VOIE = _P / _P.sum()

VOIES = (
    "DE LA REPUBLIQUE",
    "JEAN JAURES",
    "VICTOR HUGO",
    "DES LILAS",
    "DU MARCHE",
    "DE LA GARE",
    "PASTEUR",
    "DES ECOLES",
    "DU GENERAL DE GAULLE",
    "LOUISE MICHEL",
    "DES TILLEULS",
    "PABLO NERUDA",
    "DU 8 MAI 1945",
    "GAMBETTA",
    "DES ACACIAS",
    "JEAN MOULIN",
    "DE LA PAIX",
    "ALBERT CAMUS",
    "DES PEUPLIERS",
    "SIMONE VEIL",
    "DU PORT",
    "DES CERISIERS",
    "LEON BLUM",
    "DE LA LIBERATION",
    "ARISTIDE BRIAND",
    "DES FRERES LUMIERE",
    "NELSON MANDELA",
    "DES CHARMILLES",
    "OLYMPE DE GOUGES",
    "DU MOULIN",
    "MARIE CURIE",
    "DE L EUROPE",
    "DES AUBEPINES",
    "ANATOLE FRANCE",
    "DU STADE",
    "DES VIGNES",
    "GEORGE SAND",
    "DU CANAL",
)
COMPLEMENTS = (
    "BATIMENT A",
    "BATIMENT C",
    "RESIDENCE LES PINS",
    "ZI DU PARC",
    "ESCALIER 2",
    "CENTRE COMMERCIAL",
    "LOCAL 3",
    "MAISON DES ASSOCIATIONS",
    "PEPINIERE D ENTREPRISES",
)
PAYS = (
    ("99109", "ALLEMAGNE", "BERLIN"),
    ("99131", "BELGIQUE", "BRUXELLES"),
    ("99134", "ESPAGNE", "BARCELONE"),
    ("99140", "SUISSE", "GENEVE"),
    ("99127", "ITALIE", "MILAN"),
    ("99137", "LUXEMBOURG", "LUXEMBOURG"),
)
ENSEIGNES = ("L ATELIER", "LE COMPTOIR", "ESPACE", "LA BOUTIQUE", "LE RELAIS", "MAISON", "POINT")
MOTS = (
    "DES QUARTIERS",
    "DU PARC",
    "SOLIDAIRE",
    "DES CITES",
    "DU CENTRE",
    "DES COLLINES",
    "DE LA VALLEE",
    "DU PLATEAU",
    "DES BERGES",
    "DU SOLEIL",
    "DES ARTS",
    "DE L AVENIR",
    "DU LIEN",
    "DES SAVOIRS",
    "EN COMMUN",
    "DES HALLES",
    "DU FAUBOURG",
    "DES PRES",
    "NOUVEL ELAN",
    "HORIZONS",
    "TREMPLIN",
    "PASSERELLE",
    "RENCONTRES",
    "ARC EN CIEL",
)
PRENOMS_M = (
    "JEAN",
    "PIERRE",
    "MOHAMED",
    "NICOLAS",
    "KARIM",
    "THOMAS",
    "LUCAS",
    "YANNICK",
    "ALI",
    "PHILIPPE",
    "MAMADOU",
    "DAVID",
    "JULIEN",
    "SAMIR",
    "ANTOINE",
    "HUGO",
    "MEHDI",
    "LOUIS",
)
PRENOMS_F = (
    "MARIE",
    "NATHALIE",
    "FATIMA",
    "SOPHIE",
    "AMINATA",
    "ISABELLE",
    "LEA",
    "CAMILLE",
    "NADIA",
    "CHRISTINE",
    "SARAH",
    "AICHA",
    "JULIE",
    "EMMA",
    "SANDRINE",
    "YASMINE",
    "CLARA",
)
NOMS = (
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFEBVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "MOREL",
    "GIRARD",
    "ANDRE",
    "MERCIER",
    "DUPONT",
    "LAMBERT",
    "BONNET",
    "FRANCOIS",
    "MARTINEZ",
    "BENALI",
    "DIALLO",
    "NGUYEN",
    "TRAORE",
    "HADDAD",
    "DA SILVA",
    "PEREIRA",
    "CAMARA",
    "BOUZID",
    "KONE",
    "LOPEZ",
)

_PREFIXES = {
    "association": ("ASSOCIATION", "ASSOC", "AMICALE", "COLLECTIF", "UNION"),
    "cooperative": ("SCOP", "SCIC", "COOPERATIVE", "COOP"),
    "mutuelle": ("MUTUELLE", "MUTUELLE SOLIDAIRE", "CAISSE MUTUELLE"),
    "fondation": ("FONDATION", "FONDS DE DOTATION"),
    "societe_commerciale_ess": ("ENTREPRISE SOLIDAIRE", "SAS", "ESUS"),
    "prive_hors_ess": ("SARL", "SAS", "ETS", "SOCIETE", "HOLDING"),
    "public": ("CCAS", "COMMUNE", "GIP"),
}
_THEMES = {
    "action_sociale": (
        "AIDE A DOMICILE",
        "ENTRAIDE",
        "ACCUEIL FAMILLES",
        "PETITE ENFANCE",
        "INSERTION",
    ),
    "enseignement": ("FORMATION", "SOUTIEN SCOLAIRE", "ECOLE", "SAVOIRS DE BASE"),
    "finance": ("CREDIT", "EPARGNE", "ASSURANCE", "FINANCE SOLIDAIRE"),
    "soutien": ("SERVICES", "NETTOYAGE", "ESPACES VERTS", "CONSEIL", "EMPLOI"),
    "sante": ("SANTE", "SOINS", "CENTRE DE SANTE", "PREVENTION"),
    "sport": ("CLUB SPORTIF", "FOOTBALL CLUB", "JUDO CLUB", "BOXE", "BASKET"),
    "arts": ("THEATRE", "MUSIQUES", "CULTURE", "DANSE", "CINEMA"),
    "hebergement": ("RESTAURANT", "CANTINE", "AUBERGE", "TRAITEUR"),
    "commerce": ("EPICERIE", "RESSOURCERIE", "MAGASIN", "GARAGE"),
    "industrie": ("BATIMENT", "RECYCLAGE", "MARAICHAGE", "BOULANGERIE"),
    "adhesion": ("JEUNESSE", "LOISIRS", "HABITANTS", "EDUCATION POPULAIRE", "FEDERATION"),
    "autres": ("SERVICES", "TRANSPORTS", "INFORMATIQUE", "IMMOBILIER", "REPARATION"),
    "public": ("ACTION SOCIALE", "ADMINISTRATION", "DEVELOPPEMENT"),
}


def _prendre(valeurs: list[str], indices: np.ndarray) -> pa.Array:
    return pc.take(pa.array(valeurs, type=pa.string()), pa.array(indices, type=pa.int32()))


def denominations(
    rng: np.random.Generator, famille: np.ndarray, secteur: np.ndarray, n: int
) -> pa.Array:
    """Fictional names: family prefix + sector theme + a place-like word (a few quoted or with
    commas, to exercise CSV quoting)."""
    prefixe = np.empty(n, dtype=object)
    theme = np.empty(n, dtype=object)
    for f, nom_f in enumerate(FAMILLES):
        m = np.flatnonzero(famille == f)
        liste = _PREFIXES[nom_f]
        prefixe[m] = np.array(liste, dtype=object)[rng.integers(0, len(liste), len(m))]
    for s, liste in _THEMES.items():
        m = np.flatnonzero(secteur == s)
        theme[m] = np.array(liste, dtype=object)[rng.integers(0, len(liste), len(m))]
    mot = _prendre(list(MOTS), rng.integers(0, len(MOTS), n))
    nom = pc.binary_join_element_wise(
        pa.array(prefixe, type=pa.string()), pa.array(theme, type=pa.string()), mot, " "
    )
    u = rng.random(n)
    guillemets = pc.binary_join_element_wise(pa.scalar('"'), pc.utf8_upper(mot), pa.scalar('"'), "")
    guillemets = pc.binary_join_element_wise(pa.array(prefixe, type=pa.string()), guillemets, " ")
    virgule = pc.binary_join_element_wise(pa.array(theme, type=pa.string()), mot, ", ")
    nom = pc.if_else(pa.array(u < 0.01), guillemets, nom)
    return pc.if_else(pa.array((u >= 0.01) & (u < 0.02)), virgule, nom)


def sigles(rng: np.random.Generator, n: int) -> pa.Array:
    """Three- to five-letter acronyms."""
    lettres = np.array(list("ABCDEFGHIJKLMNOPRSTUV"), dtype=object)
    longueur = rng.integers(3, 6, n)
    tirage = lettres[rng.integers(0, len(lettres), (n, 5))]
    morceaux = [pa.array(tirage[:, i], type=pa.string()) for i in range(5)]
    masques = [pa.array(longueur <= i) for i in range(5)]
    morceaux = [pc.if_else(m, pa.scalar(""), c) for m, c in zip(masques, morceaux, strict=True)]
    return pc.binary_join_element_wise(*morceaux, "")
