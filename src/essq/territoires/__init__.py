"""Official geography with vintages, and the "is it in a QPV?" engine.

Belongs here: importers of QPV contours (generations 2015 and 2024), the COG (communes,
arrondissements, EPCI, départements, régions) and commune zonings (ZRR/FRR, ACV, PVD);
projections (Lambert-93 and the overseas legal systems); point and batch localisation
(containing QPV, distance to the nearest one, buffers); territory search by name or code.
Depends on nothing else in essq."""
