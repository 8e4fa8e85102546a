"""The privacy tests use the real hall server (tests/support) and the sync test kit."""

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_TESTS / "support"))
sys.path.insert(0, str(_TESTS / "sync"))
