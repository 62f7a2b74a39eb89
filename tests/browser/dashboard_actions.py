#!/usr/bin/env python3
"""Signs in to a running daemon's dashboard in headless Chromium (Debian's, through Playwright)
and acts as a person would: presses "sync now" and waits for the cycle on the Sync page, then
settles a conflict by keeping one side.

    dashboard_actions.py OUT_DIR BASE_URL USER PASSWORD TASK SIDE

Every request is checked: one to anything but 127.0.0.1 is blocked and listed. Screenshots go
to OUT_DIR (signed-in.png, synced.png, settled.png). Prints one JSON object: whether the
sign-in worked, the last cycle's number before and after "sync now", the answers of the two
POSTs, blocked requests and console errors.
"""
import json, os, re, shutil, sys, time
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

out_dir, base, user, password, task, side = sys.argv[1:7]
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    sys.exit("Debian's chromium is not installed (apt-get install chromium)")


def last_cycle(page):
    """The number of the last cycle the Sync page shows (`#3 · …`), or 0."""
    found = re.search(r"#(\d+) ·", page.inner_text("main"))
    return int(found.group(1)) if found else 0


result = {"blocked": [], "console_errors": [], "posts": []}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: result["console_errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: result["console_errors"].append(str(e)))

    def check(route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith("data:") or host == "127.0.0.1":
            route.continue_()
        else:
            result["blocked"].append(route.request.url)
            route.abort()

    page.route("**/*", check)
    page.on("response", lambda r: result["posts"].append([r.url, r.status]) if r.request.method == "POST" else None)

    try:
        page.goto(base + "/login?next=/sync", wait_until="load")
        page.fill("#user", user)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        result["signed_in"] = urlsplit(page.url).path == "/sync" and user in page.inner_text("header")
        page.screenshot(path=os.path.join(out_dir, "signed-in.png"), full_page=True)

        # The first cycle (at start) may still run: wait for it, then ask for another.
        deadline = time.time() + 120
        while last_cycle(page) == 0 and time.time() < deadline:
            time.sleep(0.2)
            page.reload(wait_until="load")
        result["cycle_before"] = last_cycle(page)
        page.click("form[action='/actions/sync'] button")
        page.wait_for_load_state("load")
        deadline = time.time() + 120
        while last_cycle(page) <= result["cycle_before"] and time.time() < deadline:
            time.sleep(0.2)
            page.reload(wait_until="load")
        result["cycle_after"] = last_cycle(page)
        page.screenshot(path=os.path.join(out_dir, "synced.png"), full_page=True)

        # The conflict of TASK: keep SIDE.
        button = page.locator(
            f"form[action='/actions/settle']:has(input[name=identity][value='{task}']) button[value='{side}']"
        ).first
        result["settle_offered"] = button.count() > 0
        if result["settle_offered"]:
            button.click()
            page.wait_for_load_state("load")
        result["after_settle"] = urlsplit(page.url).path
        page.screenshot(path=os.path.join(out_dir, "settled.png"), full_page=True)
    except Exception as e:  # noqa: BLE001 - the test shows what went wrong, and where
        result["error"] = f"{type(e).__name__}: {e}"
        result["url"] = page.url
        result["cookies"] = [(c["name"], c["secure"], c["httpOnly"], c["sameSite"]) for c in context.cookies()]
        result["html"] = page.content()[:4000]
    context.close()
    browser.close()
print(json.dumps(result, ensure_ascii=False))
