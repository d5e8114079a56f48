"""The staged-file cache key (ingest.staging_key) changes with every piece of code that decides
a staged file's rows: a reader's SQL edited alone must not reuse stale staged files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from journey_mining import ingest, models
from journey_mining.config import SourceConfig

ZENDESK = SourceConfig("zd", "support", "zendesk", "support/*.json")


@pytest.fixture
def sql_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the SQL models that ``sql_dir()`` returns for the test."""
    folder = tmp_path / "sql"
    shutil.copytree(models.sql_dir(), folder)
    monkeypatch.setattr(models, "sql_dir", lambda: folder)
    ingest._staging_key.cache_clear()
    yield folder
    ingest._staging_key.cache_clear()


@pytest.mark.parametrize("model", sorted(
    p.stem for p in models.sql_dir().joinpath("staging").glob("*.sql") if p.stem not in ingest.LOAD_STAGING_MODELS))
def test_editing_any_reader_staging_model_changes_the_key(sql_copy: Path, model: str) -> None:
    before = ingest.staging_key(ZENDESK)
    path = sql_copy / "staging" / f"{model}.sql"
    path.write_text(path.read_text() + "\n-- edited\n")
    ingest._staging_key.cache_clear()
    assert ingest.staging_key(ZENDESK) != before, model


def test_the_loads_own_models_do_not_restage_files(sql_copy: Path) -> None:
    """stg_events_deduplicated / stg_event_duplicate_copies run over all staged rows at load:
    editing them must not throw the staged cache away."""
    before = ingest.staging_key(ZENDESK)
    for model in ingest.LOAD_STAGING_MODELS:
        path = sql_copy / "staging" / f"{model}.sql"
        path.write_text(path.read_text() + "\n-- edited\n")
    ingest._staging_key.cache_clear()
    assert ingest.staging_key(ZENDESK) == before
