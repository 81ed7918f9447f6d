"""Audit requirements.lock for known vulnerabilities and say plainly what was checked.

Run by bin/audit-deps. pip-audit looks each pinned package up in PyPI's advisory data
(https://pypi.org/pypi/NAME/VERSION/json). A package it cannot look up has *unknown*
vulnerabilities, never "no known vulnerabilities", so the summary counts both:

  Audited 91 of 91 dependencies in requirements.lock: no known vulnerabilities.
  Audited 80 of 91 dependencies ...; 11 of 91 could not be looked up ...

Exit status: 1 on any known vulnerability that is not in IGNORED below (where the lookup
works), or when pip-audit could not run at all for a reason other than the network.
Dependencies that could not be looked up are reported but do not fail, because where PyPI's
per-version JSON API is out of reach (as on our CI machines) every run would fail; with
LADDER_AUDIT_STRICT=1 they fail too (exit 2).

`python bin/audit_deps.py --json REPORT` summarises a saved `pip-audit --format json` report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"

# Known vulnerabilities that do not apply, each with its reason:
#   {"PYSEC-..., GHSA-... or CVE-... id": "why it does not apply to Ladder"}
IGNORED: dict[str, str] = {}

# A requirement line of the lock: "name==version ; marker \" (uv and pip-compile write these).
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)")
# pip-audit's traceback when it reaches no server at all.
_NETWORK_ERROR = re.compile(
    r"ConnectionError|ProxyError|ConnectTimeout|ReadTimeout|Max retries exceeded|"
    r"Failed to resolve|Name or service not known|Temporary failure in name resolution|"
    r"Network is unreachable|timed out",
)


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(text: str) -> dict[str, str]:
    """Every package the lock pins, {canonical name: version}, whatever its platform marker."""
    pins = {}
    for line in text.splitlines():
        m = _PIN.match(line)
        if m:
            pins[_canon(m["name"])] = m["version"]
    return pins


def without_markers(text: str) -> str:
    """The lock with its environment markers dropped, so that pip-audit looks up every pinned
    package (colorama for Windows too), not only those this machine would install."""
    return re.sub(r"^([A-Za-z0-9][^\s;]*==[^\s;]+) ;[^\\\n]*", r"\1 ", text, flags=re.M)


def summarize(
    report: dict | None,
    pins: dict[str, str],
    *,
    error: str = "",
    ignored: dict[str, str] | None = None,
    strict: bool = False,
    source: str = "requirements.lock",
) -> tuple[list[str], int]:
    """The lines to print and the exit status for one pip-audit report (None: it did not run)."""
    ignored = IGNORED if ignored is None else ignored
    lines: list[str] = []
    if report is None:
        if not _NETWORK_ERROR.search(error):
            tail = error.strip().splitlines()[-1:] or ["(no output)"]
            return [f"pip-audit failed, nothing was audited: {tail[0]}"], 1
        reason = "pip-audit reached no server: " + _NETWORK_ERROR.search(error).group(0)
        deps = [{"name": name, "skip_reason": reason} for name in pins]
    else:
        deps = list(report.get("dependencies", []))

    # Everything the lock pins counts, also a package the report left out.
    reported = {_canon(d["name"]) for d in deps}
    for name in pins:
        if name not in reported:
            deps.append({"name": name, "skip_reason": "not in pip-audit's report"})
    total = len(deps)

    unchecked = [d for d in deps if "skip_reason" in d or "version" not in d]
    checked = [d for d in deps if d not in unchecked]
    found, waived = [], []
    for dep in checked:
        for vuln in dep.get("vulns") or []:
            ids = [vuln["id"], *vuln.get("aliases", [])]
            why = next((ignored[i] for i in ids if i in ignored), None)
            (waived if why else found).append((dep, vuln, ids, why))

    if not checked:
        lines += [
            f"!!! NOTHING WAS AUDITED: {total} of {total} dependencies in {source} could not be "
            "looked up,",
            "!!! so whether any has a known vulnerability is unknown.",
        ]
    else:
        head = f"Audited {len(checked)} of {total} dependencies in {source}: "
        if found:
            hit = len({_canon(d["name"]) for d, *_ in found})
            head += f"{len(found)} known vulnerabilities, in {hit} of them."
        elif unchecked:
            head += f"none of those {len(checked)} has a known vulnerability."
        else:
            head += "no known vulnerabilities."
        lines.append(head)

    if unchecked:
        lines.append(
            f"{len(unchecked)} of {total} could not be looked up (their vulnerabilities are "
            "unknown):"
        )
        by_reason: dict[str, list[str]] = {}
        for dep in unchecked:
            reason = dep.get("skip_reason", "no version").split(":")[0]
            name = _canon(dep["name"])
            label = f"{name}=={pins[name]}" if name in pins else name
            by_reason.setdefault(reason, []).append(label)
        for reason, names in by_reason.items():
            shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            lines.append(f"  {len(names)}: {reason}: {shown}")
        if report is not None and len(unchecked) == total:
            lines.append(
                "  (pip-audit asks https://pypi.org/pypi/NAME/VERSION/json for each; when every "
                "answer is 'not found', that API is out of reach from here.)"
            )

    for dep, vuln, ids, _ in found:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
        lines.append(
            f"VULNERABLE: {dep['name']} {dep['version']}: {' / '.join(ids)} (fixed in: {fixed})"
        )
    for dep, _, ids, why in waived:
        lines.append(f"ignored: {dep['name']} {dep['version']}: {' / '.join(ids)}: {why}")

    if found:
        return lines, 1
    if unchecked and strict:
        lines.append("LADDER_AUDIT_STRICT=1: failing because not everything could be looked up.")
        return lines, 2
    return lines, 0


def run_pip_audit(lock_text: str) -> tuple[dict | None, str]:
    """pip-audit over the lock (hash-checked, nothing installed): its JSON report and stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp, "requirements.txt")
        req.write_text(without_markers(lock_text))
        proc = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--requirement", str(req), "--disable-pip",
             "--require-hashes", "--format", "json", "--aliases", "on",
             "--progress-spinner", "off"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    try:
        return json.loads(proc.stdout), proc.stderr
    except json.JSONDecodeError:
        return None, proc.stderr + proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK, help="the lock file to audit")
    parser.add_argument("--json", type=Path, help="summarise this saved pip-audit JSON report")
    args = parser.parse_args(argv)
    lock_text = args.lock.read_text()
    if args.json:
        report, error = json.loads(args.json.read_text()), ""
    else:
        report, error = run_pip_audit(lock_text)
    lines, status = summarize(
        report,
        lock_pins(lock_text),
        error=error,
        strict=os.environ.get("LADDER_AUDIT_STRICT") == "1",
        source=args.lock.name,
    )
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
