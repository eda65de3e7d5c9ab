"""Counterfeit and provenance-gap detection (DOMAIN.md "Counterfeit and provenance-gap
indicators"): named rules with thresholds, run in bulk over the read model with pandas."""
