"""Take screenshots of the running demo (bin/demo) for the README: python docs/screenshot.py"""

import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
PAGES = [
    ("dashboard", "coo@acme.example", "/o/acme/assessments/2/dashboard/"),
    ("overview", "coo@acme.example", "/o/acme/"),
    ("people", "coo@acme.example", "/o/acme/members/"),
    ("benchmarks", "coo@acme.example", "/o/acme/benchmarks/"),
    # Production scheduling: claimed and verified, each criterion's basis (its first screen)
    ("process", "coo@acme.example", "/o/acme/assessments/2/processes/9/"),
]
FIRST_SCREEN_ONLY = {"process"}  # the whole page is several screens of criteria

with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    for name, email, path in PAGES:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{BASE}/accounts/login/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill("ladder-demo")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{BASE}{path}")
        whole = name not in FIRST_SCREEN_ONLY
        page.screenshot(path=f"docs/screenshots/{name}.png", full_page=whole)
        page.close()
    browser.close()
