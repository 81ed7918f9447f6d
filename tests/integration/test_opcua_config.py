"""The OPC UA collector's configuration: the README's example loads, and every mistake is
reported naming its key, by `load` and by the console script (exit status 2)."""

import subprocess
import tomllib
from pathlib import Path

import pytest

from integration.opcua.config import ConfigError, load
from tests.instances import ROOT
from tests.integration.opcua_plant import SCRIPT, collector_command, collector_env

GOOD = """
[ladder]
url = "https://ladder.example.com/"
token = "ldr_abc"
[opcua]
endpoint = "opc.tcp://plc.example.com:4840"
sampling_interval_ms = 250
[buffer]
path = "{tmp}/buffer.sqlite3"
[[nodes]]
node_id = "ns=2;s=Line3.Press.Vibration"
metric = "press"
field = "vibration"
tags = {{ line = "3" }}
"""


def write(tmp_path, text: str, replace: dict[str, str] | None = None) -> Path:
    body = GOOD.format(tmp=tmp_path)
    for old, new in (replace or {}).items():
        assert old in body
        body = body.replace(old, new)
    path = tmp_path / "collector.toml"
    path.write_text(body + "\n" + text)
    return path


def error_of(path) -> str:
    with pytest.raises(ConfigError) as raised:
        load(path)
    return str(raised.value)


def test_the_example_loads_with_defaults(tmp_path):
    config = load(write(tmp_path, ""))
    assert config.ladder.url == "https://ladder.example.com"
    assert config.ladder.token == "ldr_abc"
    assert config.opcua.security == "None"
    assert config.opcua.publishing_interval_ms == 1000
    assert config.opcua.effective_queue_size == 9  # 4 samples a publish, twice over, and one
    assert config.buffer.max_points == 1_000_000
    assert config.nodes[0].tags == {"line": "3"}


def test_the_token_may_come_from_a_file(tmp_path):
    (tmp_path / "token").write_text("ldr_from_file\n")
    path = write(tmp_path, "", {'token = "ldr_abc"': f'token_file = "{tmp_path}/token"'})
    assert load(path).ladder.token == "ldr_from_file"


@pytest.mark.parametrize(
    ("extra", "replace", "message"),
    [
        ("", {'token = "ldr_abc"': ""}, "ladder: token or token_file is required"),
        ("", {'url = "https://ladder.example.com/"': 'url = "ladder.example.com"'},
         "ladder.url: must be an http:// or https:// URL"),
        ('security = "Basic256,Sign"', {}, 'opcua.security: must be "None", "Basic256Sha256,Sign"'),
        ('security = "Basic256Sha256,SignAndEncrypt"', {},
         "opcua: security Basic256Sha256,SignAndEncrypt needs certificate and private_key"),
        ('username = "collector"', {}, "opcua: give both username and password"),
        ("", {'endpoint = "opc.tcp://plc.example.com:4840"': 'endpoint = "http://plc"'},
         "opcua.endpoint: must be an opc.tcp:// URL"),
        ("sampling_interval = 5", {}, "opcua.sampling_interval: is not a setting (misspelt?)"),
        ("", {'node_id = "ns=2;s=Line3.Press.Vibration"': 'node_id = "Line3.Press"'},
         "nodes[0].node_id: not an OPC UA node id: 'Line3.Press'"),
        ("", {'field = "vibration"': 'field = "_quality"'},
         "nodes[0].field: field names starting with '_' are Ladder's"),
        # Names are whole-string checks: a newline anywhere would inject a line.
        ("", {'metric = "press"': 'metric = "a\\nb c"'},
         "nodes[0].metric: must not contain control characters (newline, tab...): '\\n'"),
        ("", {'metric = "press"': 'metric = "press\\u0000"'},
         "nodes[0].metric: must not contain control characters"),
        ("", {'metric = "press"': 'metric = "#press"'},
         "nodes[0].metric: must not start with '#' (the line would be a comment)"),
        ("", {'metric = "press"': 'metric = "_press"'},
         "nodes[0].metric: metric names starting with '_' are Ladder's"),
        ("", {'metric = "press"': 'metric = ""'}, "nodes[0].metric: must not be empty"),
        ("", {'field = "vibration"': 'field = "vib\\tration"'},
         "nodes[0].field: must not contain control characters"),
        ("", {'tags = { line = "3" }':
              'tags = { "li\\rne" = "3" }'},
         "nodes[0].tags: tag 'li\\rne': must not contain control characters"),
        ("", {'tags = { line = "3" }':
              'tags = { line = "3\\n" }'},
         "nodes[0].tags: tag 'line' value: must not contain control characters"),
        ("", {"[buffer]": "[buffers]"}, "buffer: is required"),
        ('[[nodes]]\nnode_id = "ns=2;s=Line3.Press.Vibration"\nmetric = "other"', {},
         "nodes[1].node_id ns=2;s=Line3.Press.Vibration is also nodes[0]'s"),
        ('[[nodes]]\nnode_id = "ns=2;i=7"\nmetric = "press"\nfield = "vibration"\n'
         'tags = { line = "3" }', {},
         "nodes[1] (ns=2;i=7) has the same metric, field and tags as nodes[0]"),
    ],
)  # fmt: skip
def test_each_mistake_is_reported_naming_its_key(tmp_path, extra, replace, message):
    # Settings added after the example land in its last table, [[nodes]]: move opcua ones up.
    if extra.startswith(("security", "username", "sampling_interval ")):
        replace = {"[buffer]": f"{extra}\n[buffer]"}
        extra = ""
    path = write(tmp_path, extra, replace)
    assert message in error_of(path)
    assert error_of(path).startswith(f"{path}: ")


def test_a_file_that_is_not_toml_or_missing_is_reported(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text("[ladder\nurl = 1\n")
    assert "not valid TOML" in error_of(path)
    assert "cannot read it: No such file or directory" in error_of(tmp_path / "missing.toml")


def test_the_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["ladder-opcua"] == "integration.opcua.collector:main"


@pytest.mark.parametrize("module", [False, True], ids=["console script", "python -m"])
def test_config_errors_are_reported_with_exit_status_2(tmp_path, module):
    if not module and not SCRIPT.exists():
        pytest.skip("the venv was installed before the entry point: pip install -e . adds it")
    command = collector_command(module=module)
    path = write(tmp_path, 'security = "Basic256Sha256,Sign"')
    result = subprocess.run(
        [*command, "--config", path], capture_output=True, text=True, timeout=60,
        env=collector_env(), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"ladder-opcua: {path}: nodes[0].security: is not a setting")

    good = write(tmp_path, "")
    checked = subprocess.run(
        [*command, "--config", good, "--check"], capture_output=True, text=True, timeout=60,
        env=collector_env(), cwd=tmp_path,
    )  # fmt: skip
    assert (checked.returncode, checked.stdout) == (0, f"ladder-opcua: {good} is valid (1 nodes)\n")
