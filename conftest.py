"""Test-session setup shared by every test (loaded before any test module imports Prefect).

``make test`` runs the suite on every core with pytest-xdist (``-n auto --dist loadfile``:
a test file's tests, and so its module fixtures, stay in one worker). Each worker gets its
own Prefect home, so the workers' temporary Prefect servers never share one SQLite database.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("PREFECT_HOME"):
    _home = os.path.join(os.environ["PREFECT_HOME"], _worker)
    os.makedirs(_home, exist_ok=True)  # Prefect creates its home but not the parents (a fresh clone)
    os.environ["PREFECT_HOME"] = _home
