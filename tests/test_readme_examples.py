"""The README's telemetry examples work copied verbatim (issue 14, item 10).

Every `sh` block of "Send telemetry" and "Read telemetry" that calls curl runs in bash, as a
user would paste it, against a real server on the test database, with `ID`, `TOKEN` and
`READ_TOKEN` set as the README says; only the address changes to the test server's port.
Each curl's HTTP status is collected: every one must be a success. Sending comes first, so
the reading examples find the metric the sending ones stored.
"""

import re
import subprocess
import sys

import pytest

from integration.models import IngestToken, Integration, Point, ReadToken
from tests.instances import ROOT, database_env, free_port
from tests.integration.test_ingest_chunked import server

README = ROOT / "README.md"
SECTIONS = ("## Send telemetry", "## Read telemetry")
# Instead of curl's output, its status code on a line of its own (the README's commands stay
# as they are).
CURL = 'curl() { command curl -sS -o /dev/null -w "%{http_code}\\n" "$@"; }\n'


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def sh_blocks(heading: str) -> list[str]:
    text = section(README.read_text(), heading)
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [block for block in blocks if "curl " in block]


def test_the_readme_has_examples_to_run():
    assert len(sh_blocks(SECTIONS[0])) >= 2
    assert len(sh_blocks(SECTIONS[1])) >= 1


@pytest.fixture
def live(transactional_db, org, tmp_path):
    integration = Integration.objects.create(organization=org, name="Press line 3")
    token = IngestToken.objects.issue(integration=integration, name="readme")[1]
    read_token = ReadToken.objects.issue(integration=integration, name="readme")[1]
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    with server(command, database_env(LOG_LEVEL="WARNING"), port, tmp_path / "server.log"):
        yield port, integration, token, read_token


def test_every_curl_example_succeeds_as_written_sending_then_reading(live):
    port, integration, token, read_token = live
    env = {
        **database_env(),
        "ID": str(integration.pk),
        "TOKEN": token,
        "READ_TOKEN": read_token,
    }
    statuses = []
    for block in sh_blocks(SECTIONS[0]) + sh_blocks(SECTIONS[1]):
        # Only what is not curl's job here: MQTT needs a listener, which other tests cover.
        lines = [line for line in block.splitlines() if not line.startswith("mosquitto_pub")]
        script = CURL + "\n".join(lines).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        done = subprocess.run(
            ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        statuses += done.stdout.split()
    assert statuses, "no curl ran"
    assert all(status.startswith("2") for status in statuses), statuses
    stored = Point.objects.filter(series__metric__integration=integration)
    assert stored.filter(series__metric__name="vibration.rms").exists()
