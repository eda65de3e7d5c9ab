"""Benchmarks of PharmaTrace, run with `python -m bench.run` (see docs/BENCHMARKS.md).

Each benchmark is a module of this package exposing `run(quick: bool) -> dict` of metrics, a
`TITLE`, and `TARGETS` (metric-name glob → target such as ">= 2000"). Set-up goes to a fresh
temporary folder; every server and client talks to 127.0.0.1 only.
"""
