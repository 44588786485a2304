"""What outlives a run, in the workspace's git-ignored ``.sync/`` folder (named only here).

::

    .sync/
      sandbox.sqlite3       the embedded sandbox's data (host: sandbox)
      history.jsonl         one record per applied export (history.py)
      rejected/<export>.csv the last run's rejected contacts (history.py)
      locks/<export>.lock   apply locks (lock.py)

Everything in it holds personal data or run state; deleting the folder loses history and
the sandbox, never anything in ActiveCampaign.
"""

from __future__ import annotations

from pathlib import Path

STATE_DIR = ".sync"
SANDBOX_FILE = "sandbox.sqlite3"


def state_dir(root: Path) -> Path:
    """``<workspace>/.sync``."""
    return root / STATE_DIR


def sandbox_data(root: Path) -> Path:
    """``<workspace>/.sync/sandbox.sqlite3``: where ``host: sandbox`` keeps its data."""
    return state_dir(root) / SANDBOX_FILE
