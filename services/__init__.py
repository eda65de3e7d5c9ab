"""PharmaTrace application core: identifiers, ledger port, read model, domain services, API, CLI."""
