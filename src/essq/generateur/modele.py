"""Vectorised generation of one chunk of legal units and their establishments.

A chunk is ``n_ul`` legal units drawn with one :class:`numpy.random.Generator`; each unit gets
one or more establishments, contiguous and in SIRET order. Everything is built column-wise
(numpy, then Arrow), never row by row, so that 42 million establishments stay affordable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from essq.generateur import noms
from essq.generateur.nomenclatures import (
    FAMILLES,
    TRANCHES,
    Nomenclatures,
    normaliser,
)
from essq.generateur.placement import (
    DEDANS,
    ETRANGER,
    SANS_COORDONNEES,
    ZONES,
    Lieux,
    Placeur,
)
from essq.generateur.schemas import (
    NON_DIFFUSE,
    SCHEMA_ETABLISSEMENT,
    SCHEMA_UNITE_LEGALE,
)

EPOQUE = dt.date(1970, 1, 1)
FAM = {f: i for i, f in enumerate(FAMILLES)}


@dataclass(frozen=True)
class Options:
    """Knobs of a generation run (shares are of establishments unless stated)."""

    date_stock: dt.date
    part_fermes: float = 0.40
    part_sans_coordonnees: float = 0.02
    part_etrangers: float = 0.0005
    part_multi_etablissements: float = 0.22
    max_etablissements: int = 40


@dataclass
class Lot:
    unites_legales: pa.Table
    etablissements: pa.Table
    verite: pa.Table  # siret, zone, qpv_reference, distance_m (ground truth of the placement)


# -- identifiers --------------------------------------------------------------------------------
def chiffres(valeurs: np.ndarray, largeur: int) -> np.ndarray:
    """Decimal digits (n, largeur) of non-negative integers, most significant first."""
    puissances = 10 ** np.arange(largeur - 1, -1, -1, dtype=np.int64)
    return (valeurs[:, None] // puissances[None, :]) % 10


def somme_luhn(d: np.ndarray, double_pairs_depuis_droite: bool) -> np.ndarray:
    """Luhn sum of digit rows; doubles every second digit starting at the rightmost one when
    ``double_pairs_depuis_droite`` (i.e. the rightmost digit is the one before the key)."""
    largeur = d.shape[1]
    rang = largeur - 1 - np.arange(largeur)  # 0 for the rightmost digit
    double = (rang % 2 == 0) if double_pairs_depuis_droite else (rang % 2 == 1)
    v = np.where(double[None, :], d * 2, d)
    v = np.where(v > 9, v - 9, v)
    return v.sum(axis=1)


def cle_luhn(base: np.ndarray, largeur: int) -> np.ndarray:
    """Check digit to append to ``base`` (``largeur`` digits) so that the result is Luhn-valid."""
    s = somme_luhn(chiffres(base, largeur), double_pairs_depuis_droite=True)
    return (10 - s % 10) % 10


def luhn_valide(codes: list[str] | np.ndarray) -> np.ndarray:
    """True for each code (string of digits) whose Luhn checksum is valid."""
    tab = np.array([[int(c) for c in code] for code in codes], dtype=np.int64)
    return somme_luhn(tab, double_pairs_depuis_droite=False) % 10 == 0


def texte_entier(valeurs: np.ndarray, largeur: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(valeurs, type=pa.int64()), pa.string()), largeur, "0")


# -- draws --------------------------------------------------------------------------------------
def uniformes_stratifiees(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniforms on [0, 1), one in each interval [i/n, (i+1)/n), in random order.

    Drawing categories from them (Latin hypercube sampling) keeps each category's count within
    one of its expected value: a 3,000-establishment territory then shows the shares it was
    calibrated for instead of the noise of a few large draws.
    """
    return (rng.permutation(n) + rng.random(n)) / n


def tirer_dans(rng: np.random.Generator, cles: list[str], p: np.ndarray, n: int) -> np.ndarray:
    """Indices into ``cles`` drawn with weights ``p`` (stratified: counts match ``p``)."""
    cumul = np.cumsum(p)
    cumul = cumul / cumul[-1]  # exactly 1 at the end: no draw falls past the last category
    return np.searchsorted(cumul, uniformes_stratifiees(rng, n), side="right")


def tirer_oui(rng: np.random.Generator, p: np.ndarray | float, masque: np.ndarray) -> np.ndarray:
    """Stratified Bernoulli draws with probability ``p`` for the rows in ``masque`` (False
    elsewhere): among them, the number of successes is the expected one."""
    resultat = np.zeros(len(masque), dtype=bool)
    idx = np.flatnonzero(masque)
    p_idx = p[idx] if isinstance(p, np.ndarray) else p
    resultat[idx] = uniformes_stratifiees(rng, len(idx)) < p_idx
    return resultat


def _prendre(valeurs: Sequence[str | None], indices: np.ndarray) -> pa.Array:
    return pc.take(pa.array(valeurs, type=pa.string()), pa.array(indices, type=pa.int32()))


def _vers_date(jours: np.ndarray) -> pa.Array:
    return pa.array(jours.astype(np.int32), type=pa.date32())


def _masque_null(tableau: pa.Array, masque: np.ndarray) -> pa.Array:
    """Set to null where ``masque`` is True."""
    return pc.if_else(pa.array(masque), pa.scalar(None, type=tableau.type), tableau)


def _nd_si(tableau: pa.Array, masque: np.ndarray, meme_vide: bool = False) -> pa.Array:
    """Replace by ``[ND]`` where masque (only non-null values unless ``meme_vide``)."""
    m = pa.array(masque)
    if not meme_vide:
        m = pc.and_(m, pc.is_valid(tableau))
    return pc.if_else(m, pa.scalar(NON_DIFFUSE), tableau)


def _par_zone(valeur: float | dict[str, float], zone_siege: np.ndarray) -> np.ndarray:
    """A share given once or as ``{qpv: …, hors_qpv: …}``, per unit (by its head office)."""
    if isinstance(valeur, dict):
        return np.where(zone_siege == DEDANS, valeur["qpv"], valeur["hors_qpv"])
    return np.full(len(zone_siege), float(valeur))


def generer_lot(
    rng: np.random.Generator,
    n_ul: int,
    premier_siren: np.ndarray,
    nomenclatures: Nomenclatures,
    placeur: Placeur,
    options: Options,
    max_etablissements_lot: int | None = None,
) -> Lot:
    """Draw ``n_ul`` legal units (SIREN bases given by ``premier_siren``) and their establishments.

    ``max_etablissements_lot`` truncates the chunk (the last units keep fewer establishments or
    are dropped) so that a run stops exactly at the requested number of establishments.
    """
    nom = nomenclatures
    annee_stock = options.date_stock.year
    jour_stock = (options.date_stock - EPOQUE).days

    # Number of establishments per unit, then truncation.
    multi = rng.random(n_ul) < options.part_multi_etablissements
    k = np.where(multi, 1 + rng.geometric(0.45, n_ul), 1).clip(1, options.max_etablissements)
    if max_etablissements_lot is not None:
        cum = np.cumsum(k)
        garder = int(np.searchsorted(cum, max_etablissements_lot, side="left")) + 1
        garder = min(garder, n_ul)
        k = k[:garder].copy()
        depasse = int(k.sum()) - max_etablissements_lot
        if depasse > 0:
            k[-1] -= depasse
        n_ul = len(k)
        premier_siren = premier_siren[:n_ul]
    n = int(k.sum())
    ul_de = np.repeat(np.arange(n_ul), k)  # unit of each establishment
    debut_ul = np.concatenate([[0], np.cumsum(k)[:-1]])
    rang = np.arange(n) - debut_ul[ul_de]  # 0 for the first (head office) establishment

    # Placement.
    lieux: Lieux = placeur.placer(rng, n)
    zone = lieux.zone.copy()
    x, y = lieux.x.copy(), lieux.y.copy()
    commune = lieux.commune.copy()
    sans = (rng.random(n) < options.part_sans_coordonnees) & (zone != DEDANS)
    etranger = (rng.random(n) < options.part_etrangers) & (zone != DEDANS) & (rang > 0)
    x[sans | etranger] = np.nan
    y[sans | etranger] = np.nan
    zone[sans] = SANS_COORDONNEES
    zone[etranger] = ETRANGER
    commune[etranger] = -1

    # Unit profile: ESS or not, employer, family, CJ, sector, NAF.
    zone_siege = zone[debut_ul]
    en_qpv = zone_siege == DEDANS
    p_ess = _par_zone(nom.brut["part_ess"], zone_siege)
    ess = tirer_oui(rng, p_ess, en_qpv) | tirer_oui(rng, p_ess, ~en_qpv)
    famille = np.empty(n_ul, dtype=np.int8)
    employeur = np.zeros(n_ul, dtype=bool)
    pe = nom.brut["part_employeur"]
    soc_com = tirer_oui(rng, nom.brut["part_societe_commerciale_ess"], ess)
    ess_cj = ess & ~soc_com
    p_public = _par_zone(nom.brut["part_public"], zone_siege)
    public = tirer_oui(rng, p_public, ~ess & en_qpv) | tirer_oui(rng, p_public, ~ess & ~en_qpv)
    prive = ~ess & ~public
    p_prive = _par_zone(pe["prive_hors_ess"], zone_siege)
    for groupe, p_emp in (
        (ess_cj, pe["ess"]),
        (soc_com, pe["societe_commerciale_ess"]),
        (prive & en_qpv, p_prive),
        (prive & ~en_qpv, p_prive),
        (public, pe["public"]),
    ):
        employeur |= tirer_oui(rng, p_emp, groupe)
    famille[soc_com] = FAM["societe_commerciale_ess"]
    famille[public] = FAM["public"]
    famille[prive] = FAM["prive_hors_ess"]
    for emp, cle in ((True, "employeur"), (False, "non_employeur")):
        m = np.flatnonzero(ess_cj & (employeur == emp))
        cles, p = normaliser(nom.brut["familles_ess"][cle])
        famille[m] = np.array([FAM[c] for c in cles], dtype=np.int8)[
            tirer_dans(rng, cles, p, len(m))
        ]

    cj = np.empty(n_ul, dtype=object)
    secteur = np.empty(n_ul, dtype=object)
    naf = np.empty(n_ul, dtype=object)
    for f, nom_f in enumerate(FAMILLES):
        mf = famille == f
        if not mf.any():
            continue
        cles, p = nom.cj(nom_f)
        idx = np.flatnonzero(mf)
        cj[idx] = np.array(cles, dtype=object)[tirer_dans(rng, cles, p, len(idx))]
        for emp in (True, False):
            m = np.flatnonzero(mf & (employeur == emp))
            cles, p = nom.secteurs_de(nom_f, emp)
            secteur[m] = np.array(cles, dtype=object)[tirer_dans(rng, cles, p, len(m))]
    for s in nom.secteurs:
        for est_ess in (True, False):
            m = np.flatnonzero((secteur == s) & (ess == est_ess))
            if len(m):
                cles, p = nom.naf_de(s, est_ess)
                naf[m] = np.array(cles, dtype=object)[tirer_dans(rng, cles, p, len(m))]
    # Some catégories juridiques imply their activity (a hospital, a collège).
    for code, naf_cj in nom.naf_imposee().items():
        naf[cj == code] = naf_cj
    personne = cj == "1000"

    # Establishment states and dates.
    ferme = rng.random(n) < options.part_fermes
    actif_ul = np.bincount(ul_de, weights=~ferme, minlength=n_ul) > 0
    ferme[debut_ul[actif_ul]] = False  # an active unit keeps its head office open
    ul_cessee = ~actif_ul

    anciennete_ul = np.minimum(rng.exponential(12 * 365.25, n_ul), jour_stock - (-7305))  # ≥ 1950
    creation_ul = (jour_stock - anciennete_ul).astype(np.int64)
    creation_ul = np.minimum(creation_ul, jour_stock - 1)
    fraction = np.where(rang == 0, 0.0, rng.random(n))
    creation_et = creation_ul[ul_de] + (fraction * (jour_stock - creation_ul[ul_de])).astype(
        np.int64
    )
    fermeture = creation_et + (rng.random(n) * (jour_stock - creation_et)).astype(np.int64)
    fermeture = np.maximum(fermeture, creation_et)
    debut_et = np.where(
        ferme,
        fermeture,
        creation_et + (rng.random(n) ** 3 * (jour_stock - creation_et)).astype(np.int64),
    )
    # Units closed before 2008 were coded in older nomenclatures.
    j2008 = (dt.date(2008, 1, 1) - EPOQUE).days
    j2003 = (dt.date(2003, 1, 1) - EPOQUE).days
    j1993 = (dt.date(1993, 1, 1) - EPOQUE).days

    # NAF of establishments: mostly the unit's.
    naf_et = naf[ul_de].copy()
    autre = np.flatnonzero(rng.random(n) < 0.08)
    for s in nom.secteurs:
        for est_ess in (True, False):
            m = autre[(secteur[ul_de[autre]] == s) & (ess[ul_de[autre]] == est_ess)]
            if len(m):
                cles, p = nom.naf_de(s, est_ess)
                naf_et[m] = np.array(cles, dtype=object)[tirer_dans(rng, cles, p, len(m))]
    nomenclature_et = np.full(n, "NAFRev2", dtype=object)
    anciennes = nom.brut["naf_anciennes"]
    for borne, libelle in ((j1993, "NAP"), (j2003, "NAF1993"), (j2008, "NAFRev1")):
        m = np.flatnonzero(ferme & (fermeture < borne) & (nomenclature_et == "NAFRev2"))
        codes = [c for c, n_ in anciennes if n_ == libelle]
        nomenclature_et[m] = libelle
        naf_et[m] = np.array(codes, dtype=object)[rng.integers(0, len(codes), len(m))]

    # Headcount bands and employer flag.
    emp_et = employeur[ul_de] & ~ferme & ((rang == 0) | (rng.random(n) < 0.7))
    tr_idx = np.full(n, -1, dtype=np.int8)  # -1 = empty
    cles_n, p_n = normaliser(nom.brut["tranches_effectifs"]["non_employeur"])
    code_idx = {c: i for i, c in enumerate(TRANCHES)}
    # Employer bands depend on the unit's family and sector (a nursing home is larger than a
    # sports club, a town hall than a corner shop).
    famille_et = famille[ul_de]
    secteur_et = secteur[ul_de]
    for f, nom_f in enumerate(FAMILLES):
        propres = [x for x in nom.secteurs_tranches(nom_f) if x is not None]
        for secteur_tr in nom.secteurs_tranches(nom_f):
            choix = emp_et & (famille_et == f)
            if secteur_tr is not None:
                choix &= secteur_et == secteur_tr
            else:
                choix &= ~np.isin(secteur_et, propres)
            cles_e, p_e = nom.tranches_employeur(nom_f, secteur_tr)
            codes_e = np.array([code_idx[c] for c in cles_e], dtype=np.int8)
            for dans_qpv in (True, False):  # stratified separately inside and outside QPV
                m = np.flatnonzero(choix & ((zone == DEDANS) == dans_qpv))
                if len(m):
                    tr_idx[m] = codes_e[tirer_dans(rng, cles_e, p_e, len(m))]
    m = np.flatnonzero(~emp_et & ~ferme)
    tr_idx[m] = np.array([code_idx.get(c, -1) for c in cles_n], dtype=np.int8)[
        tirer_dans(rng, cles_n, p_n, len(m))
    ]
    caractere = np.where(emp_et, "O", "N").astype(object)
    flou = rng.random(n)
    caractere[emp_et & (flou < 0.02)] = None  # not always up to date
    caractere[~emp_et & ~ferme & (flou < 0.08)] = None
    ul_tr = np.full(n_ul, -1, dtype=np.int8)
    np.maximum.at(ul_tr, ul_de, tr_idx)

    # Diffusion status: persons often object; the unit's status applies to its establishments.
    p_partiel = np.where(personne, 0.20, 0.015)
    partiel_ul = rng.random(n_ul) < p_partiel
    partiel = partiel_ul[ul_de]

    # -- identifiers --
    siren_num = premier_siren * 10 + cle_luhn(premier_siren, 8)
    gaps = np.where(rang == 0, 1, rng.integers(1, 3, n))
    ordre = np.cumsum(gaps) - np.cumsum(gaps)[debut_ul][ul_de] + 1  # 1, 2/3, … per unit
    nic4 = np.minimum(ordre, 9999)
    base_siret = siren_num[ul_de] * 10_000 + nic4
    cle_nic = cle_luhn(base_siret, 13)
    nic_num = nic4 * 10 + cle_nic
    siren_txt = texte_entier(siren_num, 9)
    nic_txt = texte_entier(nic_num, 5)
    siret_txt = pc.binary_join_element_wise(pc.take(siren_txt, pa.array(ul_de)), nic_txt, "")

    # -- addresses --
    communes = placeur.communes
    c_idx = np.maximum(commune, 0)
    code_commune = _masque_null(_prendre([c.code for c in communes], c_idx), commune < 0)
    code_postal = _masque_null(_prendre([c.code_postal for c in communes], c_idx), commune < 0)
    lib_commune = _masque_null(_prendre([c.libelle for c in communes], c_idx), commune < 0)
    numero = rng.integers(1, 180, n)
    sans_numero = rng.random(n) < 0.08
    numero_txt = _masque_null(pc.cast(pa.array(numero), pa.string()), sans_numero | etranger)
    indice = _masque_null(
        _prendre(["B", "T", "Q"], rng.integers(0, 3, n)),
        (rng.random(n) > 0.04) | sans_numero | etranger,
    )
    plage = (rng.random(n) < 0.03) & ~sans_numero & ~etranger
    dernier_numero = _masque_null(
        pc.cast(pa.array(numero + 2 * rng.integers(1, 6, n)), pa.string()), ~plage
    )
    type_voie_idx = rng.choice(len(noms.TYPES_VOIE), size=n, p=noms.POIDS_TYPES_VOIE)
    type_voie = _masque_null(_prendre(list(noms.TYPES_VOIE), type_voie_idx), etranger)
    voie_idx = rng.integers(0, len(noms.VOIES), n)
    libelle_voie = _prendre(list(noms.VOIES), voie_idx)
    complement = _masque_null(
        _prendre(list(noms.COMPLEMENTS), rng.integers(0, len(noms.COMPLEMENTS), n)),
        rng.random(n) > 0.07,
    )
    cedex = (rng.random(n) < 0.01) & ~etranger
    distribution = _masque_null(
        pc.binary_join_element_wise(
            pa.scalar("BP "), pc.cast(pa.array(rng.integers(1, 999, n)), pa.string()), ""
        ),
        ~cedex,
    )
    code_cedex = _masque_null(code_postal, ~cedex)
    libelle_cedex = _masque_null(
        pc.binary_join_element_wise(lib_commune, pa.scalar("CEDEX"), " "), ~cedex
    )
    pays_idx = rng.integers(0, len(noms.PAYS), n)
    pays_code = _masque_null(_prendre([p[0] for p in noms.PAYS], pays_idx), ~etranger)
    pays_lib = _masque_null(_prendre([p[1] for p in noms.PAYS], pays_idx), ~etranger)
    ville_etr = _masque_null(_prendre([p[2] for p in noms.PAYS], pays_idx), ~etranger)
    geoloc = ~np.isnan(x)
    ident_adresse = _masque_null(
        pc.binary_join_element_wise(
            code_commune,
            texte_entier((voie_idx * 7919 + c_idx) % 10000, 4),
            texte_entier(numero, 5),
            "_",
        ),
        ~geoloc | sans_numero,
    )
    abscisse = _masque_null(pc.cast(pa.array(np.nan_to_num(x)), pa.string()), ~geoloc)
    ordonnee = _masque_null(pc.cast(pa.array(np.nan_to_num(y)), pa.string()), ~geoloc)

    # -- names --
    naf_et_arr = pa.array(naf_et, type=pa.string())
    enseigne = _masque_null(
        pc.binary_join_element_wise(
            _prendre(list(noms.ENSEIGNES), rng.integers(0, len(noms.ENSEIGNES), n)),
            _prendre(list(noms.MOTS), rng.integers(0, len(noms.MOTS), n)),
            " ",
        ),
        rng.random(n) > 0.25,
    )
    denom_usuelle_et = _masque_null(enseigne, rng.random(n) > 0.3)
    aprm_code = pc.binary_join_element_wise(
        pc.replace_substring(naf_et_arr, ".", ""),
        _prendre(["A", "B", "C"], rng.integers(0, 3, n)),
        "",
    )
    artisan = (
        personne[ul_de]
        & np.isin(secteur[ul_de], ["industrie", "commerce", "autres"])
        & (nomenclature_et == "NAFRev2")
    )
    aprm = _masque_null(aprm_code, ~(artisan & (rng.random(n) < 0.6)))

    # -- dates, periods --
    creation_et_arr = _vers_date(creation_et)
    debut_et_arr = _vers_date(debut_et)
    traitement = debut_et * 86400 + (rng.random(n) * (jour_stock - debut_et) * 86400).astype(
        np.int64
    )
    traitement = np.minimum(traitement, jour_stock * 86400 + 86399)
    periodes_et = 1 + rng.poisson(0.8, n) + ferme
    a_effectif = tr_idx >= 1  # "00" and numbered bands have a year; NN and empty do not
    annee_eff = _masque_null(pa.array(np.full(n, annee_stock - 2), type=pa.int32()), ~a_effectif)
    tranche_et = _masque_null(_prendre(list(TRANCHES), np.maximum(tr_idx, 0)), tr_idx < 0)

    siege = rang == 0
    etat = np.where(ferme, "F", "A").astype(object)

    # Non-diffusible rows: masked fields become [ND] (coordinates too, even when absent).
    p_et = partiel
    statut_et = np.where(p_et, "P", "O").astype(object)
    perso_et = personne[ul_de]
    colonnes_et = {
        "siren": pc.take(siren_txt, pa.array(ul_de)),
        "nic": nic_txt,
        "siret": siret_txt,
        "statutDiffusionEtablissement": pa.array(statut_et, type=pa.string()),
        "dateCreationEtablissement": creation_et_arr,
        "trancheEffectifsEtablissement": tranche_et,
        "anneeEffectifsEtablissement": annee_eff,
        "activitePrincipaleRegistreMetiersEtablissement": aprm,
        "dateDernierTraitementEtablissement": pa.array(traitement, type=pa.timestamp("s")),
        "etablissementSiege": pa.array(siege),
        "nombrePeriodesEtablissement": pa.array(periodes_et.astype(np.int32)),
        "complementAdresseEtablissement": _nd_si(complement, p_et),
        "numeroVoieEtablissement": _nd_si(numero_txt, p_et),
        "indiceRepetitionEtablissement": _nd_si(indice, p_et),
        "dernierNumeroVoieEtablissement": _nd_si(dernier_numero, p_et),
        "indiceRepetitionDernierNumeroVoieEtablissement": _nd_si(
            _masque_null(indice, ~plage), p_et
        ),
        "typeVoieEtablissement": _nd_si(type_voie, p_et),
        "libelleVoieEtablissement": _nd_si(_masque_null(libelle_voie, etranger), p_et),
        "codePostalEtablissement": code_postal,
        "libelleCommuneEtablissement": lib_commune,
        "libelleCommuneEtrangerEtablissement": ville_etr,
        "distributionSpecialeEtablissement": _nd_si(distribution, p_et),
        "codeCommuneEtablissement": code_commune,
        "codeCedexEtablissement": code_cedex,
        "libelleCedexEtablissement": libelle_cedex,
        "codePaysEtrangerEtablissement": pays_code,
        "libellePaysEtrangerEtablissement": pays_lib,
        "identifiantAdresseEtablissement": _nd_si(ident_adresse, p_et),
        "coordonneeLambertAbscisseEtablissement": _nd_si(abscisse, p_et, meme_vide=True),
        "coordonneeLambertOrdonneeEtablissement": _nd_si(ordonnee, p_et, meme_vide=True),
        "dateDebut": debut_et_arr,
        "etatAdministratifEtablissement": pa.array(etat, type=pa.string()),
        "enseigne1Etablissement": _nd_si(enseigne, p_et & perso_et),
        "denominationUsuelleEtablissement": _nd_si(denom_usuelle_et, p_et & perso_et),
        "activitePrincipaleEtablissement": naf_et_arr,
        "nomenclatureActivitePrincipaleEtablissement": pa.array(nomenclature_et, type=pa.string()),
        "caractereEmployeurEtablissement": pa.array(caractere, type=pa.string()),
    }
    etab = _table(colonnes_et, SCHEMA_ETABLISSEMENT, n)

    # -- legal units --
    fin_ul = np.zeros(n_ul, dtype=np.int64)
    np.maximum.at(fin_ul, ul_de, np.where(ferme, fermeture, 0))
    debut_ul_j = np.where(
        ul_cessee,
        fin_ul,
        creation_ul + (rng.random(n_ul) ** 2 * (jour_stock - creation_ul)).astype(np.int64),
    )
    traitement_ul = debut_ul_j * 86400 + (
        rng.random(n_ul) * (jour_stock - debut_ul_j) * 86400
    ).astype(np.int64)
    traitement_ul = np.minimum(traitement_ul, jour_stock * 86400 + 86399)
    naf_ul = naf.copy()
    nomenclature_ul = np.full(n_ul, "NAFRev2", dtype=object)
    siege_idx = debut_ul
    vieux = ul_cessee & (nomenclature_et[siege_idx] != "NAFRev2")
    naf_ul[vieux] = naf_et[siege_idx][vieux]
    nomenclature_ul[vieux] = nomenclature_et[siege_idx][vieux]
    purgee = ul_cessee & (fin_ul < j2003) & (rng.random(n_ul) < 0.5)

    sexe_idx = rng.integers(0, 2, n_ul)
    prenom = np.where(
        sexe_idx == 0,
        rng.integers(0, len(noms.PRENOMS_M), n_ul),
        rng.integers(0, len(noms.PRENOMS_F), n_ul) + len(noms.PRENOMS_M),
    )
    prenoms_tous = list(noms.PRENOMS_M) + list(noms.PRENOMS_F)
    prenom2 = np.where(
        sexe_idx == 0,
        rng.integers(0, len(noms.PRENOMS_M), n_ul),
        rng.integers(0, len(noms.PRENOMS_F), n_ul) + len(noms.PRENOMS_M),
    )
    nom_famille = _prendre(list(noms.NOMS), rng.integers(0, len(noms.NOMS), n_ul))
    pas_personne = ~personne
    nd_personne = partiel_ul & personne
    usage = _masque_null(
        _prendre(list(noms.NOMS), rng.integers(0, len(noms.NOMS), n_ul)),
        pas_personne | (rng.random(n_ul) > 0.1),
    )
    denomination = noms.denominations(rng, famille, secteur, n_ul)
    denomination = _masque_null(denomination, personne)
    sigle = _masque_null(noms.sigles(rng, n_ul), personne | (rng.random(n_ul) > 0.15))
    rna = _masque_null(
        pc.binary_join_element_wise(
            pa.scalar("W"),
            pc.utf8_slice_codeunits(
                pc.utf8_rpad(
                    pc.fill_null(pc.take(code_commune, pa.array(siege_idx)), "75"), 2, "0"
                ),
                0,
                2,
            ),
            texte_entier(rng.integers(0, 10_000_000, n_ul), 7),
            "",
        ),
        (famille != FAM["association"]) | (rng.random(n_ul) > 0.6),
    )
    ess_flag = np.full(n_ul, None, dtype=object)
    uu = rng.random(n_ul)
    est_ess_cj = np.isin(
        famille, [FAM[f] for f in ("association", "cooperative", "mutuelle", "fondation")]
    )
    ess_flag[est_ess_cj & (uu < 0.85)] = "O"
    ess_flag[famille == FAM["societe_commerciale_ess"]] = "O"
    hors = ~est_ess_cj & (famille != FAM["societe_commerciale_ess"])
    ess_flag[hors & (uu < 0.6)] = "N"
    mission = np.full(n_ul, None, dtype=object)
    mission[hors & (uu > 0.8)] = "N"
    mission[np.isin(cj, ["5710", "5720"]) & (uu > 0.97)] = "O"
    categorie = _prendre(["PME", "ETI", "GE"], np.select([ul_tr >= 11, ul_tr >= 9], [2, 1], 0))
    categorie = _masque_null(categorie, ul_cessee | personne & (rng.random(n_ul) < 0.5))
    annee_cat = _masque_null(pa.array(np.full(n_ul, annee_stock - 2), type=pa.int32()), ul_cessee)
    ul_a_eff = ul_tr >= 1
    colonnes_ul = {
        "siren": siren_txt,
        "statutDiffusionUniteLegale": pa.array(
            np.where(partiel_ul, "P", "O").astype(object), type=pa.string()
        ),
        "unitePurgeeUniteLegale": _masque_null(pa.array(np.ones(n_ul, dtype=bool)), ~purgee),
        "dateCreationUniteLegale": _vers_date(creation_ul),
        "sigleUniteLegale": sigle,
        "sexeUniteLegale": _nd_si(
            _masque_null(_prendre(["M", "F"], sexe_idx), pas_personne), nd_personne
        ),
        "prenom1UniteLegale": _nd_si(
            _masque_null(_prendre(prenoms_tous, prenom), pas_personne), nd_personne
        ),
        "prenom2UniteLegale": _nd_si(
            _masque_null(_prendre(prenoms_tous, prenom2), pas_personne | (rng.random(n_ul) > 0.5)),
            nd_personne,
        ),
        "prenomUsuelUniteLegale": _nd_si(
            _masque_null(_prendre(prenoms_tous, prenom), pas_personne), nd_personne
        ),
        "identifiantAssociationUniteLegale": rna,
        "trancheEffectifsUniteLegale": _masque_null(
            _prendre(list(TRANCHES), np.maximum(ul_tr, 0)), ul_tr < 0
        ),
        "anneeEffectifsUniteLegale": _masque_null(
            pa.array(np.full(n_ul, annee_stock - 2), type=pa.int32()), ~ul_a_eff
        ),
        "dateDernierTraitementUniteLegale": pa.array(traitement_ul, type=pa.timestamp("s")),
        "nombrePeriodesUniteLegale": pa.array(
            (1 + rng.poisson(1.5, n_ul) + ul_cessee).astype(np.int32)
        ),
        "categorieEntreprise": categorie,
        "anneeCategorieEntreprise": annee_cat,
        "dateDebut": _vers_date(debut_ul_j),
        "etatAdministratifUniteLegale": pa.array(
            np.where(ul_cessee, "C", "A").astype(object), type=pa.string()
        ),
        "nomUniteLegale": _nd_si(_masque_null(nom_famille, pas_personne), nd_personne),
        "nomUsageUniteLegale": _nd_si(usage, nd_personne),
        "denominationUniteLegale": denomination,
        "categorieJuridiqueUniteLegale": pa.array(cj, type=pa.string()),
        "activitePrincipaleUniteLegale": pa.array(naf_ul, type=pa.string()),
        "nomenclatureActivitePrincipaleUniteLegale": pa.array(nomenclature_ul, type=pa.string()),
        "nicSiegeUniteLegale": pc.take(nic_txt, pa.array(siege_idx)),
        "economieSocialeSolidaireUniteLegale": pa.array(ess_flag, type=pa.string()),
        "societeMissionUniteLegale": pa.array(mission, type=pa.string()),
        "caractereEmployeurUniteLegale": pa.array(
            np.where(employeur & actif_ul, "O", "N").astype(object), type=pa.string()
        ),
    }
    # Purged units keep only their identifier, dates and state.
    for nom_col in (
        "sigleUniteLegale",
        "denominationUniteLegale",
        "identifiantAssociationUniteLegale",
    ):
        colonnes_ul[nom_col] = _masque_null(colonnes_ul[nom_col], purgee)
    ul = _table(colonnes_ul, SCHEMA_UNITE_LEGALE, n_ul)

    verite = pa.table(
        {
            "siret": siret_txt,
            "zone": _prendre(list(ZONES), zone),
            "qpv_reference": _masque_null(
                _prendre(list(placeur.qpv_codes) or [""], np.maximum(lieux.qpv, 0)),
                (lieux.qpv < 0) | (zone == SANS_COORDONNEES) | (zone == ETRANGER),
            ),
            "distance_m": _masque_null(
                pa.array(np.nan_to_num(lieux.distance)), np.isnan(lieux.distance) | ~geoloc
            ),
            "famille": _prendre(list(FAMILLES), famille[ul_de]),
            "secteur": pa.array(secteur[ul_de], type=pa.string()),
        }
    )
    return Lot(ul, etab, verite)


def _table(colonnes: dict[str, pa.Array], schema: pa.Schema, n: int) -> pa.Table:
    tableaux = []
    for champ in schema:
        valeur = colonnes.get(champ.name)
        if valeur is None:
            valeur = pa.nulls(n, type=champ.type)
        elif valeur.type != champ.type:
            valeur = pc.cast(valeur, champ.type)
        tableaux.append(valeur)
    return pa.Table.from_arrays(tableaux, schema=schema)
