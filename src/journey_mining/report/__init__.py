"""The journey map report: one self-contained HTML file (``export.report``) drawn from a
published warehouse. Plotly's JavaScript and all CSS are inlined; the page loads nothing
from the network. Every string from data is escaped (Jinja autoescape; Plotly labels via
:func:`charts.label`). See docs/report.md.

    >>> from journey_mining.report import duration
    >>> duration(90), duration(86806), duration(421010)
    ('1.5 min', '1.0 d', '4.9 d')
"""

from __future__ import annotations

import glob
import os
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ..config import Config
from ..drift import changed_rows, changes_since_previous
from .charts import build_charts
from .data import collect

__all__ = ["write_report", "render_report", "duration"]

# emotion curve geometry (SVG user units): width per stage column, height, half range
_COL, _HEIGHT, _AMPLITUDE = 160, 120, 44


def duration(seconds: float | None) -> str:
    """Seconds as a short human duration."""
    if seconds is None:
        return "–"
    s = float(seconds)
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    if s < 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}" if v >= 0.1 or v == 0 else f"{v:.1%}"


def _num(v) -> str:
    return "–" if v is None else f"{int(v):,}"


def _day(v) -> str:
    return v.strftime("%Y-%m-%d") if isinstance(v, datetime) else "–"


def _curve(columns: list[dict]) -> Markup:
    """The emotion curve across the stage columns as inline SVG (numbers only, plus escaped
    stage names in titles); a stage without signals breaks the line."""
    width = _COL * max(1, len(columns))
    mid = _HEIGHT / 2
    parts = [f'<svg viewBox="0 0 {width} {_HEIGHT}" role="img" aria-label="emotion curve">',
             f'<line x1="0" y1="{mid}" x2="{width}" y2="{mid}" stroke="#c8ced6" stroke-dasharray="4 4"/>']
    segment: list[str] = []
    segments = []
    for i, c in enumerate(columns):
        if c["emotion"] is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{i * _COL + _COL / 2:.1f},{mid - c['emotion'] * _AMPLITUDE:.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="#3b6ea8" stroke-width="2.5"/>')
    for i, c in enumerate(columns):
        x = i * _COL + _COL / 2
        if c["emotion"] is None:
            parts.append(f'<text x="{x:.1f}" y="{mid + 4:.1f}" text-anchor="middle" font-size="11" fill="#8a94a3">no signal</text>')
            continue
        y = mid - c["emotion"] * _AMPLITUDE
        color = "#c0504d" if c["emotion"] < 0 else "#4f9a6a"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{color}"><title>{escape(c["stage"])}: '
                     f'{c["emotion"]:+.2f}, n={c["emotion_n"]}</title></circle>')
        ty = y - 10 if c["emotion"] >= 0 else y + 18
        parts.append(f'<text x="{x:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="12" fill="#1f2933">'
                     f'{c["emotion"]:+.2f} (n={c["emotion_n"]:,})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("journey_mining.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters.update(pct=_pct, num=_num, day=_day, duration=duration)
    return env


def render_report(con: duckdb.DuckDBPyConnection, config: Config | None = None, run_id: str | None = None) -> str:
    """The report's HTML for the warehouse behind ``con``."""
    persona = config.report.persona if config is not None else "persona"
    data = collect(con, persona=persona, run_id=run_id)
    for m in data["maps"]:
        m["curve"] = _curve(m["columns"])
    charts = build_charts(con, data)
    since = changes_since_previous(con, run_id, config.metrics if config is not None else None)
    return _environment().get_template("report.html.j2").render(
        h=data["header"], maps=data["maps"], stages=data["stages"], persona=persona,
        pain_points=data["pain_points"], charts=charts, since=since, since_rows=changed_rows(since),
    )


_TMP_SUFFIX = ".journey-tmp"


def _remove_leftovers(target: Path) -> None:
    """Temp files of a report write that was killed (only this tool's names)."""
    for p in target.parent.glob(f".{glob.escape(target.name)}.*{_TMP_SUFFIX}"):
        if p.is_file() and not p.is_symlink():
            p.unlink(missing_ok=True)


def write_report(warehouse_path: str | Path, config: Config, run_id: str | None = None) -> Path:
    """Write the report of the warehouse at ``warehouse_path`` to ``config.report_path``,
    atomically (a temp file beside it, then ``os.replace``); returns the path.

        >>> from journey_mining.config import load_config, sample_config_path
        >>> config = load_config(sample_config_path())
        >>> config.report_path.name
        'report.html'

    After a run: ``write_report(config.warehouse_path, config)``.
    """
    target = Path(config.report_path)
    from ..warehouse import read_only_connection

    con = read_only_connection(Path(warehouse_path))  # UTC, and the run's [execution] settings
    try:
        page = render_report(con, config, run_id)
    finally:
        con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
