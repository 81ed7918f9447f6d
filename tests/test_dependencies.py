"""The dependency lock and the dependency audit's summary (bin/lock, bin/audit-deps)."""

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
AUDIT = ROOT / "bin" / "audit_deps.py"

_spec = importlib.util.spec_from_file_location("audit_deps", AUDIT)
audit_deps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_deps)


def lock_entries(text):
    """{canonical name: (version, [hashes])} for each requirement of a hashed requirements file."""
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = block.split("\\", 1)[0].split(";", 1)[0].strip()
        if first.startswith("#") or not first:
            continue
        name, _, version = first.partition("==")
        assert version, f"not pinned to one version in the lock: {first}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
        entries[canonicalize_name(name)] = (version, hashes)
    return entries


def declared_requirements():
    """Runtime dependencies, the dev extra and the build backend, as pyproject.toml says."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [
        Requirement(r)
        for r in [
            *project["project"]["dependencies"],
            *project["project"]["optional-dependencies"]["dev"],
            *project["build-system"]["requires"],
        ]
    ]


def test_every_declared_dependency_is_pinned_in_the_lock_with_hashes():
    entries = lock_entries(LOCK.read_text())
    for req in declared_requirements():
        name = canonicalize_name(req.name)
        assert name in entries, f"{req} is in pyproject.toml but not in requirements.lock: bin/lock"
        version, hashes = entries[name]
        assert hashes, f"{name}=={version} has no --hash in requirements.lock"
        assert req.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, outside pyproject.toml's {req}: bin/lock"
        )
    # psycopg[binary]: the extra's package is locked too
    assert "psycopg-binary" in entries


def test_the_lock_is_the_whole_closure_so_it_installs_without_resolving():
    """bin/setup-venv installs the lock with --no-deps: every dependency of a locked package
    (and of the extras asked for it, like weasyprint's fonttools[woff]) must be in it."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.markers import default_environment

    entries = lock_entries(LOCK.read_text())
    extras: dict[str, set] = {name: set() for name in entries}
    wanted = [(name, "") for name in entries]
    missing = []
    while wanted:
        name, extra = wanted.pop()
        try:
            found = requires(name) or []
        except PackageNotFoundError:
            continue  # locked for another platform or Python: not installed here
        for text in found:
            req = Requirement(text)
            env = default_environment() | {"extra": extra}
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            dep = canonicalize_name(req.name)
            if dep not in entries:
                missing.append(f"{name}{f'[{extra}]' if extra else ''} needs {req}")
                continue
            for new in req.extras - extras[dep]:
                extras[dep].add(new)
                wanted.append((dep, new))
    assert missing == []


def test_every_lock_entry_is_pinned_with_a_hash():
    entries = lock_entries(LOCK.read_text())
    assert len(entries) > 50
    unhashed = [name for name, (_, hashes) in entries.items() if not hashes]
    assert unhashed == []
    assert audit_deps.lock_pins(LOCK.read_text()) == {n: v for n, (v, _) in entries.items()}


def test_audit_looks_up_every_platform_entry_with_its_hashes():
    text = "colorama==0.4.6 ; sys_platform == 'win32' \\\n    --hash=sha256:" + "a" * 64 + "\n"
    assert (
        audit_deps.without_markers(text)
        == "colorama==0.4.6 \\\n    --hash=sha256:" + "a" * 64 + "\n"
    )
    assert audit_deps.without_markers(LOCK.read_text()).count("--hash=") == LOCK.read_text().count(
        "--hash="
    )


# pip-audit --format json reports, as it writes them.
PINS = {"django": "5.2.0", "pyyaml": "6.0.2", "anyio": "4.9.0"}
NOT_FOUND = "Dependency not found on PyPI and could not be audited: {} ({})"


def clean(name):
    return {"name": name, "version": PINS[name], "vulns": []}


def not_found(name):
    return {"name": name, "skip_reason": NOT_FOUND.format(name, PINS[name])}


DJANGO_VULN = {
    "name": "django",
    "version": "5.2.0",
    "vulns": [
        {
            "id": "PYSEC-2025-1",
            "fix_versions": ["5.2.1"],
            "aliases": ["CVE-2025-11111", "GHSA-aaaa-bbbb-cccc"],
            "description": "...",
        }
    ],
}


def report(*deps):
    return {"dependencies": list(deps), "fixes": []}


def test_nothing_looked_up_is_never_no_known_vulnerabilities():
    # pypi.org/pypi/NAME/VERSION/json answers 404 for everything, as on our CI machines
    lines, status = audit_deps.summarize(report(*map(not_found, PINS)), PINS)
    out = "\n".join(lines)
    assert "no known vulnerabilities" not in out.lower()
    assert "NOTHING WAS AUDITED" in out
    assert "3 of 3 could not be looked up" in out
    assert status == 0


def test_some_not_looked_up_are_counted_and_named():
    rep = report(clean("django"), not_found("pyyaml"), clean("anyio"))
    lines, status = audit_deps.summarize(rep, PINS)
    out = "\n".join(lines)
    assert "no known vulnerabilities" not in out.lower()
    assert "Audited 2 of 3 dependencies" in out
    assert "1 of 3 could not be looked up" in out
    assert "pyyaml==6.0.2" in out
    assert status == 0
    assert audit_deps.summarize(rep, PINS, strict=True)[1] == 2


def test_a_known_vulnerability_fails():
    lines, status = audit_deps.summarize(report(DJANGO_VULN, clean("pyyaml"), clean("anyio")), PINS)
    out = "\n".join(lines)
    assert status == 1
    assert "Audited 3 of 3 dependencies in requirements.lock: 1 known vulnerabilities" in out
    assert "VULNERABLE: django 5.2.0: PYSEC-2025-1 / CVE-2025-11111" in out
    assert "5.2.1" in out


def test_a_known_vulnerability_fails_even_when_others_could_not_be_looked_up():
    rep = report(DJANGO_VULN, not_found("pyyaml"), not_found("anyio"))
    lines, status = audit_deps.summarize(rep, PINS)
    assert status == 1
    assert "2 of 3 could not be looked up" in "\n".join(lines)


def test_an_ignored_vulnerability_is_shown_with_its_reason_and_passes():
    rep = report(DJANGO_VULN, clean("pyyaml"), clean("anyio"))
    lines, status = audit_deps.summarize(rep, PINS, ignored={"CVE-2025-11111": "we use no X"})
    assert status == 0
    assert (
        "ignored: django 5.2.0: PYSEC-2025-1 / CVE-2025-11111 / GHSA-aaaa-bbbb-cccc: we use no X"
        in lines
    )


def test_a_clean_full_lookup_says_how_many_were_audited():
    lines, status = audit_deps.summarize(report(*map(clean, PINS)), PINS)
    assert lines == ["Audited 3 of 3 dependencies in requirements.lock: no known vulnerabilities."]
    assert status == 0


def test_a_lock_entry_missing_from_the_report_counts_as_not_looked_up():
    lines, status = audit_deps.summarize(report(clean("django"), clean("pyyaml")), PINS)
    out = "\n".join(lines)
    assert "no known vulnerabilities" not in out.lower()
    assert "1 of 3 could not be looked up" in out
    assert "anyio==4.9.0" in out


def test_pip_audit_reaching_no_server_is_reported_loudly_but_passes():
    error = (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443):"
        " Max retries exceeded"
    )
    lines, status = audit_deps.summarize(None, PINS, error=error)
    out = "\n".join(lines)
    assert "NOTHING WAS AUDITED" in out and "3 of 3 could not be looked up" in out
    assert status == 0


def test_pip_audit_failing_otherwise_fails():
    lines, status = audit_deps.summarize(
        None, PINS, error="ERROR: requirement x does not contain a hash"
    )
    assert status == 1
    assert "nothing was audited" in lines[0]


LOCK_TEXT = "".join(
    f"{name}=={version} \\\n    --hash=sha256:{'0' * 64}\n" for name, version in PINS.items()
)


@pytest.mark.parametrize(
    ("deps", "status", "expected", "unexpected"),
    [
        (
            [not_found(n) for n in PINS],
            0,
            "3 of 3 could not be looked up",
            "No known vulnerabilities",
        ),
        (
            [DJANGO_VULN, clean("pyyaml"), clean("anyio")],
            1,
            "VULNERABLE: django 5.2.0",
            "could not",
        ),
        ([clean(n) for n in PINS], 0, "Audited 3 of 3 dependencies", "could not"),
    ],
)
def test_the_script_summarises_a_saved_report(tmp_path, deps, status, expected, unexpected):
    (tmp_path / "requirements.lock").write_text(LOCK_TEXT)
    (tmp_path / "report.json").write_text(json.dumps(report(*deps)))
    proc = subprocess.run(
        [sys.executable, str(AUDIT), "--lock", tmp_path / "requirements.lock",
         "--json", tmp_path / "report.json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert expected in proc.stdout
    assert unexpected not in proc.stdout
