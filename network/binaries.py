"""Fabric binaries built from a pinned commit, project-local and cached under ``.fabric/``.

Why build instead of download: the only way in from here is a package registry, and Fabric
ships no binaries through one; ``go install module/cmd@commit`` through the Go module proxy is
the ordinary client for Go source. Everything Go touches (GOPATH, GOMODCACHE, GOCACHE, GOBIN)
lives under ``.fabric/`` so a build never writes to the user's Go setup and ``rm -rf .fabric``
resets it. A stamp file naming the commit makes a second call cost a few ``stat`` calls.

Escape hatch: ``PHARMATRACE_FABRIC_HOME`` may point at an unpacked official Fabric release
(``bin/``, ``config/``, ``builders/ccaas/bin/``); it is then used as is and nothing is built.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from network.errors import FabricError

FABRIC_MODULE = "github.com/hyperledger/fabric"
# Fabric v3.1.5. By commit, because the module path has no /v3 suffix: the v3 tags are not
# valid versions of this module path, while a commit resolves to a pseudo-version.
FABRIC_COMMIT = "86c1172bec37e6590c6b1ae6f847833df48d65fc"
CCAAS_MODULE = f"{FABRIC_MODULE}/ccaas_builder"  # a module of its own inside the Fabric repo

FABRIC_TOOLS = ("peer", "orderer", "osnadmin", "configtxgen", "cryptogen")
CCAAS_TOOLS = ("detect", "build", "release")
STAMP_NAME = ".pharmatrace-fabric.json"
HOME_ENV = "PHARMATRACE_FABRIC_HOME"


class BinariesUnavailableError(FabricError):
    """The pinned Fabric sources cannot be obtained (e.g. the Go module proxy refuses them)."""


@dataclass(frozen=True)
class Paths:
    """Where the tools are. ``sampleconfig`` holds Fabric's own core.yaml and orderer.yaml."""

    bin_dir: Path
    builder_dir: Path  # the external builder: <builder_dir>/bin/{detect,build,release}
    sampleconfig: Path

    def tool(self, name: str) -> Path:
        return self.bin_dir / name

    @property
    def peer(self) -> Path:
        return self.tool("peer")

    @property
    def orderer(self) -> Path:
        return self.tool("orderer")

    @property
    def osnadmin(self) -> Path:
        return self.tool("osnadmin")

    @property
    def configtxgen(self) -> Path:
        return self.tool("configtxgen")

    @property
    def cryptogen(self) -> Path:
        return self.tool("cryptogen")

    def missing(self) -> list[Path]:
        wanted = [self.tool(t) for t in FABRIC_TOOLS]
        wanted += [self.builder_dir / "bin" / t for t in CCAAS_TOOLS]
        wanted += [self.sampleconfig / "core.yaml", self.sampleconfig / "orderer.yaml"]
        return [p for p in wanted if not p.is_file()]


def ensure_binaries(root: Path = Path(".fabric"), *, console: Console | None = None) -> Paths:
    """Return the Fabric tools, building them at :data:`FABRIC_COMMIT` on first use."""
    if home := os.environ.get(HOME_ENV):
        return _release_layout(Path(home))
    root = root.resolve()
    paths = _cached(root)
    if paths is not None:
        return paths
    return _build(root, console or Console(stderr=True))


def find_binaries(root: Path = Path(".fabric")) -> Paths | None:
    """The tools if they are already there; never builds (for ``status`` and ``down``)."""
    if home := os.environ.get(HOME_ENV):
        try:
            return _release_layout(Path(home))
        except BinariesUnavailableError:
            return None
    return _cached(root.resolve())


def _release_layout(home: Path) -> Paths:
    paths = Paths(home / "bin", home / "builders" / "ccaas", home / "config")
    if missing := paths.missing():
        raise BinariesUnavailableError(f"{HOME_ENV}={home} lacks {[str(p) for p in missing]}")
    return paths


def _stamp(root: Path) -> Path:
    return root / "bin" / STAMP_NAME


def _cached(root: Path) -> Paths | None:
    try:
        stamp = json.loads(_stamp(root).read_text())
    except (OSError, ValueError):
        return None
    if stamp.get("commit") != FABRIC_COMMIT:
        return None
    paths = Paths(root / "bin", root / "builders" / "ccaas", Path(stamp["sampleconfig"]))
    return None if paths.missing() else paths


def go_env(root: Path, gobin: Path) -> dict[str, str]:
    """Environment for every go command: project-local, static binaries, no toolchain switch."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        GOBIN=str(gobin),
        GOPATH=str(root / "go"),
        GOMODCACHE=str(root / "go" / "pkg" / "mod"),
        GOCACHE=str(root / "go" / "cache"),
        CGO_ENABLED="0",  # pure Go: no C toolchain needed, and the binaries run anywhere
        GOFLAGS="-modcacherw",  # the module cache stays deletable with rm -rf
        GOTOOLCHAIN="local",  # never fetch another Go toolchain behind our back
        GO111MODULE="on",
    )
    if proxy := os.environ.get("GOPROXY"):
        env["GOPROXY"] = proxy
    return env


def _build(root: Path, console: Console) -> Paths:
    go = shutil.which("go")
    if go is None:
        raise BinariesUnavailableError("`go` is not on PATH: Go 1.26 is needed to build Fabric")
    bin_dir, builder_bin = root / "bin", root / "builders" / "ccaas" / "bin"
    for d in (bin_dir, builder_bin, root / "go"):
        d.mkdir(parents=True, exist_ok=True)
    log = root / "go" / "build.log"
    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"download {FABRIC_MODULE}@{FABRIC_COMMIT[:12]}", total=None)
        sampleconfig = _download_module(go, root, log)
        progress.update(task, description="fabric module downloaded")
        progress.stop_task(task)
        task = progress.add_task(f"go install {' '.join(FABRIC_TOOLS)} (minutes)", total=None)
        pkgs = [f"{FABRIC_MODULE}/cmd/{t}@{FABRIC_COMMIT}" for t in FABRIC_TOOLS]
        _run_go([go, "install", *pkgs], go_env(root, bin_dir), log)
        progress.stop_task(task)
        task = progress.add_task("go install ccaas builder (detect, build, release)", total=None)
        pkgs = [f"{CCAAS_MODULE}/cmd/{t}@{FABRIC_COMMIT}" for t in CCAAS_TOOLS]
        _run_go([go, "install", *pkgs], go_env(root, builder_bin), log)
        progress.stop_task(task)
    paths = Paths(bin_dir, builder_bin.parent, sampleconfig)
    if missing := paths.missing():
        raise FabricError(f"build finished but {[str(p) for p in missing]} are missing; see {log}")
    elapsed = time.monotonic() - started
    stamp = {"commit": FABRIC_COMMIT, "sampleconfig": str(sampleconfig), "build_s": elapsed}
    _stamp(root).write_text(json.dumps(stamp, indent=2) + "\n")
    console.print(f"[green]Fabric binaries built in {elapsed:.0f} s[/green] -> {bin_dir}")
    return paths


def _download_module(go: str, root: Path, log: Path) -> Path:
    """``go mod download -json`` the Fabric module: its folder holds sampleconfig/."""
    argv = [go, "mod", "download", "-json", f"{FABRIC_MODULE}@{FABRIC_COMMIT}"]
    proc = subprocess.run(
        argv, env=go_env(root, root / "bin"), capture_output=True, text=True, cwd=root, check=False
    )
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(argv)}\n{proc.stdout}{proc.stderr}\n")
    try:
        info = json.loads(proc.stdout)
    except ValueError:
        info = {"Error": proc.stderr.strip() or f"exit {proc.returncode}"}
    if error := info.get("Error"):
        raise BinariesUnavailableError(_explain(str(error)))
    sampleconfig = Path(info["Dir"]) / "sampleconfig"
    if not (sampleconfig / "core.yaml").is_file():
        raise FabricError(f"{sampleconfig} has no core.yaml")
    return sampleconfig


def _run_go(argv: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(argv)}\n")
        fh.flush()
        proc = subprocess.run(argv, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise BinariesUnavailableError(_explain(f"`{' '.join(argv[:2])}` failed:\n{tail}"))


def _explain(error: str) -> str:
    if "403" in error:
        return (
            f"The Go module proxy refuses {FABRIC_MODULE} ({error.splitlines()[0]}). "
            "This is a refusal, not a time-out: on this machine Fabric cannot be built from "
            f"source. Point {HOME_ENV} at an unpacked Fabric v3.1.5 release instead."
        )
    return error
