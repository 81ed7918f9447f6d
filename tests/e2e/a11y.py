"""axe-core in the browser tests: the engine comes from the npm registry through the lock file in
tests/e2e/axe/ (installed with `npm ci` on first use, never from a CDN) and runs inside the page
under test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.services import need

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the rules the issue holds every page state to.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_source() -> str:
    if not AXE_JS.is_file():
        need("browser", shutil.which("npm") is not None, "npm is not installed (for axe-core)")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=AXE_DIR, check=True
        )
    return AXE_JS.read_text()


def violations(page) -> list[str]:
    """axe's WCAG A/AA violations on `page` as it is now, one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())  # evaluated by the test's driver, so the page's CSP allows it
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)})))",
        WCAG,
    )
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']}\n    {node}" for v in found for node in v["nodes"]
    ]
    # axe passes a reference list if any one id exists; a help text that is never read is still
    # a bug, so every id an element points to must be on the page.
    return lines + page.evaluate(DANGLING)


DANGLING = """() => {
  const found = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const attr of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (el.getAttribute(attr) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          found.push(`dangling ${attr}: <${el.tagName.toLowerCase()} id=${el.id}> names #${id}`);
        }
      }
    }
  }
  return found;
}"""
