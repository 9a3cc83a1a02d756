"""The import contracts of .importlinter (run by `lint-imports` in `make check`) stay complete: the floors
contract names every module of analysis/ and deals/ on exactly one floor — a module it does not name
would be checked by nothing — and holds without exceptions."""
from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def floors() -> list[list[str]]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    contract = parser["importlinter:contract:floors"]
    assert "ignore_imports" not in contract
    lines = [line.strip() for line in contract["layers"].splitlines() if line.strip()]
    return [[name.strip() for name in line.replace("|", ":").split(":")] for line in lines]


def app_modules(app: str) -> set[str]:
    """analysis.views, analysis.models, deals.access…: the first level below the app package."""
    found = set()
    for path in (ROOT / app).iterdir():
        if path.name.startswith(("_", ".")) or path.name == "templates":
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            found.add(f"{app}.{path.stem}")
    return found


def test_floors_follow_the_design_from_config_down_to_dealiq():
    layers = floors()
    assert layers[0] == ["config"] and layers[2] == ["workers"] and layers[-1] == ["dealiq"]
    pages = set(layers[1])
    assert {"analysis.views", "analysis.admin", "analysis.management", "deals.views", "deals.admin", "deals.management"} <= pages


def test_every_module_of_analysis_and_deals_sits_on_exactly_one_floor():
    placed: dict[str, int] = {}
    for floor, names in enumerate(floors()):
        for name in names:
            assert name not in placed, f"{name} on two floors"
            placed[name] = floor
    missing = sorted((app_modules("analysis") | app_modules("deals")) - set(placed))
    assert missing == [], f"modules on no floor of .importlinter: {missing}"
    unknown = sorted(n for n in placed if n.count(".") == 1 and n not in app_modules(n.split(".")[0]))
    assert unknown == [], f".importlinter names modules that do not exist: {unknown}"
