#!/usr/bin/env python3
"""Refreshes supply-chain/advisories from OSV's public bulk export (needs network to osv.dev).

Downloads `<base>/<ecosystem>/all.zip` for crates.io, PyPI and npm, keeps every record
(vulnerability or MAL- malicious-package record) that names a package this repository depends
on (Cargo.lock files, tests/interop/requirements*.txt, target/npm-fp/package-lock.json), and
replaces supply-chain/advisories with them plus a SNAPSHOT.md saying when and from where.

Usage: scripts/refresh-advisories.py [--base URL] [--out DIR]
  default base https://osv-vulnerabilities.storage.googleapis.com (OSV's documented export);
  a file:// base works offline against a local copy of the same layout.
"""

import argparse
import datetime
import io
import json
import re
import shutil
import tomllib
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "supply-chain" / "advisories"


def pep503(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def our_packages():
    """(ecosystem, normalized name) of every dependency the repository pins."""
    names = set()
    for lock in [ROOT / "Cargo.lock", ROOT / "fuzz" / "Cargo.lock"]:
        if lock.exists():
            for p in tomllib.loads(lock.read_text()).get("package", []):
                names.add(("crates.io", p["name"]))
    for req in (ROOT / "tests" / "interop").glob("requirements*.txt"):
        for line in req.read_text().splitlines():
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
            if m and not line.lstrip().startswith(("#", "-")):
                names.add(("PyPI", pep503(m.group(1))))
    npm = ROOT / "target" / "npm-fp" / "package-lock.json"
    if npm.exists():
        for key, meta in json.loads(npm.read_text()).get("packages", {}).items():
            if "node_modules/" in key:
                name = meta.get("name") or key.rsplit("node_modules/", 1)[1]
                names.add(("npm", name))
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="https://osv-vulnerabilities.storage.googleapis.com")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    out = args.out
    wanted = our_packages()
    kept = {}
    for eco in ["crates.io", "PyPI", "npm"]:
        url = f"{args.base}/{eco}/all.zip"
        with urllib.request.urlopen(url, timeout=300) as r:
            data = r.read()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for member in z.namelist():
                rec = json.loads(z.read(member))
                for a in rec.get("affected", []):
                    pkg = a.get("package") or {}
                    name = pkg.get("name", "")
                    name = pep503(name) if pkg.get("ecosystem") == "PyPI" else name
                    if (pkg.get("ecosystem"), name) in wanted and not rec.get("withdrawn"):
                        kept[(eco, rec["id"])] = (name, rec)
                        break
    shutil.rmtree(out, ignore_errors=True)
    for (eco, rid), (name, rec) in sorted(kept.items()):
        path = out / "osv" / eco / name / f"{rid}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")
    day = datetime.date.today().isoformat()
    (out / "SNAPSHOT.md").write_text(
        f"# Advisory snapshot\n\nRefreshed {day} by `scripts/refresh-advisories.py` from "
        f"`{args.base}/<ecosystem>/all.zip` (crates.io, PyPI, npm): {len(kept)} OSV records "
        f"naming one of the {len(wanted)} packages this repository pins, unmodified apart "
        "from key order and indentation. OSV data: CC-BY-4.0 / per-source licences "
        "(https://google.github.io/osv.dev/faq/).\n"
    )
    print(f"kept {len(kept)} records for {len(wanted)} pinned packages in {out}")


if __name__ == "__main__":
    main()
