"""The analyst commands (`journey funnel | paths | pain-points | sql`) and the CLI
conventions (help with examples, exit codes, --quiet, progress on stderr), through
``cli.main([...])`` on one sample warehouse built once for the module."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from journey_mining import cli, pipeline
from journey_mining.cli_tables import routes
from journey_mining.config import load_config, sample_config_path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("analyst")
    config = load_config(sample_config_path(), output_base=base)
    pipeline.run_pipeline(config)
    return config.warehouse_path


def run_json(capsys, *argv: str):
    assert cli.main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_funnel_json_is_the_mart(capsys, warehouse):
    recs = run_json(capsys, "funnel", "--warehouse", str(warehouse))
    expected = query(warehouse, "select stage, customers, conversion_from_previous from stage_funnel order by stage_index")
    assert [(r["stage"], r["customers"], r["conversion_from_previous"]) for r in recs] == expected
    assert list(recs[0]) == [r[0] for r in query(
        warehouse, "select column_name from duckdb_columns() where table_name = 'stage_funnel' order by column_index")]


def test_funnel_by_persona_and_the_table_view(capsys, warehouse):
    recs = run_json(capsys, "funnel", "--by", "persona", "--warehouse", str(warehouse))
    assert {r["dimension"] for r in recs} == {"persona"}
    n = query(warehouse, "select count(*) from stage_funnel_breakdown where dimension = 'persona'")[0][0]
    assert len(recs) == n > 0
    assert cli.main(["funnel", "--by", "persona", "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "Stage funnel by persona" in out and "bargain_hunter" in out and "100.0%" in out


def test_funnel_by_an_unknown_dimension_is_one_line_exit_2(capsys, warehouse):
    assert cli.main(["funnel", "--by", "shoe_size", "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --by 'shoe_size': no such breakdown (known: ") and "persona" in err[0]


def test_paths_without_from_to_are_the_variants(capsys, warehouse):
    recs = run_json(capsys, "paths", "--limit", "3", "--warehouse", str(warehouse))
    expected = query(warehouse, "select variant, journeys from journey_variants where level = 'stage' "
                                "and grain = 'customer' order by variant_rank limit 3")
    assert [(r["variant"], r["journeys"]) for r in recs] == expected


def test_paths_from_to_are_the_most_probable_routes(capsys, warehouse):
    recs = run_json(capsys, "paths", "--from", "consideration", "--to", "purchase", "--warehouse", str(warehouse))
    assert 0 < len(recs) <= 10
    assert all(r["route"].startswith("consideration > ") and r["route"].endswith(" > purchase") for r in recs)
    probs = [r["probability"] for r in recs]
    assert probs == sorted(probs, reverse=True)
    # the best route's probability is the product of the mart's probabilities along it
    p = dict(((a, b), pr) for a, b, pr in query(warehouse, "select from_stage, to_stage, probability from stage_transitions"))
    steps = recs[0]["route"].split(" > ")
    expected = 1.0
    for a, b in zip(steps, steps[1:], strict=False):
        expected *= p[(a, b)]
    assert recs[0]["probability"] == pytest.approx(expected, abs=1e-6)


def test_paths_from_a_touchpoint_to_the_end(capsys, warehouse):
    recs = run_json(capsys, "paths", "--level", "touchpoint", "--from", "web:page_view:/pricing", "--limit", "4",
                    "--warehouse", str(warehouse))
    assert len(recs) == 4 and all(r["route"].endswith("(end)") for r in recs)


def test_paths_unknown_step_is_exit_2(capsys, warehouse):
    assert cli.main(["paths", "--from", "nirvana", "--warehouse", str(warehouse)]) == 2
    assert capsys.readouterr().err.startswith("error: 'nirvana' is not a stage of this warehouse (known: ")


def test_routes_rank_by_probability_product():
    import networkx as nx

    G = nx.DiGraph()
    G.add_edge("a", "b", probability=0.9, transitions=9)
    G.add_edge("b", "d", probability=0.5, transitions=5)
    G.add_edge("a", "d", probability=0.1, transitions=1)
    G.add_edge("a", "x", probability=0.0, transitions=0)
    df = routes(G, "a", "d", 10)
    assert df.to_dict("records") == [
        {"route": "a > b > d", "steps": 2, "probability": 0.45, "transitions": 5},
        {"route": "a > d", "steps": 1, "probability": 0.1, "transitions": 1},
    ]
    assert routes(G, "d", "a", 10).empty


def test_pain_points_top_n_with_reasons(capsys, warehouse):
    recs = run_json(capsys, "pain-points", "--limit", "3", "--warehouse", str(warehouse))
    assert [r["rank"] for r in recs] == [1, 2, 3]
    expected = query(warehouse, "select touchpoint, reason from pain_points where rank <= 3 order by rank")
    assert [(r["touchpoint"], r["reason"]) for r in recs] == expected
    assert cli.main(["pain-points", "--limit", "2", "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert expected[0][0] in out and expected[1][0] in out and expected[2][0] not in out


def test_sql_json_has_iso_timestamps_and_stable_keys(capsys, warehouse):
    recs = run_json(capsys, "sql", "select run_id, started_at, rows_read, 1.5::decimal(4,2) as d, "
                    "null as nothing from runs", "--warehouse", str(warehouse))
    assert len(recs) == 1 and list(recs[0]) == ["run_id", "started_at", "rows_read", "d", "nothing"]
    assert recs[0]["started_at"].endswith("+00:00") and "T" in recs[0]["started_at"]
    assert recs[0]["d"] == "1.50" and recs[0]["nothing"] is None
    assert isinstance(recs[0]["rows_read"], int)


def test_sql_is_read_only(capsys, warehouse):
    before = query(warehouse, "select count(*) from events")
    assert cli.main(["sql", "delete from events", "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: sql: ") and "read-only" in err and "\n" not in err
    assert query(warehouse, "select count(*) from events") == before


def test_sql_error_is_one_line_exit_2(capsys, warehouse):
    assert cli.main(["sql", "select nope from events", "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: sql: Binder Error") and err.count("\n") == 1


@pytest.mark.parametrize("command", [["funnel"], ["paths"], ["pain-points"], ["sql", "select 1"]])
def test_missing_warehouse_is_one_line_exit_2(capsys, tmp_path, command):
    missing = tmp_path / "out" / "journeys.duckdb"
    assert cli.main([*command, "--warehouse", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: no warehouse at {missing}: run `journey run` first\n"


def test_config_finds_the_warehouse(capsys, tmp_path, monkeypatch):
    """Without --warehouse, the config's warehouse (here: none built yet under the cwd)."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["funnel"]) == 2
    assert capsys.readouterr().err == f"error: no warehouse at {tmp_path / 'out' / 'journeys.duckdb'}: run `journey run` first\n"


def test_every_command_has_help_with_an_example_and_the_exit_codes(capsys):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) >= {"run", "check", "generate", "funnel", "paths", "pain-points", "sql"}
    for name in [None, *sub.choices]:
        with pytest.raises(SystemExit) as e:
            cli.main(["--help"] if name is None else [name, "--help"])
        assert e.value.code == 0
        out = capsys.readouterr().out
        assert "examples:\n  journey " in out, name
        for code in ("0    ok", "2    a problem you can fix", "1    an internal error", "130  interrupted"):
            assert code in out, (name, code)


def test_a_bad_option_is_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["pain-points", "--limit", "0"])
    assert e.value.code == 2
    assert "expected a positive whole number" in capsys.readouterr().err


def test_run_quiet_prints_only_the_summary(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--no-prefect", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("run r") and f"warehouse: {tmp_path / 'out' / 'journeys.duckdb'}" in captured.out
    assert pipeline.PROGRESS_SINK is None  # restored after the run


def test_run_progress_is_plain_lines_when_stderr_is_not_a_terminal(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--no-prefect"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("journey run: config bundled sample")
    assert "  built customers, sessions and stages" in "\n".join(err)
    assert all(line.isprintable() and "\x1b" not in line for line in err)  # no escape codes in logs
    assert any(line.startswith("  published Parquet to ") for line in err)


def test_run_progress_on_a_terminal_is_a_rich_bar_and_quiet_is_silent(monkeypatch):
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    fake = Tty()
    monkeypatch.setattr("sys.stderr", fake)
    with cli.run_progress(quiet=False, steps=3):
        pipeline.stderr_progress("ingested web")
        pipeline.stderr_progress("exported 3 tables")
    assert "ingested web" in fake.getvalue() and "exported 3 tables" in fake.getvalue()
    assert pipeline.PROGRESS_SINK is None
    quiet = Tty()
    monkeypatch.setattr("sys.stderr", quiet)
    with cli.run_progress(quiet=True, steps=3):
        pipeline.stderr_progress("ingested web")
    assert quiet.getvalue() == ""
