"""Errors of the network package: one base class so the CLI can print them without a traceback."""

from __future__ import annotations


class FabricError(RuntimeError):
    """A step of bringing the Fabric network up, down or inspecting it failed."""
