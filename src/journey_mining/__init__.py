"""journey_mining: infer customer journey maps from web, email and support event logs."""

__version__ = "0.1.0"
