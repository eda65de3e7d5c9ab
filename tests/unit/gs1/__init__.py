"""Unit tests of the GS1 identifiers package (services.gs1)."""
