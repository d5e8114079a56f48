"""Vectorised random draws and formatting shared by the simulation modules."""

from __future__ import annotations

import base64

import numpy as np

from .parameters import CATEGORY_PREF, PER_CATEGORY


def rows_choice(rng: np.random.Generator, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``rows`` from ``cdf[rows]`` (cumulative)."""
    u = rng.random(len(rows))
    k = (u[:, None] >= cdf[rows]).sum(axis=1)
    return np.minimum(k, cdf.shape[-1] - 1)


def choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(p), size=n, p=np.asarray(p) / np.sum(p))


def group_starts(counts: np.ndarray) -> np.ndarray:
    return (np.cumsum(counts) - counts).astype(np.int64)


def within(counts: np.ndarray) -> np.ndarray:
    """0..n-1 inside each group of sizes ``counts``."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(group_starts(counts), counts)


def draw_products(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    cat = rows_choice(rng, CATEGORY_PREF, persona)
    return (cat * PER_CATEGORY + rng.integers(0, PER_CATEGORY, len(persona))).astype(np.int32)


def iso(ts: np.ndarray) -> np.ndarray:
    s = np.datetime_as_string(np.asarray(ts, dtype="int64").astype("datetime64[s]"), unit="s")
    return np.char.add(s, "Z").astype(object)


def b64_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random url-safe ids of 20 characters (SendGrid-like)."""
    if n == 0:
        return np.array([], dtype=object)
    enc = base64.urlsafe_b64encode(rng.bytes(15 * n))
    return np.frombuffer(enc, dtype="S20").astype("U20").astype(object)


def hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, 2**63, n, dtype=np.int64)
    b = rng.integers(0, 2**63, n, dtype=np.int64)
    out = []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        h = f"{x:016x}{y:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}")
    return out


def iso1(t: int) -> str:
    return str(np.datetime64(int(t), "s")) + "Z"
