"""The SQL models (package data of ``journey_mining.sql``; see ``journey_mining.models``).

This file only makes the folder an importable package, so ``importlib.resources`` finds the
models the same way in a checkout (editable install) and in an installed wheel.
"""
