"""Prefect flows: thin, typed tasks over functions in ``journey_mining``."""
