"""The `pharmatrace` command line: typer commands over the domain services, rich output.

One module per command group; `main` assembles them. Errors are reported as one red line and an
exit status (see `services.cli.errors`).
"""
