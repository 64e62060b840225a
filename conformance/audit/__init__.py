"""The peer audit (``nox -s audit``, ``python -m conformance.audit``): every peer check on the
registry's inputs and on hostile inputs (:mod:`.sweep`), each difference matched against the
table of known disagreements (:mod:`.known`), the reports written to
``conformance/reports/peer-audit.md`` and ``.json`` (:mod:`.report`)."""
