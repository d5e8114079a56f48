"""Test-session setup shared by every test (loaded before any test module imports Prefect).

``make test`` runs the suite on every core with pytest-xdist (``-n auto --dist loadfile``:
a test file's tests, and so its module fixtures, stay in one worker). Each worker gets its
own Prefect home, so the workers' temporary Prefect servers never share one SQLite database.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("PREFECT_HOME"):
    os.environ["PREFECT_HOME"] = os.path.join(os.environ["PREFECT_HOME"], _worker)
