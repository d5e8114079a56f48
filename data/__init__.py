"""The bundled sample (``sample/``), package data of ``journey_mining.data``.

This file only makes the folder an importable package, so ``importlib.resources`` finds the
sample the same way in a checkout (editable install) and in an installed wheel; see
``journey_mining.config.sample_config_path``.
"""
