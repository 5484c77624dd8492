"""Print what JupyterLab shows for the Trade chapter's '1996' paragraph. argv: book dir, extra lab flags..."""
import os, secrets, socket, subprocess, sys, time
from playwright.sync_api import sync_playwright
book, flags = sys.argv[1], sys.argv[2:]
LAB = "/work/main/.venv-lab/bin/jupyter-lab"
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
token = secrets.token_hex(8)
env = {**os.environ, "USRUBOOK_CHARTS": "jupyter", "HOME": "/tmp/h18-home", "JUPYTER_RUNTIME_DIR": "/tmp/h18-home/rt"}
srv = subprocess.Popen([LAB, "--notebook-dir=.", "--allow-root", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                        f"--IdentityProvider.token={token}", *flags], cwd=book, env=env, stdout=open("/tmp/h18-lab.log", "w"), stderr=subprocess.STDOUT)
try:
    time.sleep(8)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/lab/tree/chapters/trade.md?token={token}")
        page.wait_for_selector(".jp-StatusBar-Widget:has-text('Python 3 (ipykernel) | Idle')", timeout=120000)
        def para():
            return " ".join(page.locator(".jp-Notebook .jp-MarkdownCell .myst p").filter(has_text="in 1996").first.text_content().split())
        print("OPENED:", para()[:700])
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator("li.lm-Menu-item", has_text="Run All Cells").first.click()
        page.wait_for_function("""() => { const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent);
          return p.length > 0 && p.every(t => /\\[\\d+\\]/.test(t)); }""", timeout=300000)
        page.wait_for_timeout(5000)
        print("RUN:", para()[:700])
        b.close()
finally:
    srv.terminate(); srv.wait(10)
