#!/usr/bin/env python3
"""Opens dashboard pages in headless Chromium (Debian's, through Playwright) as a person would.

    dashboard_pages.py OUT_DIR AXE_JS NAME=URL ...

Each URL (a running `throughline serve` on 127.0.0.1) is loaded with every request checked: a
request to anything but 127.0.0.1 is blocked and listed. The page is photographed whole as
OUT_DIR/NAME.png, then axe-core (AXE_JS, from npm) is run in it. Prints one JSON object per
page name: blocked requests, console errors, the document's `dir` and `lang`, and the axe
violations of impact serious or critical (rule id, impact, help, the first few targets).
"""
import json, os, shutil, sys
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

out_dir, axe_js = sys.argv[1], sys.argv[2]
pages = [arg.split("=", 1) for arg in sys.argv[3:]]
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    sys.exit("Debian's chromium is not installed (apt-get install chromium)")
axe_source = open(axe_js, encoding="utf-8").read()


def only_loopback(blocked):
    def handle(route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith("data:") or host == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()
    return handle


results = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    for name, url in pages:
        # The pages allow no script (CSP); axe is put in by the test, around that policy.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()
        blocked, errors = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", only_loopback(blocked))
        response = page.goto(url, wait_until="load")
        page.screenshot(path=os.path.join(out_dir, f"{name}.png"), full_page=True)
        page.add_script_tag(content=axe_source)
        found = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }""")
        results[name] = {
            "url": url,
            "status": response.status if response else None,
            "blocked": blocked,
            "console_errors": errors,
            "dir": page.evaluate("document.documentElement.dir"),
            "lang": page.evaluate("document.documentElement.lang"),
            "violations": found,
        }
        context.close()
    browser.close()
print(json.dumps(results, ensure_ascii=False))
