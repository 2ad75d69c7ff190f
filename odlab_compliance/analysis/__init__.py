"""Analyses built on the model: changes, forecast, the collectivité sheet."""
