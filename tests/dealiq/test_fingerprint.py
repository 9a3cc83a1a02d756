"""Input fingerprints (dealiq.fingerprint): equal exactly when the request's inputs and the engine versions are."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from dealiq.engines.offline import OfflineEngine
from dealiq.fingerprint import engine_versions, fingerprint
from dealiq.schemas import DealContext, FactRecord, GapRecord, SourcePage

DEAL = DealContext(name="Deal", target_name="T", buyer_name="B", reference_date=dt.date(2026, 6, 30))
PAGES = [SourcePage(1, 1, "Windows Server 2012 R2 on 40 hosts", "servers.csv", "target"),
         SourcePage(1, 2, "SAP ECC 6.0", "servers.csv", "target")]
FACT = FactRecord("k1", "target", "infrastructure", "servers", "Windows Server 2012 R2", {"count": 40},
                  "Windows Server 2012 R2 on 40 hosts", 1, (1,), ref="F17")
GAP = GapRecord("g1", "target", "infrastructure", "backup", "No backup policy", "important")


def discovery(pages=PAGES, deal=DEAL):
    return {"deal": deal, "domain": "infrastructure", "entity": "target", "pages": pages}


def test_same_inputs_same_fingerprint_and_every_input_counts():
    versions = engine_versions(OfflineEngine())
    base = fingerprint("discover_target", discovery(), versions)
    assert base == fingerprint("discover_target", discovery(list(PAGES)), dict(versions))
    assert len(base) == 64
    changed_text = [PAGES[0], replace(PAGES[1], text="SAP ECC 6.0 EHP8")]
    assert fingerprint("discover_target", discovery(changed_text), versions) != base
    assert fingerprint("discover_target", discovery(deal=replace(DEAL, reference_date=dt.date(2027, 1, 1))),
                       versions) != base
    assert fingerprint("discover_buyer", discovery(), versions) != base
    assert fingerprint("discover_target", discovery(), {**versions, "model": "other"}) != base
    assert fingerprint("discover_target", discovery(), versions, {"documents": [(1, "abc", 2)]}) != base


def test_reasoning_ignores_the_run_local_ref_but_not_the_content():
    versions = engine_versions(OfflineEngine())

    def reasoning(*facts):
        return {"deal": DEAL, "domain": "infrastructure", "facts": list(facts), "gaps": [GAP]}

    base = fingerprint("reason", reasoning(FACT), versions)
    assert fingerprint("reason", reasoning(replace(FACT, ref="F9001")), versions) == base
    assert fingerprint("reason", reasoning(replace(FACT, details={"count": 55})), versions) != base
    assert fingerprint("reason", reasoning(FACT, replace(FACT, key="k2")), versions) != base


def test_engine_versions_name_the_rules_and_the_settings_that_shape_an_answer(tmp_path):
    offline = engine_versions(OfflineEngine())
    assert offline["engine"] == "offline" and offline["model"].startswith("rules-")
    assert offline["rules_version"] and offline["rules"] and offline["source"]
    assert engine_versions(OfflineEngine(eol_window_months=6)) != offline
