"""The shards of a run on a Dask cluster (``[execution] executor = "dask"``, docs/scale.md).

One Prefect task per shard (:func:`journey_mining.shards.build_shard`, self-contained: a
DuckDB file of the shard's inputs in, the same file with its outputs back), submitted through
prefect-dask's ``DaskTaskRunner`` to the scheduler at ``address`` (none: a temporary
``LocalCluster`` on this machine). The shard files live in the run's scratch folder beside the
warehouse: every worker must see that path (a shared or network file system), like the inputs.
Needs the ``dask`` extra (``pip install 'journey_mining[dask]'``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from prefect import task
from prefect.cache_policies import NONE as NO_CACHE

from journey_mining.errors import ConfigError
from journey_mining.shards import ShardResult, ShardTask, build_shard

build_shard_task = task(build_shard, name="build-shard", cache_policy=NO_CACHE)


def run_shards_on_dask(tasks: Sequence[ShardTask], address: str | None) -> list[ShardResult]:
    """Run every shard as a Prefect task on the Dask cluster at ``address``; the results in
    shard order (the reduce reads them in that order anyway)."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise ConfigError("execution.executor = 'dask' needs prefect-dask: pip install 'journey_mining[dask]'") from None
    runner = DaskTaskRunner(address=address) if address else DaskTaskRunner()
    with _one_api_server(address), runner:
        futures = [
            runner.submit(build_shard_task.with_options(task_run_name=f"build-shard-{t.index}"), {"task": t})
            for t in tasks
        ]
        return sorted((f.result() for f in futures), key=lambda r: r.index)


def _is_local(address: str | None) -> bool:
    import socket
    from urllib.parse import urlsplit

    if address is None:
        return True
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    return host in ("localhost", "127.0.0.1", "::1", socket.gethostname())


@contextlib.contextmanager
def _one_api_server(address: str | None) -> Iterator[None]:
    """Without ``PREFECT_API_URL``, each Dask worker process would start its own temporary
    Prefect API server (~10 s each, and one more process per worker). For workers on this
    machine, share this process's temporary server instead: its URL goes into the settings the
    submitted tasks carry. Remote workers need a real server (``prefect server start`` and
    ``PREFECT_API_URL`` on every machine, docs/scale.md)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value() or not _is_local(address):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the one this process already uses, or a new one
    server.start()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield
