"""`pharmatrace demo`: build the demo network in its own directory, show how to try it, serve it.

The demo lives apart from the real data (`.pharmatrace/demo` by default, always SQLite) and is
reset on every run unless `--no-reset` reuses the last one. A directory is only ever deleted when
it carries the demo's marker file, so pointing `--dir` at real data cannot wipe it.
"""

from __future__ import annotations

import json
import shlex
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from services.cli.context import CliState, cli_state
from services.cli.progress import StepProgress, progress_bars
from services.cli.scanning import LIGHT_STYLES
from services.cli.server import (
    CertOption,
    HostOption,
    HttpsOption,
    KeyOption,
    PortOption,
    https_certificate,
    serve_api,
)
from services.config import Settings
from services.demo import DemoResult, build_demo, demo_runtime
from services.demo.scenario import MAX_PACKS_PER_BATCH, MIN_PACKS_PER_BATCH, DemoError
from services.errors import PharmaTraceError

MARKER = ".pharmatrace-demo"
RESULT_FILE = "demo.json"
VERIFY_PATH = "/api/v1/verify"


def demo(
    ctx: typer.Context,
    port: PortOption = 8000,
    host: HostOption = "127.0.0.1",
    packs_per_batch: Annotated[
        int,
        typer.Option(
            "--packs-per-batch",
            min=MIN_PACKS_PER_BATCH,
            max=MAX_PACKS_PER_BATCH,
            help="Serial numbers minted per batch (7 batches).",
        ),
    ] = 2000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API once the demo is built.")
    ] = True,
    reset: Annotated[
        bool,
        typer.Option("--reset/--no-reset", help="Rebuild from scratch, or reuse the last demo."),
    ] = True,
    directory: Annotated[
        Path,
        typer.Option(
            "--dir",
            envvar="PHARMATRACE_DEMO_DIR",
            help="The demo's own data directory (the global --data-dir is not used).",
        ),
    ] = Path(".pharmatrace/demo"),
    https: HttpsOption = False,
    cert: CertOption = None,
    key: KeyOption = None,
) -> None:
    """Build the demo network, print how to try it, and serve the API over it.

    Nine organizations, 120 simulated days of history and planted problems (a cloned serial, a
    recalled batch, custody without shipment, an expired pack); prints users, API tokens, sample
    codes with their expected verdicts and ready-to-paste curl commands."""
    state = cli_state(ctx)
    settings = Settings.from_env(data_dir=directory, database_url="")
    result = None if reset else _load(directory, state.err)
    if result is None:
        if reset:
            _reset(directory, state.err)
        result = _build(settings, packs_per_batch, state)
    tls = https_certificate(settings, https=https, cert=cert, key=key)
    print_demo(state.out, result, directory=directory, host=host, port=port, https=tls is not None)
    if serve:
        serve_api(settings, host=host, port=port, console=state.err, tls=tls)


def _load(directory: Path, err: Console) -> DemoResult | None:
    path = directory / RESULT_FILE
    if not path.is_file():
        if directory.exists() and any(directory.iterdir()):
            raise PharmaTraceError(
                "DEMO_INCOMPLETE",
                f"{directory} holds no finished demo to reuse; run with --reset.",
            )
        return None
    err.print(f"Reusing the demo in {directory} (built earlier; --reset rebuilds it).")
    return DemoResult.from_json(path.read_text(encoding="utf-8"))


def _reset(directory: Path, err: Console) -> None:
    if not directory.exists():
        return
    if not (directory / MARKER).exists() and any(directory.iterdir()):
        raise PharmaTraceError(
            "NOT_A_DEMO_DIRECTORY",
            f"{directory} is not empty and is not a demo directory (no {MARKER} file): "
            "refusing to delete it. Choose another --dir.",
        )
    err.print(f"[yellow]Resetting the demo:[/] removing the previous demo data in {directory}.")
    shutil.rmtree(directory)


def _build(settings: Settings, packs_per_batch: int, state: CliState) -> DemoResult:
    directory = settings.data_dir
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("Demo data of `pharmatrace demo`; deleted on reset.\n")
    state.err.print(
        f"Building the demo in {directory}: 120 simulated days, {packs_per_batch} packs a batch.",
        soft_wrap=True,
    )
    started = time.perf_counter()
    rt = demo_runtime(settings)
    try:
        with progress_bars(state.err) as progress:
            result = build_demo(
                rt, packs_per_batch=packs_per_batch, progress=StepProgress(progress)
            )
    except DemoError as exc:
        raise PharmaTraceError("DEMO_FAILED", str(exc)) from exc
    finally:
        rt.close()
    (directory / RESULT_FILE).write_text(result.to_json(), encoding="utf-8")
    elapsed = time.perf_counter() - started
    counts = result.counts
    state.err.print(
        f"[green]Demo built[/] in {elapsed:.1f} s: {counts['blocks']} blocks, "
        f"{counts['packs']} packs, {counts['shipments']} shipments, {counts['dispensed']} "
        f"dispensed, {counts['scans']} scans, {counts['refused']} refused on purpose.",
        soft_wrap=True,
    )
    return result


# -- what the demo prints ---------------------------------------------------------------------


def print_demo(
    out: Console,
    result: DemoResult,
    *,
    directory: Path,
    host: str,
    port: int,
    https: bool = False,
) -> None:
    base = f"{'https' if https else 'http'}://{host}:{port}"
    out.print(_organizations_table(result))
    out.print(_users_table(result))
    out.print(_samples_table(result))
    if result.incidents:
        out.print(_incidents_table(result))
    out.rule("Try it")
    for number, sample in enumerate(result.samples, start=1):
        token = result.user_of(sample.scan_as).token
        out.print(
            f"[dim]# {number}. {escape(sample.label)}: expect {sample.expected_light.upper()} "
            f"{sample.expected_result} (as {sample.user} of {sample.scan_as})[/]",
            soft_wrap=True,
        )
        out.print(curl_verify(base, token, sample.element_string), soft_wrap=True, markup=False)
    genuine = next((s for s in result.samples if s.expected_result == "OK"), result.samples[0])
    token = result.user_of(genuine.scan_as).token
    out.print("[dim]# The same genuine pack as a GS1 Digital Link (what a QR code carries):[/]")
    out.print(curl_verify(base, token, genuine.digital_link), soft_wrap=True, markup=False)
    out.print("[dim]# Or from the command line:[/]")
    out.print(
        f"pharmatrace --data-dir {shlex.quote(str(directory))} verify "
        f"{shlex.quote(genuine.human_readable)} --as {genuine.scan_as}",
        soft_wrap=True,
        markup=False,
    )
    out.print(
        f"Pages (sign in with a token above): {base}/scanner/ (pharmacies and warehouses) · "
        f"{base}/manufacturer · {base}/regulator (alerts dashboard, provenance reports)",
        soft_wrap=True,
    )
    out.print(
        f"API docs: {base}/docs   ·   tokens and codes as JSON: {directory / RESULT_FILE}",
        soft_wrap=True,
    )


def curl_verify(base: str, token: str, code: str) -> str:
    """A ready-to-paste curl for the verify endpoint (GS written as \\u001d in the JSON)."""
    body = json.dumps({"code": code}, separators=(",", ":"))
    insecure = "-k " if base.startswith("https:") else ""  # the self-signed certificate
    return (
        f'curl -s {insecure}-H "Authorization: Bearer {token}" -H "Content-Type: application/json" '
        f"-d {shlex.quote(body)} {base}{VERIFY_PATH}"
    )


def _organizations_table(result: DemoResult) -> Table:
    table = Table(title="Organizations", box=box.SIMPLE_HEAD)
    table.add_column("MSP ID", no_wrap=True)
    table.add_column("organization · premises")
    table.add_column("role")
    table.add_column("GLN", no_wrap=True)
    for org in result.organizations:
        table.add_row(
            org.msp_id,
            Group(Text(org.name), Text(f"{org.address} ({org.country})", style="dim")),
            org.role,
            org.gln,
        )
    return table


def _users_table(result: DemoResult) -> Table:
    table = Table(
        title="Users and API tokens (demo only: real tokens are shown once)", box=box.SIMPLE_HEAD
    )
    table.add_column("organization", no_wrap=True)
    table.add_column("user · API token", no_wrap=True)
    for user in result.users:
        table.add_row(
            Group(Text(user.msp_id), Text(user.role, style="dim")),
            Group(Text(user.user), Text(user.token, style="bold")),
        )
    return table


def _samples_table(result: DemoResult) -> Table:
    """One entry a sample: the light and result, who scans, the label, the code as printed."""
    table = Table(title="Sample codes and the verdict each must get", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    table.add_column("expected verdict · scan as · code (human-readable form)")
    for number, sample in enumerate(result.samples, start=1):
        style = LIGHT_STYLES.get(sample.expected_light, "")
        table.add_row(
            str(number),
            Group(
                Text.assemble(
                    (f"{sample.expected_light.upper()} {sample.expected_result}", style),
                    f"  as {sample.user} of {sample.scan_as}",
                ),
                Text(sample.label),
                Text(sample.human_readable, style="cyan", no_wrap=True, overflow="ignore"),
            ),
        )
    return table


def _incidents_table(result: DemoResult) -> Table:
    table = Table(
        title="Refused on purpose while the demo was built (planted problems)", box=box.SIMPLE_HEAD
    )
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("refused · organization · why")
    for incident in result.incidents:
        table.add_row(
            incident.at[:16].replace("T", " "),
            Group(
                Text.assemble((incident.error, "bold red"), f"  {incident.msp_id}"),
                Text(incident.message),
            ),
        )
    return table
