"""`pharmatrace index follow`: the indexer as a process of its own, stopped or killed apart from
the writers, brings the read model up to blocks other processes commit."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from services.config import Settings
from services.domain import organizations
from services.runtime import Actor, Runtime
from tests.integration.cli.served import pharmatrace_command
from tests.support.network import with_check_digit

pytestmark = pytest.mark.integration


def _indexed_orgs(read_model: Path) -> set[str]:
    if not read_model.exists():
        return set()
    with closing(sqlite3.connect(f"file:{read_model}?mode=ro", uri=True)) as db:
        try:
            return {row[0] for row in db.execute("SELECT msp_id FROM organization")}
        except sqlite3.OperationalError:  # the follower is creating the schema right now
            return set()


def _follower(data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARMATRACE_")}
    env["PHARMATRACE_DATA_DIR"] = str(data_dir)
    with log.open("wb") as out:
        return subprocess.Popen(
            [*pharmatrace_command(), "index", "follow", "--interval", "0.05"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _until(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]  # a zero-argument callable
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_given_a_follower_when_another_process_commits_then_the_read_model_catches_up(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    # A writer whose own read model is elsewhere: only the follower indexes into the default one.
    writer = Runtime(Settings(data_dir=data_dir, database_url=f"sqlite:///{tmp_path / 'own.db'}"))
    regulator_gln = with_check_digit("400123400000")
    organizations.bootstrap_regulator(
        writer, msp_id="RegulatorMSP", name="Regulator", gln=regulator_gln
    )
    regulator = Actor("RegulatorMSP", "regulator", "inspector", regulator_gln)
    read_model = data_dir / "readmodel.sqlite"
    follower = _follower(data_dir, tmp_path / "follow-1.log")
    try:
        _until(lambda: "RegulatorMSP" in _indexed_orgs(read_model))
        follower.send_signal(signal.SIGKILL)  # killed: it must resume where it was
        follower.wait(30)
        organizations.register_organization(
            writer,
            actor=regulator,
            msp_id="MakerMSP",
            name="Maker",
            role="manufacturer",
            gln=with_check_digit("400123400001"),
        )
        assert "MakerMSP" not in _indexed_orgs(read_model)
        follower = _follower(data_dir, tmp_path / "follow-2.log")
        _until(lambda: "MakerMSP" in _indexed_orgs(read_model))
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(30) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait(30)
        writer.close()
    assert "stopped following at block" in (tmp_path / "follow-2.log").read_text()
