"""tools/mutants.py stays current: each planted mutant's snippet occurs exactly once in the
source, so a rerun plants every one (``wrong-reduction`` went stale when the mean moved to
``_backend.mean_all``, and was found only by a rerun)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _mutants():
    spec = importlib.util.spec_from_file_location(
        "_arraylosses_mutants", ROOT / "tools" / "mutants.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.MUTANTS


MUTANTS = _mutants()


def test_there_are_at_least_ten_mutants_with_distinct_ids() -> None:
    ids = [m.id for m in MUTANTS]
    assert len(ids) >= 10 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_snippet_occurs_once_and_the_mutant_changes_it(mutant) -> None:
    source = (ROOT / mutant.path).read_text()
    assert source.count(mutant.old) == 1, f"{mutant.id}: stale in {mutant.path}"
    assert mutant.new != mutant.old
