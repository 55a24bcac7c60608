"""Rule engines that explain their verdicts with sources.

Belongs here: the diagnostics (qualification ESS, pré-diagnostic ESUS, choix de statut,
modèle socio-économique, pérennité, leviers pour une collectivité, orientation d'un porteur
de projet), their rules and thresholds as data, and their JSON input and output schemas.
Depends on referentiel (and territoires for places)."""
