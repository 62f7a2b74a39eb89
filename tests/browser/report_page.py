#!/usr/bin/env python3
"""Opens HTML reports in headless Chromium (Debian's, through Playwright) as a person would.

    report_page.py OUT_DIR NAME=PAGE.html ...

Each page is served from 127.0.0.1 (so every request the page makes passes the route below),
loaded, and photographed: the whole page as OUT_DIR/NAME.png and each section as
OUT_DIR/NAME-SECTION.png. Prints one JSON object per page name: the requests that tried to
leave the page (blocked), console errors, the document's `dir` and `lang`, and for every chart
(`svg.chart`) its id, number of drawn elements, title and width on screen.
"""
import functools, http.server, json, os, shutil, sys, threading

from playwright.sync_api import sync_playwright

out_dir = sys.argv[1]
pages = [arg.split("=", 1) for arg in sys.argv[2:]]
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    sys.exit("Debian's chromium is not installed (apt-get install chromium)")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


results = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    for name, path in pages:
        folder, file = os.path.split(os.path.abspath(path))
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/{file}"
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        blocked, errors = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def only_the_page(url, blocked):
            # One parameter: Playwright passes (route, request) to a handler that takes two.
            def handle(r):
                if r.request.url == url:
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()
            return handle

        page.route("**/*", only_the_page(url, blocked))
        page.goto(url, wait_until="load")
        charts = page.eval_on_selector_all(
            "svg.chart",
            """els => els.map(e => ({
                id: e.id,
                elements: e.querySelectorAll('circle, rect, path, line').length,
                title: (e.querySelector('title') || {}).textContent || '',
                desc: (e.querySelector('desc') || {}).textContent || '',
                width: e.getBoundingClientRect().width,
                table_after: !!(e.closest('section') && e.closest('section').querySelector('table')),
            }))""")
        page.screenshot(path=os.path.join(out_dir, f"{name}.png"), full_page=True)
        for section in page.query_selector_all("main > section"):
            sid = section.get_attribute("id")
            section.screenshot(path=os.path.join(out_dir, f"{name}-{sid}.png"))
        results[name] = {
            "url": url,
            "blocked": blocked,
            "console_errors": errors,
            "dir": page.evaluate("document.documentElement.dir"),
            "lang": page.evaluate("document.documentElement.lang"),
            "charts": charts,
        }
        page.close()
        server.shutdown()
    browser.close()
print(json.dumps(results, ensure_ascii=False))
