"""The suite itself: every scenario file is in conftest.SCENARIOS (its component and the failure
it guards against, in one line), and every line of the table has its file."""
from pathlib import Path

from conftest import SCENARIOS


def test_every_scenario_is_described():
    files = {p.name for p in Path(__file__).resolve().parent.glob("test_*.py")} - {Path(__file__).name}
    assert files == set(SCENARIOS), f"not described: {files - set(SCENARIOS)}; no file: {set(SCENARIOS) - files}"
