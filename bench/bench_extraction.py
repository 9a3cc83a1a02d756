"""Benchmark: time and peak memory of extracting a 200-page PDF and a 50,000-row XLSX.

    .venv/bin/python bench/bench_extraction.py [--pages 200] [--rows 50000]

Each file is extracted in a fresh subprocess, so its peak RSS (resource.getrusage maxrss) belongs to
that file alone: interpreter + libraries + the file's bytes + extraction. A second subprocess per file
measures the Python-heap peak with tracemalloc (which slows Python down, hence a separate run).

openpyxl parses XML through defusedxml when it is installed (pure-Python parser, about half as fast)
and through the stdlib C parser otherwise. defusedxml arrives with fpdf2 (a dev dependency), so the
XLSX is measured both ways: the second is what a production install (requirements.txt) runs.

Claim (also in docs/documents.md): each of these extractions stays under 200 MB peak RSS.
Not part of the test run; fixtures are generated into a temporary folder and deleted afterwards.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLAIM_MAX_RSS_MB = 200

PARAGRAPH = (
    "The target operates two data centres (Frankfurt, Tier III, leased; Dublin, co-located) with "
    "412 virtual servers on VMware vSphere 7.0 and 38 physical hosts. The ERP platform is SAP ECC 6.0 "
    "on Oracle 19c; end of mainstream maintenance is 2027. Identity is Active Directory 2016 with "
    "Azure AD Connect; 1,850 user accounts, 212 privileged. Backups run nightly to Veeam and tape. "
)


def make_pdf(path: Path, pages: int) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 5, f"Section {number}. " + PARAGRAPH * 5, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def make_xlsx(path: Path, rows: int) -> None:
    from tests.support.file_bytes import asset_inventory_xlsx

    path.write_bytes(asset_inventory_xlsx(rows))


def child(path: str, mode: str) -> None:
    """Runs in the subprocess: extract one file, print measurements as JSON."""
    from dealiq.documents import extract_document

    data = Path(path).read_bytes()
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if mode == "tracemalloc":
        tracemalloc.start()
    started = time.perf_counter()
    document = extract_document(Path(path).name, data)
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "pages": len(document.pages),
        "chars": sum(len(p) for p in document.pages),
        "baseline_rss_mb": baseline_rss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if mode == "tracemalloc":
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    print(json.dumps(result))


def measure(path: Path, mode: str, *, defusedxml: bool = True) -> dict:
    env = dict(os.environ, OPENPYXL_DEFUSEDXML="True" if defusedxml else "False")
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--mode", mode],
        check=True, capture_output=True, text=True, cwd=ROOT, env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--child")
    parser.add_argument("--mode", default="plain")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.mode)
        return 0

    failed = False
    with tempfile.TemporaryDirectory() as folder:
        files = {
            "pdf": (Path(folder) / f"report-{args.pages}p.pdf", lambda p: make_pdf(p, args.pages)),
            "xlsx": (Path(folder) / f"assets-{args.rows}r.xlsx", lambda p: make_xlsx(p, args.rows)),
        }
        print(f"claim: every extraction below stays under {CLAIM_MAX_RSS_MB} MB peak RSS (fresh process per file)\n")
        columns = ("size", 7), ("pages", 7), ("chars", 11), ("time s", 9), ("base RSS", 10), ("peak RSS", 10), ("py heap", 9)
        print(f"{'file':<34}" + "".join(f"{name:>{width}}" for name, width in columns) + "  verdict")
        has_defusedxml = importlib.util.find_spec("defusedxml") is not None
        runs = [(files["pdf"], True, ""), (files["xlsx"], True, " (defusedxml)" if has_defusedxml else "")]
        if has_defusedxml:
            runs.append((files["xlsx"], False, " (stdlib XML)"))
        for (path, build), defusedxml, note in runs:
            if not path.exists():
                build(path)
            plain = measure(path, "plain", defusedxml=defusedxml)
            traced = measure(path, "tracemalloc", defusedxml=defusedxml)
            ok = plain["peak_rss_mb"] < CLAIM_MAX_RSS_MB
            failed |= not ok
            print(
                f"{path.name + note:<34}{path.stat().st_size / 1024 / 1024:>5.1f}MB{plain['pages']:>7}"
                f"{plain['chars']:>11,}{plain['seconds']:>9.2f}{plain['baseline_rss_mb']:>8.0f}MB"
                f"{plain['peak_rss_mb']:>8.0f}MB{traced['tracemalloc_peak_mb']:>7.0f}MB  {'OK' if ok else 'OVER CLAIM'}"
            )
    print("\nbase RSS: after imports and reading the file; peak RSS: ru_maxrss at the end; py heap: tracemalloc peak")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
