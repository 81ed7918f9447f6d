"""`bin/manage`, the README's way to run a command next to bin/demo, works typed in a new shell:
no DEBUG, no SECRET_KEY, no activated environment (issue 14 item 10)."""

import json
import os
import subprocess

from tests.instances import ROOT


def fresh_shell(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return env | {"SQLITE_PATH": str(tmp_path / "demo.sqlite3"), "MEDIA_ROOT": str(tmp_path)}


def manage(*args, cwd, env):
    done = subprocess.run(
        [str(ROOT / "bin" / "manage"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_readme_commands_run_in_a_new_shell(tmp_path):
    env = fresh_shell(tmp_path)
    manage("migrate", "--no-input", cwd=tmp_path, env=env)
    manage("seed_demo", cwd=tmp_path, env=env)
    line = manage(
        "create_integration", "acme", "Press line 9", "--interval", "60", cwd=tmp_path, env=env
    )
    created = json.loads(line.strip().splitlines()[-1])
    assert set(created) == {"id", "token"} and created["token"].startswith("ldr_")
    manage("export_org", "acme", "-o", "acme.json.gz", cwd=tmp_path, env=env)
    assert (tmp_path / "acme.json.gz").stat().st_size > 0  # relative to where it was typed
