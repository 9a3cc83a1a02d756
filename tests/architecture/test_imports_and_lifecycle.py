"""Architecture rules checked on the source: workers/ has no import cycle and each of its modules
imports on its own; only the lifecycle module writes AnalysisRun / RunStep status."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = ROOT / "workers"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def workers_modules() -> dict[str, Path]:
    return {
        module_name(p): p
        for p in sorted(WORKERS.rglob("*.py"))
        if "migrations" not in p.parts and "management" not in p.parts
    }


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """Every workers module this file imports, at the top or inside a function (a lazy import is still
    a dependency)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "workers":
                found.add(target)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_workers_modules_import_each_other_without_a_cycle():
    modules = workers_modules()
    graph = {name: imported_modules(path, name, set(modules)) for name, path in modules.items()}
    assert find_cycle(graph) is None, f"import cycle in workers/: {' → '.join(find_cycle(graph))}"
    # tasks.py is the top: nothing else in workers/ imports it (they enqueue by name). apps.py is Django's
    # registration hook, above every module: it imports tasks so the task names are registered.
    importers = sorted(name for name, deps in graph.items() if "workers.tasks" in deps and name != "workers.apps")
    assert importers == [], f"modules importing workers.tasks: {importers}"


def test_analysis_never_imports_workers():
    offenders = []
    for path in sorted((ROOT / "analysis" / "services").rglob("*.py")) + sorted((ROOT / "analysis" / "models").rglob("*.py")):
        text = path.read_text()
        if "import workers" in text or "from workers" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.slow
def test_each_workers_module_imports_alone():
    """Each module in a fresh interpreter (Django set up, nothing else imported first)."""
    names = [n for n in workers_modules() if n.count(".") == 1]  # workers.<module>; ops/ is a leaf package
    script = (
        "import importlib, sys, django\n"
        "django.setup()\n"
        "importlib.import_module(sys.argv[1])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    failures = {}
    for name in names:
        proc = subprocess.run([sys.executable, "-c", script, name], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        if proc.returncode:
            failures[name] = proc.stderr.strip().splitlines()[-1:]
    assert failures == {}


# --- every status write on AnalysisRun / RunStep goes through analysis/services/lifecycle.py ---------

LIFECYCLE = ROOT / "analysis" / "services" / "lifecycle.py"
SCANNED = ("analysis", "workers", "deals", "config")
OTHER_MODELS = ("AnalysisBatch", "Document", "Deal", "batch", "document")


def _receiver_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def status_writes(path: Path) -> list[str]:
    """`.update(status=…)` and `x.status = …` outside the lifecycle module, except on other models."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
            "update", "bulk_update", "update_or_create",
        ):
            writes = any(k.arg == "status" for k in node.keywords) or (
                node.func.attr == "bulk_update" and "status" in ast.unparse(node)
            )
            if writes and not (_receiver_names(node.func.value) & set(OTHER_MODELS)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:100]}")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    other = _receiver_names(target.value) | _receiver_names(node.value)
                    if not (other & {*OTHER_MODELS, "DocumentStatus", "BatchStatus", "DealStatus"}):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:100]}")
    return found


def test_status_write_detector_sees_writes():
    sample = ROOT / "tests" / "architecture" / "_sample_writes.py"
    sample.write_text("RunStep.objects.filter(pk=1).update(status='done')\nrun.status = 'failed'\n"
                      "AnalysisBatch.objects.filter(pk=1).update(status='finished')\n")
    try:
        assert len(status_writes(sample)) == 2
    finally:
        sample.unlink()


def test_only_the_lifecycle_module_writes_run_and_step_status():
    offenders = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == LIFECYCLE or "migrations" in path.parts:
                continue
            offenders.extend(status_writes(path))
    assert offenders == [], "status written outside analysis/services/lifecycle.py:\n" + "\n".join(offenders)
