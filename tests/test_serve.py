"""caseline serve: the app served to a browser on this machine (loopback only)."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from caseline.samples import build_sample_database

KENT = "kent-21-001-933"


@pytest.fixture(scope="module")
def samples_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "samples.db"
    build_sample_database(path)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def own_address() -> str | None:
    """This machine's non-loopback IPv4 address, if it has one (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def wait_for_listener(proc: subprocess.Popen, port: int, deadline: float = 20.0) -> None:
    """Until the server accepts a connection (a readiness poll, bounded; not a timing guess)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not start listening")


SHOWN = re.compile(rb"(\d+) of 23 events")


async def first_screen(port: int) -> tuple[bytes, int, int]:
    """Open the app's websocket, read until the replay paints, press → and read its answer.

    Returns what was painted first, and how many events were shown before and after the step.
    """
    import aiohttp

    async def read_until_count(ws, received: bytes = b"", other_than: int | None = None) -> tuple[bytes, int]:
        while True:
            counts = [int(n) for n in SHOWN.findall(received)]
            if counts and counts[-1] != other_than:
                return received, counts[-1]
            message = await ws.receive(timeout=20)
            assert message.type == aiohttp.WSMsgType.BINARY, message.type
            received += message.data

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws?width=120&height=40") as ws:
            painted, before = await read_until_count(ws)
            await ws.send_json(["stdin", "\x1b[C"])  # right arrow: the next event
            _, after = await read_until_count(ws, other_than=before)
            return painted, before, after


def test_serve_gives_the_page_and_the_app_over_its_websocket(samples_db):
    import urllib.request

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "caseline", "serve", str(samples_db), "--case", KENT,
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_listener(proc, port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode("utf-8")
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        assert "googleapis" not in page and "RobotoMono" in page  # the shipped font, nothing fetched
        painted, before, after = asyncio.run(asyncio.wait_for(first_screen(port), 60))
        assert b"Replay" in painted and b"kent-21-001-933" in painted
        assert 0 < before < after <= 23  # the step revealed the next event(s)
        # Loopback only: the machine's own non-loopback address is refused.
        other = own_address()
        if other is not None:
            with pytest.raises(OSError):
                socket.create_connection((other, port), timeout=2).close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert f"caseline: serving {KENT} (replay) at http://127.0.0.1:{port}/" in output


def test_a_port_in_use_is_one_clear_sentence(samples_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "caseline", "serve", str(samples_db), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"caseline: port {port} on 127.0.0.1 is already in use; choose another with --port"
    assert "Traceback" not in result.stderr


def test_served_command_quotes_the_path_and_opens_replay_or_the_explorer():
    from caseline.serve import served_command

    assert served_command("/tmp/my cases.db", KENT).endswith(f"replay '/tmp/my cases.db' --case {KENT}")
    assert served_command("/tmp/x.db", None).endswith("open /tmp/x.db --read-only")
