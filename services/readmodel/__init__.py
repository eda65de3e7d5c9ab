"""The SQL read model: tables fed only by committed ledger events, plus off-chain records.

Ledger-derived tables (`DERIVED_TABLES`) can be dropped and rebuilt from the ledger at any time and
must come out identical. Off-chain records (scans, serial lists, API tokens, idempotency records)
are not on the ledger and are never touched by a rebuild.
"""
