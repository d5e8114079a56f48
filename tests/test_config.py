"""Config loading: defaults, relative paths, and one clear line for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_mining.config import load_config, sample_config_path
from journey_mining.errors import ConfigError

MINIMAL = """
[[sources]]
name = "web"
path = "web/*.csv"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "journey.toml"
    p.write_text(text)
    return p


def test_minimal_config_gets_documented_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.warehouse_path == tmp_path / "out" / "journeys.duckdb"
    assert cfg.parquet_dir == tmp_path / "out" / "parquet"
    assert cfg.timeout_minutes == 30
    assert cfg.stages.order == ("awareness", "consideration", "decision", "purchase", "retention", "advocacy")
    assert cfg.stages.conversion == "purchase"
    src = cfg.sources[0]
    assert (src.format, src.channel, src.options.delimiter, src.options.header) == ("events", "web", ",", True)
    assert src.path == str(tmp_path / "web" / "*.csv")  # relative to the config's folder


def test_paths_are_relative_to_the_config_file_not_the_cwd(tmp_path, monkeypatch):
    sub = tmp_path / "proj"
    sub.mkdir()
    cfg_path = write(sub, MINIMAL + '\n[warehouse]\npath = "w/x.duckdb"\n')
    monkeypatch.chdir(tmp_path)
    cfg = load_config(Path("proj") / cfg_path.name)
    assert cfg.warehouse_path == sub / "w" / "x.duckdb"


def test_without_journey_toml_the_bundled_sample_runs_into_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(None)
    assert cfg.path == sample_config_path()
    assert cfg.warehouse_path == tmp_path / "out" / "journeys.duckdb"
    assert {s.format for s in cfg.sources} >= {"events", "sendgrid", "zendesk", "customers"}


def test_full_rule_parses(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + """
[[stages.rules]]
stage = "advocacy"
event_type = "nps*"
min = { score = 9 }
max = { score = 10 }
match = { url = ["*/thanks*"], "properties.plan" = "pro" }
after = "purchase"
"""))
    r = cfg.stages.rules[0]
    assert (r.stage_index, r.after_index, r.event_type) == (5, 3, ("nps*",))
    assert r.min == {"score": 9.0} and r.max == {"score": 10.0}
    assert r.match == {"url": ("*/thanks*",), "properties.plan": ("pro",)}


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[[stages.rules]]\nstage = "delight"\nevent_type = "x"\n', "stages.rules[0]: unknown stage 'delight'"),
        ('[[stages.rules]]\nstage = "purchase"\n', "stages.rules[0] (stage 'purchase'): empty rule"),
        ('[[stages.rules]]\nstage = "purchase"\nmatch = { colour = "red" }\n', "unknown column 'colour'"),
        ('[[stages.rules]]\nstage = "purchase"\nmin = { url = 3 }\n', "'url' is not numeric"),
        ('[[stages.rules]]\nstage = "purchase"\nevent_typ = "x"\n', "unknown key 'event_typ'"),
        ('[[stages.rules]]\nstage = "retention"\nafter = "loyalty"\n', "after = 'loyalty' is not a stage"),
        ('[stages]\nconversion = "won"\n', "stages.conversion 'won' is not a stage"),
        ('[sessions]\ntimeout_minutes = 0\n', "timeout_minutes must be greater than 0"),
        ('[sessions]\ntimeout_minutes = "30"\n', "timeout_minutes must be a number"),
        ('[[touchpoints.rules]]\nregex = "(("\nname = "x"\n', "invalid regex"),
        ('[warehous]\npath = "x"\n', "config: unknown key 'warehous'"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, extra, message):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, MINIMAL + extra))
    assert message in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "source, message",
    [
        ('name = "a"\npath = "x"\nformat = "csvv"\n', "unknown format 'csvv'"),
        ('name = "a"\n', "missing required key 'path'"),
        ('name = "a"\npath = "x"\ncolumns = { customer = "id" }\n', "'customer' is not a canonical column"),
        ('name = "a"\npath = "x"\noptions = { header = false }\n', "header = false needs `names`"),
        ('name = "a"\npath = "x"\noptions = { timezone = "Mars/Olympus" }\n', "not a known time zone"),
        ('name = "a"\npath = "x"\noptions = { timestamp_format = "dd-mm" }\n', "neither iso, epoch_s, epoch_ms nor a strptime pattern"),
        ('name = "a"\npath = "x"\noptions = { delimter = ";" }\n', "unknown key 'delimter'"),
    ],
)
def test_bad_source_is_one_clear_line(tmp_path, source, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("`", "`")):
        load_config(write(tmp_path, "[[sources]]\n" + source))


def test_duplicate_source_names_and_profile_only_configs_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="source name 'web' is used twice"):
        load_config(write(tmp_path, MINIMAL + MINIMAL))
    with pytest.raises(ConfigError, match="only `customers` sources"):
        load_config(write(tmp_path, '[[sources]]\nname = "p"\nformat = "customers"\npath = "p.csv"\n'))


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(write(tmp_path, "[[sources]\n"))


def test_metrics_and_report_settings_have_documented_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    m = cfg.metrics
    assert (m.funnel_window_days, m.inactive_after_days, m.support_window_hours) == (None, 30.0, 72.0)
    assert (m.min_touchpoint_volume, m.top_n, cfg.report.persona) == (30, 50, "persona")
    cfg = load_config(write(tmp_path, MINIMAL + """
[funnel]
window_days = 14
[metrics]
inactive_after_days = 7.5
min_touchpoint_volume = 5
[report]
persona = "segment"
"""))
    assert (cfg.metrics.funnel_window_days, cfg.metrics.inactive_after_days) == (14.0, 7.5)
    assert (cfg.metrics.min_touchpoint_volume, cfg.report.persona) == (5, "segment")


@pytest.mark.parametrize("section, value, fragment", [
    ("funnel", "window_days = 0", "funnel.window_days"),
    ("funnel", "window_days = nan", "funnel.window_days"),
    ("metrics", "inactive_after_days = inf", "metrics.inactive_after_days"),
    ("metrics", "min_touchpoint_volume = 2.5", "metrics.min_touchpoint_volume"),
    ("metrics", "top_n = 0", "metrics.top_n"),
    ("metrics", "unknown = 1", "unknown key 'unknown'"),
    ("report", "persona = ''", "report.persona"),
])
def test_bad_metrics_settings_are_one_line_errors(tmp_path, section, value, fragment):
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        load_config(write(tmp_path, MINIMAL + f"\n[{section}]\n{value}\n"))


# --------------------------------------------------------------------------- [execution] memory_limit default


@pytest.mark.parametrize(("ram_mb", "expected"), [
    (23_000, "3000MB"),   # this benchmark machine: capped (60% would be 13,800 MB: a 10M run peaked at 17 GB)
    (256_000, "3000MB"),  # a large server: still capped, the peak RSS stays bounded
    (4_000, "2400MB"),    # a small machine: 60% of its RAM
    (300, "256MB"),       # at least 256 MB
    (0, "256MB"),         # the platform does not say
])
def test_default_memory_limit_is_60_percent_of_ram_capped_at_3000mb(monkeypatch, tmp_path, ram_mb, expected):
    """The default [execution] memory_limit comes from the machine's RAM: 60%, at least 256 MB,
    at most 3,000 MB (so a 10M-event run stays under 4 GB peak RSS on any machine)."""
    import journey_mining.config as config_module
    from journey_mining.config import ExecutionConfig

    monkeypatch.setattr(config_module, "machine_memory_mb", lambda: ram_mb)
    assert ExecutionConfig().settings(tmp_path)["memory_limit"] == expected
    assert config_module.default_memory_limit_mb(ram_mb) == int(expected.removesuffix("MB"))
    # a memory_limit set in the file wins
    assert ExecutionConfig(memory_limit="10GB").settings(tmp_path)["memory_limit"] == "10GB"
