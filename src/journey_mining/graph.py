"""The transition graph: ``stage_transitions`` / ``touchpoint_transitions`` as a networkx
``DiGraph`` (only the aggregated graph lives in Python; the counting is SQL).

Edges carry ``transitions``, ``customers``, ``probability`` and ``median_seconds`` (absent
when NULL: leaving ``(start)``); nodes carry ``customers`` (distinct customers whose
collapsed sequence reaches the node; every customer for ``(start)`` and ``(end)``) and
``visits`` (transitions into the node; out of it for ``(start)``). How it reconciles with
the funnel (docs/metrics.md): the ``transitions`` leaving ``(start)`` and entering ``(end)``
both add up to the customers of the funnel's first stage; every other node has as many
transitions in as out::

    >>> from journey_mining.metrics.paths import example_warehouse
    >>> G = build_transition_graph(example_warehouse(), level="stage")
    >>> sorted(G.successors("consideration"))
    ['(end)', 'purchase']
    >>> G["consideration"]["purchase"]["probability"]
    0.5
    >>> G.out_degree("(start)", weight="transitions") == G.in_degree("(end)", weight="transitions")
    True
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import networkx as nx

from .metrics.base import warehouse_connection

__all__ = [
    "build_transition_graph", "flow_balance", "write_graph", "write_graphs", "START", "END", "LEVELS",
]

START, END = "(start)", "(end)"
LEVELS = ("stage", "touchpoint")
_EDGE_ATTRS = ("transitions", "customers", "probability", "median_seconds")


def build_transition_graph(warehouse, level: str = "stage") -> nx.DiGraph:
    """A ``DiGraph`` of the ``level`` ('stage' | 'touchpoint') transitions of the warehouse
    at ``warehouse`` (a path or an open DuckDB connection)."""
    if level not in LEVELS:
        raise ValueError(f"level must be 'stage' or 'touchpoint', got {level!r}")
    table = f"{level}_transitions"
    with warehouse_connection(warehouse) as con:
        edges = con.execute(
            f"select from_{level}, to_{level}, transitions, customers, probability, median_seconds "
            f"from {table} order by 1, 2"
        ).fetchall()
        total = con.execute("select count(*) from customers").fetchone()[0]
        node_customers = _node_customers(con, level)
    G = nx.DiGraph(level=level, customers=total)
    for source, target, *values in edges:
        attrs = {k: v for k, v in zip(_EDGE_ATTRS, values, strict=True) if v is not None}
        G.add_edge(source, target, **attrs)
    for node in G.nodes:
        G.nodes[node]["customers"] = total if node in (START, END) else node_customers.get(node, 0)
        degree = G.out_degree if node == START else G.in_degree
        G.nodes[node]["visits"] = degree(node, weight="transitions")
    return G


def flow_balance(G: nx.DiGraph, *, weight: str = "transitions") -> dict[str, float]:
    """In minus out ``weight`` at every node but ``(start)`` and ``(end)``; all zero for a
    transition graph (each run of a node is entered once and left once), and ``(start)``'s
    out-weight equals ``(end)``'s in-weight (the customers).

    >>> G = nx.DiGraph([(START, "a", {"transitions": 2}), ("a", END, {"transitions": 2})])
    >>> flow_balance(G)
    {'a': 0}
    """
    return {
        node: G.in_degree(node, weight=weight) - G.out_degree(node, weight=weight)
        for node in G.nodes
        if node not in (START, END)
    }


def _node_customers(con: duckdb.DuckDBPyConnection, level: str) -> dict[str, int]:
    """Distinct customers per node (``drop_off.journeys``: a customer may enter a node from
    two places, so the edges' customers do not add up to it)."""
    rows = con.execute(
        "select exit_point, journeys from drop_off where level = $level", {"level": level}
    ).fetchall()
    return {node: int(n) for node, n in rows}


def write_graph(G: nx.DiGraph, folder: Path, name: str) -> list[Path]:
    """Write ``G`` as ``<folder>/<name>.graphml`` and ``<folder>/<name>.json`` (node-link)."""
    folder.mkdir(parents=True, exist_ok=True)
    graphml, node_link = folder / f"{name}.graphml", folder / f"{name}.json"
    nx.write_graphml(G, graphml)
    data = nx.node_link_data(G, edges="edges")
    node_link.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    return [graphml, node_link]


def write_graphs(warehouse, folder: Path) -> list[Path]:
    """Write the stage and touchpoint graphs (``stage_transitions.graphml``/``.json``,
    ``touchpoint_transitions.*``) into ``folder``; a warehouse without the transitions
    marts writes nothing."""
    written: list[Path] = []
    for level in LEVELS:
        try:
            G = build_transition_graph(warehouse, level=level)
        except duckdb.CatalogException:
            continue
        written += write_graph(G, folder, f"{level}_transitions")
    return written
