"""The case registry ships in the package: :mod:`arraylosses.testing.cases` (input builders in
:mod:`arraylosses.testing.inputs`). Re-exported here for code that imports it from
``conformance``."""

from arraylosses.testing.cases import ALL_DIRECTIONS, BY_NAME, CASES, Case, public_names

__all__ = ["ALL_DIRECTIONS", "BY_NAME", "CASES", "Case", "public_names"]
