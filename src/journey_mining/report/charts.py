"""The report's Plotly charts as HTML fragments. Plotly's JavaScript is inlined once (the
first chart), so the report needs no network. Every label that comes from data goes through
:func:`label` (Plotly renders a few HTML tags in text; escaped, it shows them as text)."""

from __future__ import annotations

import html

import networkx as nx
import plotly.graph_objects as go

from ..graph import END, START, build_transition_graph

__all__ = ["TOP_GRAPH_EDGES", "label", "build_charts"]

# edges of the touchpoint transition graph drawn (the most frequent transitions)
TOP_GRAPH_EDGES = 30

_FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=12)
_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


def label(value: object) -> str:
    """Text from data, safe in a Plotly label (``<`` shows as ``<``, is never a tag).

    >>> label('/"><script>alert(1)</script>')
    '/"&gt;&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape("" if value is None else str(value), quote=False)


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.01), height=height, font=_FONT,
                      margin=dict(l=20, r=20, t=50, b=30), template="plotly_white")
    return fig


def funnel(stages: list[dict]) -> go.Figure:
    fig = go.Figure(go.Funnel(
        y=[label(s["stage"]) for s in stages], x=[s["customers"] for s in stages],
        textinfo="value+percent initial+percent previous", marker=dict(color="#3b6ea8"),
    ))
    return _layout(fig, "Funnel: customers who reached each stage")


def sankey(flows: list[dict], stages: list[str]) -> go.Figure:
    """Stage flows as two columns: where customers were (left) -> where they went next."""
    order = [START, *stages]
    targets = [*stages, END]
    left = {name: i for i, name in enumerate(order)}
    right = {name: len(order) + i for i, name in enumerate(targets)}
    links = [f for f in flows if f["from_stage"] in left and f["to_stage"] in right]
    node_labels = [label(n) for n in order] + [label(n) + " " for n in targets]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=node_labels, pad=12, thickness=14, color="#8fa9c9"),
        link=dict(
            source=[left[f["from_stage"]] for f in links],
            target=[right[f["to_stage"]] for f in links],
            value=[f["transitions"] for f in links],
            customdata=[f"{f['probability']:.0%}" if f["probability"] is not None else "" for f in links],
            hovertemplate="%{source.label} → %{target.label}: %{value} transitions (%{customdata})<extra></extra>",
            color="rgba(59,110,168,0.25)",
        ),
    ))
    return _layout(fig, "Stage flows (stage_transitions): from each stage to the next one", 420)


def touchpoint_graph(warehouse, touchpoint_stages: list[dict], stages: list[str]) -> go.Figure:
    """The top edges of ``graph.build_transition_graph(level='touchpoint')``, touchpoints
    placed in the column of their main stage, ordered by visits within it."""
    G = build_transition_graph(warehouse, level="touchpoint")
    edges = sorted(G.edges(data=True), key=lambda e: (-e[2].get("transitions", 0), e[0], e[1]))
    edges = [e for e in edges if e[0] != e[1]][:TOP_GRAPH_EDGES]
    H = nx.DiGraph()
    H.add_edges_from((a, b, d) for a, b, d in edges)
    main = {r["touchpoint"]: r["stage_index"] for r in touchpoint_stages}
    column = {n: (-1 if n == START else len(stages) if n == END else main.get(n, 0)) for n in H.nodes}
    pos = {}
    for col in sorted(set(column.values())):
        members = sorted((n for n in H.nodes if column[n] == col),
                         key=lambda n: (-G.nodes[n].get("visits", 0), n))
        for k, n in enumerate(members):
            # zig-zag within a column so edges between its touchpoints do not overlap, and
            # stagger neighbouring columns so their labels do not collide
            offset = 0.35 if col % 2 else 0.0
            pos[n] = (col + (0.18 if k % 2 else -0.18) * (len(members) > 1), -(k + offset))
    fig = go.Figure()
    top = max((d.get("transitions", 1) for _, _, d in edges), default=1)
    for a, b, d in edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowsize=1, standoff=6,
                           arrowwidth=0.6 + 3.4 * d.get("transitions", 0) / top,
                           arrowcolor="rgba(59,110,168,0.45)", text="")
    fig.add_trace(go.Scatter(
        x=[(pos[a][0] + pos[b][0]) / 2 for a, b, _ in edges],
        y=[(pos[a][1] + pos[b][1]) / 2 for a, b, _ in edges],
        mode="markers", marker=dict(size=6, color="rgba(0,0,0,0)"),
        hovertext=[f"{label(a)} → {label(b)}: {d.get('transitions', 0)} transitions, "
                   f"{d.get('probability', 0):.0%}" for a, b, d in edges],
        hoverinfo="text", showlegend=False,
    ))
    nodes = list(H.nodes)
    fig.add_trace(go.Scatter(
        x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text",
        text=[label(n) for n in nodes], textposition="top center", textfont=dict(size=10),
        marker=dict(size=[8 + 14 * (G.nodes[n].get("visits", 0) / max(1, max(G.nodes[m].get("visits", 0) for m in nodes))) ** 0.5
                          for n in nodes], color="#3b6ea8"),
        hovertext=[f"{label(n)}: {G.nodes[n].get('visits', 0)} visits, {G.nodes[n].get('customers', 0)} customers"
                   for n in nodes],
        hoverinfo="text", showlegend=False,
    ))
    ticks = [-1, *range(len(stages)), len(stages)]
    fig.update_xaxes(tickvals=ticks, ticktext=[label(t) for t in [START, *stages, END]],
                     showgrid=True, zeroline=False, range=[-1.6, len(stages) + 0.6])
    fig.update_yaxes(visible=False)
    height = 200 + 70 * max([sum(1 for n in H.nodes if column[n] == c) for c in set(column.values())] or [1])
    return _layout(fig, f"Touchpoint transitions: the {len(edges)} most frequent (arrow width = transitions)",
                   min(height, 820))


def variants(rows: list[dict]) -> go.Figure:
    rows = list(reversed(rows))
    fig = go.Figure(go.Bar(
        x=[r["journeys"] for r in rows], y=[f"#{r['variant_rank']}" for r in rows], orientation="h",
        text=[label(r["variant"]) for r in rows], textposition="auto", insidetextanchor="start",
        customdata=[f"{r['conversion_rate']:.0%}" if r["conversion_rate"] is not None else "" for r in rows],
        hovertemplate="%{text}<br>%{x} customers, %{customdata} converted<extra></extra>",
        marker=dict(color="#7a9cc6"),
    ))
    return _layout(fig, "Top journey variants (stage sequences of customers)", 120 + 34 * max(1, len(rows)))


def attribution(rows: list[dict]) -> go.Figure:
    models = sorted({r["model"] for r in rows})
    names = list(dict.fromkeys(r["name"] for r in rows))[::-1]
    fig = go.Figure()
    for m in models:
        credit = {r["name"]: r["credit"] for r in rows if r["model"] == m}
        fig.add_trace(go.Bar(name=label(m), y=[label(n) for n in names], x=[credit.get(n, 0) for n in names],
                             orientation="h"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0))
    fig.update_xaxes(title="conversions credited")
    return _layout(fig, "Attribution: conversions credited to each touchpoint, by model",
                   140 + 9 * len(models) * max(1, len(names)))


def emotions(columns: list[dict]) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=[label(c["stage"]) for c in columns], y=[c["emotion"] for c in columns],
        text=[f"{c['emotion']:+.2f} (n={c['emotion_n']})" if c["emotion"] is not None else "n=0" for c in columns],
        textposition="outside",
        marker=dict(color=["#c0504d" if (c["emotion"] or 0) < 0 else "#4f9a6a" for c in columns]),
    ))
    fig.update_yaxes(range=[-1.1, 1.1], zeroline=True, title="mean emotion (-1..1)")
    return _layout(fig, "Emotion per stage (all signals: texts, scores, behaviour)")


def build_charts(warehouse, data: dict) -> list[dict]:
    """Each chart as ``{"id", "html"}``; the first carries plotly.js."""
    everyone = data["maps"][0]["columns"] if data["maps"] else []
    charts = data["charts"]
    figs = [
        ("funnel", funnel(everyone)),
        ("emotions", emotions(everyone)),
        ("sankey", sankey(charts["flows"], data["stages"])),
        ("graph", touchpoint_graph(warehouse, charts["touchpoint_stages"], data["stages"])),
        ("variants", variants(charts["variants"])),
        ("attribution", attribution(charts["attribution"])),
    ]
    out = []
    for i, (name, fig) in enumerate(figs):
        out.append({"id": name, "html": fig.to_html(
            full_html=False, include_plotlyjs=(i == 0), div_id=f"chart-{name}", config=_CONFIG)})
    return out
