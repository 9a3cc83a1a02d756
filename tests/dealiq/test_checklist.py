"""Per-domain checklist: answered / missing / placeholder topics, filters, and the coverage grade."""
from __future__ import annotations

import pytest

from dealiq.checklist import checklist_topics, coverage_grade, coverage_share, evaluate_checklist
from dealiq.domains import DOMAIN_KEYS
from dealiq.schemas import IMPORTANCES

from . import page


def _status(domain: str, text: str, topic_id: str, **kwargs):
    statuses = evaluate_checklist(domain, [page(text)], **kwargs)
    return next(s for s in statuses if s.topic_id == topic_id)


def test_every_domain_has_topics_with_importance_keywords_and_sources():
    for domain in DOMAIN_KEYS:
        topics = checklist_topics(domain)
        assert len(topics) >= 5, domain
        for topic in topics:
            assert topic.importance in IMPORTANCES and topic.keywords and topic.suggested_sources


def test_a_topic_mentioned_with_an_answer_is_answered_and_cites_its_line():
    status = _status("infrastructure", "Intro.\n\nThe last DR test ran on 3 May 2026 and met the RTO.", "dr_test_results")
    assert status.answered and not status.placeholder
    assert status.evidence == "The last DR test ran on 3 May 2026 and met the RTO."
    assert (status.document_id, status.page_number, status.filename) == (1, 1, "doc.md")


def test_a_topic_nowhere_in_the_documents_is_unanswered():
    status = _status("infrastructure", "Servers run Windows Server 2019.", "dr_test_results")
    assert not status.answered and not status.placeholder and status.evidence == ""


@pytest.mark.parametrize(
    "text",
    [
        "DR test results: TBD",
        "- **DR test results:** not available",
        "| Topic | Answer |\n|---|---|\n| DR test results | to be confirmed |",
        "Topic: DR test results; Status: TBC",
        "## DR test results\n\nTBD",
    ],
)
def test_a_placeholder_answer_leaves_the_topic_unanswered(text):
    status = _status("infrastructure", text, "dr_test_results")
    assert not status.answered and status.placeholder


def test_a_placeholder_in_another_clause_does_not_hide_an_answer():
    status = _status("infrastructure", "Backups: Veeam nightly; DR test results: TBD", "backup_policy")
    assert status.answered


def test_a_real_answer_anywhere_beats_a_placeholder_elsewhere():
    statuses = evaluate_checklist("network", [page("Network diagram: TBD"), page("See the network diagram in annex 4.", document_id=2)])
    assert next(s for s in statuses if s.topic_id == "network_diagram").answered


def test_deal_type_and_entity_filter_topics():
    carve_out = {t.id for t in checklist_topics("organization", "carve_out", "target")}
    acquisition = {t.id for t in checklist_topics("organization", "acquisition", "target")}
    buyer = {t.id for t in checklist_topics("organization", "carve_out", "buyer")}
    assert "tsa_schedule" in carve_out and "tsa_schedule" not in acquisition and "tsa_schedule" not in buyer
    assert "tsa_schedule" in {t.id for t in checklist_topics("organization")}  # no filter: every topic


@pytest.mark.parametrize(
    "share, grade", [(1.0, "A"), (0.9, "A"), (0.89, "B"), (0.75, "B"), (0.6, "C"), (0.45, "D"), (0.39, "F"), (0.0, "F")]
)
def test_coverage_grade(share, grade):
    assert coverage_grade(share) == grade


def test_coverage_share_of_a_domain():
    statuses = evaluate_checklist("identity_access", [page("MFA is enforced for all users. Active Directory forest corp.local.")])
    share = coverage_share(statuses)
    assert share == pytest.approx(2 / len(statuses))
    assert coverage_grade(share) == "F"


def test_unknown_domain_is_refused():
    with pytest.raises(ValueError):
        checklist_topics("finance")
