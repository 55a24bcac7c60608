"""The fictional demo territory and synthetic SIRENE stocks for tests and benchmarks.

Belongs here: a deterministic, seeded generator of a fictional agglomération (communes with
codes that cannot collide with INSEE's, QPV polygons in ANCT's schema) and of establishments
and legal units in the exact SIRENE stock schemas, from a thousand to 42 million rows.
No reader of the product depends on it: it writes files the readers treat like INSEE's."""
