"""``essq donnees telecharger``: download the official files listed in a catalogue.

The catalogue is a data file (``donnees/catalogue.yaml``): id, URL, file name, optional
SHA-256. Downloads stream to ``<nom>.partiel`` next to the destination, resume from it with
an HTTP Range request when the server allows it, check the checksum, then rename atomically:
the destination is either the previous file or the complete, verified new one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from essq.console import progression
from essq.erreurs import ErreurUtilisateur
from essq.fichiers import ecriture_atomique, sha256

CATALOGUE = Path(__file__).parent / "donnees" / "catalogue.yaml"
JOURNAL = "telechargements.json"
_MOTIF_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_MOTIF_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Ressource:
    id: str
    titre: str
    producteur: str
    url: str
    nom: str
    sha256: str | None = None
    commande_import: str | None = None
    page: str | None = None


@dataclass
class ResultatTelechargement:
    id: str
    chemin: str
    octets: int
    sha256: str
    etat: str  # 'telecharge' | 'repris' | 'deja_present'
    verifie: bool

    def en_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def charger_catalogue(chemin: Path | str | None = None) -> list[Ressource]:
    """Read and validate the catalogue (French errors naming the entry and field)."""
    chemin = Path(chemin) if chemin else CATALOGUE
    try:
        donnees = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ErreurUtilisateur(
            f"Catalogue illisible : {exc}",
            fichier=str(chemin),
            correctif="Vérifier la syntaxe YAML du catalogue (une liste d'entrées).",
        ) from exc
    if not isinstance(donnees, list):
        raise ErreurUtilisateur(
            "Le catalogue doit être une liste d'entrées.",
            fichier=str(chemin),
            correctif="Chaque entrée : id, titre, producteur, url, nom, sha256 (facultatif).",
        )
    ressources: list[Ressource] = []
    vus: set[str] = set()
    for i, e in enumerate(donnees, start=1):
        if not isinstance(e, dict):
            raise ErreurUtilisateur(
                f"L'entrée n° {i} n'est pas un objet.",
                fichier=str(chemin),
                correctif="Chaque entrée est un objet YAML (clé: valeur).",
            )
        for champ in ("id", "titre", "producteur", "url", "nom"):
            if not str(e.get(champ) or "").strip():
                raise ErreurUtilisateur(
                    f"Entrée n° {i} : champ obligatoire manquant.",
                    fichier=str(chemin),
                    champ=champ,
                    correctif=f"Renseigner « {champ} ».",
                )
        ident = str(e["id"])
        if not _MOTIF_ID.match(ident) or ident in vus:
            raise ErreurUtilisateur(
                f"Identifiant invalide ou en double : « {ident} ».",
                fichier=str(chemin),
                champ="id",
                correctif="Identifiants uniques en minuscules, chiffres et tirets.",
            )
        vus.add(ident)
        if not str(e["url"]).startswith(("https://", "http://")):
            raise ErreurUtilisateur(
                f"Entrée {ident} : URL invalide.",
                fichier=str(chemin),
                champ="url",
                correctif="Une URL http(s) complète est attendue.",
            )
        if "/" in str(e["nom"]) or str(e["nom"]).startswith("."):
            raise ErreurUtilisateur(
                f"Entrée {ident} : nom de fichier invalide.",
                fichier=str(chemin),
                champ="nom",
                correctif="Un simple nom de fichier, sans dossier.",
            )
        somme = e.get("sha256")
        if somme is not None and not isinstance(somme, str):
            raise ErreurUtilisateur(
                f"Entrée {ident} : la somme SHA-256 doit être une chaîne.",
                fichier=str(chemin),
                champ="sha256",
                correctif='L\'écrire entre guillemets (sha256: "…"), sinon YAML la lit comme un nombre.',
            )
        if somme is not None and not _MOTIF_SHA.match(str(somme).lower()):
            raise ErreurUtilisateur(
                f"Entrée {ident} : somme SHA-256 invalide.",
                fichier=str(chemin),
                champ="sha256",
                correctif="64 caractères hexadécimaux, ou retirer le champ.",
            )
        ressources.append(
            Ressource(
                id=ident,
                titre=str(e["titre"]),
                producteur=str(e["producteur"]),
                url=str(e["url"]),
                nom=str(e["nom"]),
                sha256=str(somme).lower() if somme else None,
                commande_import=e.get("import"),
                page=e.get("page"),
            )
        )
    return ressources


def telecharger(
    ids: Sequence[str],
    dossier: Path | str,
    *,
    catalogue: Path | str | None = None,
    forcer: bool = False,
    delai: float = 60.0,
) -> list[ResultatTelechargement]:
    """Download the catalogue entries ``ids`` (all when empty) into ``dossier``."""
    ressources = charger_catalogue(catalogue)
    par_id = {r.id: r for r in ressources}
    inconnus = [i for i in ids if i not in par_id]
    if inconnus:
        raise ErreurUtilisateur(
            f"Ressource inconnue : {', '.join(inconnus)}.",
            champ="ressource",
            correctif="Ressources disponibles : "
            + ", ".join(par_id)
            + " (essq donnees catalogue).",
        )
    choisies = [par_id[i] for i in ids] if ids else ressources
    dossier = Path(dossier)
    dossier.mkdir(parents=True, exist_ok=True)
    resultats = []
    with httpx.Client(
        follow_redirects=True, timeout=delai, headers={"User-Agent": "essq (ESS Quartiers)"}
    ) as client:
        for r in choisies:
            resultats.append(_telecharger_un(client, r, dossier, forcer))
    _journaliser(dossier, resultats, par_id)
    return resultats


def _telecharger_un(
    client: httpx.Client, r: Ressource, dossier: Path, forcer: bool
) -> ResultatTelechargement:
    destination = dossier / r.nom
    partiel = dossier / f"{r.nom}.partiel"
    if destination.exists() and not forcer and r.sha256:
        somme = sha256(destination)
        if somme == r.sha256:
            return ResultatTelechargement(
                r.id, str(destination), destination.stat().st_size, somme, "deja_present", True
            )
    deja = partiel.stat().st_size if partiel.exists() else 0
    entetes = {"Range": f"bytes={deja}-"} if deja else {}
    etat = "telecharge"
    try:
        with client.stream("GET", r.url, headers=entetes) as reponse:
            if reponse.status_code == 416 and deja:
                # the partial file is already complete (or longer than the resource): start again
                partiel.unlink()
                return _telecharger_un(client, r, dossier, forcer)
            if reponse.status_code >= 400:
                raise ErreurUtilisateur(
                    f"Le serveur a répondu {reponse.status_code} pour « {r.id} ».",
                    champ="url",
                    correctif=f"Vérifier l'URL dans le catalogue ({r.url}) ; la page du jeu de données "
                    f"({r.page or 'data.gouv.fr'}) donne l'adresse à jour.",
                )
            mode = "ab" if deja and reponse.status_code == 206 else "wb"
            if mode == "ab":
                etat = "repris"
            else:
                deja = 0
            total = reponse.headers.get("Content-Length")
            total_octets = int(total) + deja if total and total.isdigit() else None
            with open(partiel, mode) as f, progression() as p:
                tache = p.add_task(f"Téléchargement de {r.nom}", total=total_octets, completed=deja)
                for bloc in reponse.iter_bytes():
                    f.write(bloc)
                    p.advance(tache, len(bloc))
                f.flush()
                os.fsync(f.fileno())
            if total_octets is not None and partiel.stat().st_size < total_octets:
                raise httpx.ReadError("réponse tronquée")
    except httpx.HTTPError as exc:
        raise ErreurUtilisateur(
            f"Téléchargement de « {r.id} » interrompu : {exc}.",
            correctif="Relancer la même commande : le téléchargement reprendra où il s'est arrêté "
            f"(fichier partiel {partiel.name}). Vérifier la connexion et l'URL {r.url}.",
        ) from exc
    somme = sha256(partiel)
    if r.sha256 and somme != r.sha256:
        partiel.unlink()
        raise ErreurUtilisateur(
            f"Somme de contrôle incorrecte pour « {r.id} » : {somme} au lieu de {r.sha256}. "
            "Le fichier téléchargé a été supprimé ; l'éventuelle version précédente est intacte.",
            correctif="Relancer le téléchargement ; si l'erreur persiste, le producteur a republié le "
            "fichier : mettre à jour l'URL et la somme dans le catalogue.",
        )
    os.replace(partiel, destination)
    return ResultatTelechargement(
        r.id, str(destination), destination.stat().st_size, somme, etat, r.sha256 is not None
    )


def _journaliser(
    dossier: Path, resultats: list[ResultatTelechargement], par_id: dict[str, Ressource]
) -> None:
    chemin = dossier / JOURNAL
    journal: dict[str, Any] = {}
    if chemin.exists():
        try:
            journal = json.loads(chemin.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            journal = {}
    maintenant = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for res in resultats:
        r = par_id[res.id]
        journal[res.id] = {
            "url": r.url,
            "fichier": r.nom,
            "sha256": res.sha256,
            "octets": res.octets,
            "verifie": res.verifie,
            "producteur": r.producteur,
            "telecharge_le": maintenant
            if res.etat != "deja_present"
            else journal.get(res.id, {}).get("telecharge_le", maintenant),
        }
    with ecriture_atomique(chemin) as tmp:
        tmp.write_text(json.dumps(journal, indent=2, ensure_ascii=False), encoding="utf-8")
