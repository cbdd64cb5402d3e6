"""An example node on the generic node engine: a ledger of account balances.

It shares nothing with the registration orchestrator: its own contract (``contract.yaml``,
``operation_match`` routing and a typed ``ledger`` section), payload model, handlers, intent,
ignore reasons and partition rule (by ``account_id``), and it keeps its balances as records in
the same stores (memory, SQLite, PostgreSQL). It runs through ``omnibase_infra.runtime``
unchanged; see ``run_ledger.py`` for running it on a JSON-lines file.
"""
