"""Emotions: how customers feel, per stage and per touchpoint (docs/emotions.md).

Every ``text`` is scored once per distinct text with VADER (``vaderSentiment``: an offline
lexicon shipped in the wheel; no text leaves the machine), scores are normalised to -1..1
(CSAT good/bad, NPS 0-10, ratings 1-5) and email unsubscribes, spam reports and bounces
count as negative behaviour. The ``emotions`` mart holds the mean, the count and the share
negative per stage (in stage order) and per touchpoint::

    >>> sentiment(["I love it", "Useless. Still broken."])
    [0.6369, -0.7096]
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from .base import warehouse_connection

__all__ = ["NEGATIVE_AT_OR_BELOW", "sentiment", "score_texts", "emotions"]

# A signal at or below this value counts as negative. -0.05 is VADER's own documented
# cut-off for a negative compound score; it is used for every kind of signal.
NEGATIVE_AT_OR_BELOW = -0.05


@cache
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()  # loads the lexicon shipped in the wheel, once


def sentiment(texts: Iterable[str]) -> list[float]:
    """VADER compound score (-1..1) of each text, in order."""
    texts = list(texts)
    if not texts:
        return []
    analyzer = _analyzer()
    return [analyzer.polarity_scores(text)["compound"] for text in texts]


def score_texts(con: duckdb.DuckDBPyConnection, *, temp: bool = True) -> None:
    """Create ``int_sentiment_texts`` (text, compound): each distinct non-empty ``events.text``
    scored once (the texts are few next to the events: templates, repeated answers)."""
    texts = [row[0] for row in con.execute(
        "select distinct text from events where text is not null and trim(text) <> '' order by text"
    ).fetchall()]
    frame = pd.DataFrame({"text": pd.Series(texts, dtype=object),
                          "compound": pd.Series(sentiment(texts), dtype="float64")})
    kind = "temp table" if temp else "table"
    con.register("_jm_sentiment_texts", frame)
    try:
        con.execute(f"create or replace {kind} int_sentiment_texts as "
                    "select text::varchar as text, compound::double as compound from _jm_sentiment_texts")
    finally:
        con.unregister("_jm_sentiment_texts")


def emotions(warehouse: str | Path | duckdb.DuckDBPyConnection, by: str = "stage") -> pd.DataFrame:
    """The ``emotions`` mart at one level: ``by="stage"`` (in stage order: the emotion curve)
    or ``by="touchpoint"`` (most negative first).

    >>> from journey_mining.metrics.signals import example_warehouse
    >>> con = example_warehouse()
    >>> emotions(con, by="stage")[["name", "signals", "mean_emotion"]].head(2)
            name  signals  mean_emotion
    0  awareness        1       -1.0000
    1   decision        1       -0.7096
    """
    if by not in ("stage", "touchpoint"):
        raise ValueError(f"by must be 'stage' or 'touchpoint', got {by!r}")
    with warehouse_connection(warehouse) as con:
        order = "stage_index, name" if by == "stage" else "mean_emotion, name"
        return con.execute(
            f"select * from emotions where level = $level order by {order}", {"level": by}
        ).df()
