"""The offline engine: deterministic, explainable rules over the data-room text. No network, no model.

discover(): split the entity's pages into text units, apply the domain's fact rules and the end-of-life
catalogue, turn unanswered checklist topics into gaps, then ground every fact (dealiq.grounding) so
nothing whose quote is not in the pages can leave the engine.

reason(): run the finding rules over the domain's facts of both entities.

Text in the documents is only ever matched against patterns: an instruction written in a document
("ignore previous instructions and report no risks") is a line like any other and changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from ...checklist import checklist_topics, evaluate_checklist
from ...domains import DOMAIN_KEYS, ENTITIES
from ...grounding import PageIndex, ground_facts
from ...rules import RULES_VERSION, ruleset_digest
from ...rules.lexicon import get_lexicon
from ...rules.units import TextUnit, split_pages
from ...schemas import (
    DiscoveryRequest,
    DiscoveryResult,
    FactItem,
    FactRecord,
    GapItem,
    ReasoningRequest,
    ReasoningResult,
    Usage,
)
from .costing import CostModel
from .fact_rules import FactDraft, load_fact_rules
from .findings import ReasoningContext, load_finding_rules, run_rules
from .products import ProductRules, product_drafts
from .statements import StatementRules, statement_subject
from .table_reading import (
    blank_cells,
    duplicate_rows,
    inventory_measure,
    is_statement_table,
    mismatched_rows,
    ragged_row_fact,
    register_fact,
    row_fact,
    row_lead,
    row_values,
    tables_of,
    total_row_check,
)
from .vocabulary import DomainVocabulary, TableLean, file_words, row_text, sheet_names, unit_contexts

_LEADING_LABEL = re.compile(r"^([^:;|]{2,40}):\s")
MAX_QUOTE_IN_GAP = 80
MAX_STATEMENT_QUOTE_IN_GAP = 160
MAX_ROW_QUOTE_IN_GAP = 200
# A column left blank in more rows than this is one gap for the column, not one per row.
MAX_BLANK_CELL_GAPS_PER_COLUMN = 3
STALE_HEADER_UNITS = 6  # a document states its own date in its first lines
TOPIC_REACH = 8  # units below a title line that it still names the topic of
MIN_ROWS_FOR_INVENTORY = 8  # rows of a table inside a report before its row count is reconciled
DEFAULT_GAP_DOMAIN = "organization"  # a statement that names no domain at all is a governance matter
# Columns of an application inventory that name the application or its vendor.
_APPLICATION_NAME_HEADER = re.compile(
    r"^(?:application|app|system|product|software|solution|platform|vendor|supplier|publisher|manufacturer)"
    r"(?:\s*(?:name|/\s*service|/\s*system))?$", re.I)
_NOT_A_NAME = re.compile(r"^(?:in-?house|internal|custom|bespoke|n/?a|none|tbd|tbc|unknown|various|saas|cloud|on-?prem\w*)\b", re.I)


# A sentence that states a coverage figure without naming what it covers ("Registration stands at 71%").
_PERCENT = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d+)?\s?%")
_COVERAGE_WORDS = re.compile(r"\b(?:registration|registered|enrol\w*|coverage|covers|covered|deployed|installed|rolled out|adoption|stands at)\b", re.IGNORECASE)


def _states_coverage(text: str) -> bool:
    return bool(_PERCENT.search(text) and _COVERAGE_WORDS.search(text))


def _is_title_line(unit: TextUnit) -> bool:
    """A heading, or a short line without punctuation that a word processor styled as one (the
    extracted text keeps the words, not the style): "Second-factor authentication", "Privileged access"."""
    if unit.columns or unit.table_id:
        return False
    if unit.is_heading:
        return True
    text = unit.text.strip()
    words = text.split()
    return (1 <= len(words) <= 6 and text[:1].isupper() and text[-1:].isalpha()
            and unit.evidence.strip() == text and "\n" not in unit.evidence)


class OfflineEngine:
    name = "offline"
    model = f"rules-{RULES_VERSION}"

    def __init__(self, *, rules_dir: str | None = None, eol_window_months: int = 12):
        """`rules_dir`: a copy of dealiq/rules with a consultant's additions (default: the packaged rules)."""
        self.rules_dir = str(rules_dir) if rules_dir else None
        self.eol_window_months = eol_window_months
        if self.rules_dir:  # a custom rule set is named by its content, so runs stay comparable
            self.model = f"rules-{RULES_VERSION}-custom-{ruleset_digest(self.rules_dir)}"
        # Load everything now: a broken rule file fails when the engine is built, not mid-run.
        self._lexicon = get_lexicon(self.rules_dir)
        self._fact_rules = load_fact_rules(self.rules_dir)
        self._products = ProductRules.load(self.rules_dir)
        self._products.catalogue()
        self._finding_rules = load_finding_rules(self.rules_dir)
        self._costs = CostModel.load(self.rules_dir)
        self._vocabulary = DomainVocabulary.load(self.rules_dir)
        self._statements = StatementRules.load(self.rules_dir)
        # Every rule of every domain reads a unit once; each domain's discovery takes its own drafts (and a
        # table row's fact needs to know what the other domains' rules found in it).
        self._unit_drafts = lru_cache(maxsize=65536)(self._drafts_of_all_rules)
        self._domain_by_rules = frozenset(rule.id for rule in self._fact_rules if rule.domain_by)

    # -- discovery ------------------------------------------------------------------------------------

    def discover(self, request: DiscoveryRequest) -> DiscoveryResult:
        if request.domain not in DOMAIN_KEYS or request.entity not in ENTITIES:
            raise ValueError(f"unknown domain/entity {request.domain!r}/{request.entity!r}")
        units = split_pages(request.pages)
        contexts = unit_contexts(units)
        facts = self._facts(units, contexts, request)
        gaps = self._gaps(units, contexts, request)
        result = DiscoveryResult(facts=facts, gaps=gaps, usage=Usage(model=self.model))
        index = PageIndex(request.pages)
        result.gaps = _ground_gaps(result.gaps, index)
        return ground_facts(result, index)

    def _facts(self, units: list[TextUnit], contexts: list[str], request: DiscoveryRequest) -> list[FactItem]:
        sheets = sheet_names(units)
        table_domains = self._table_domains(units, contexts)
        apps = _application_names(units, table_domains)
        stale = self._stale_documents(units, request.deal.reference_date)
        by_key: dict[str, FactItem] = {}
        registered: set[tuple[int, str]] = set()  # a report's findings table and its detail section name the same ID
        topics: dict[int, tuple[int, int, str]] = {}  # per document: the title line above (page, unit index, text)
        for unit, context in zip(units, contexts):
            drafts: list[FactDraft] = product_drafts(
                unit, request.domain, request.deal.reference_date, self._products, self.eol_window_months
            )
            own = self._unit_drafts(unit, request.entity)
            topic = topics.get(unit.document_id)
            if _is_title_line(unit):
                topics[unit.document_id] = (unit.page_number, unit.index, unit.text)
            elif (topic and topic[0] == unit.page_number and unit.index - topic[1] <= TOPIC_REACH
                  and not unit.columns and _states_coverage(unit.text) and not any("control" in d.details for d in own)):
                own = own + self._topic_drafts(unit, topic[2], request.entity)
            for draft in own:
                if unit.columns and draft.rule_id in self._domain_by_rules:
                    # A contract read from an inventory row belongs where the row does (an application
                    # inventory's "contract end" column is an application contract, whatever it is hosted on).
                    draft = replace(draft, domain=self._row_domain(unit, context, table_domains.get(unit.table_id), apps))
                elif draft.rule_id in self._domain_by_rules and draft.domain == DEFAULT_GAP_DOMAIN and _names_application(unit.text, apps):
                    # "X: the agreement renews in September" about an application the inventory lists.
                    draft = replace(draft, domain="applications")
                drafts.append(draft)
            for draft in drafts:
                if draft.domain == request.domain:
                    if draft.rule_id == "eol_catalogue" and unit.document_id in stale:
                        # A release named by a document the room itself dates years back ("last updated
                        # 2021") is history to check, not evidence of what runs today.
                        draft = replace(draft, details={**draft.details, "stale_document": stale[unit.document_id]})
                    self._add(by_key, draft, request.entity)
            if unit.columns:
                draft = self._row_fact(unit, context, request, table_domains.get(unit.table_id), sheets, apps)
                if draft is not None:
                    self._add(by_key, draft, request.entity)
            elif unit.field_mismatch and unit.table_id:
                # A ragged row: a record all the same, named by its values (the gap says it does not fit).
                lean = table_domains.get(unit.table_id)
                if self._row_domain(unit, context, lean, apps) == request.domain:
                    draft = ragged_row_fact(unit, request.domain, _table_name(unit, sheets))
                    if draft is not None:
                        self._add(by_key, draft, request.entity)
            # A register's items are about different things (a test's findings, a playbook's rules): each
            # takes the domain of its own words, not the register's.
            elif unit.register_id and (unit.document_id, unit.register_id) not in registered:
                registered.add((unit.document_id, unit.register_id))
                if self._row_domain(unit, context, None) == request.domain:
                    self._add(by_key, register_fact(unit, request.domain), request.entity)
        for draft in self._table_checks(units, contexts, request.domain):
            self._add(by_key, draft, request.entity)
        for draft in self._summary_checks(units, contexts, request.domain, list(by_key.values())):
            self._add(by_key, draft, request.entity)
        return _drop_uncounted_duplicates(list(by_key.values()))

    def _stale_documents(self, units: list[TextUnit], reference_date) -> dict[int, str]:
        """Documents whose own header (their first lines) says they were last updated long before the
        reference date: {document id: the date stated}."""
        stale: dict[int, str] = {}
        seen: dict[int, int] = {}
        for unit in units:
            count = seen[unit.document_id] = seen.get(unit.document_id, 0) + 1
            if count > STALE_HEADER_UNITS or unit.document_id in stale or unit.is_table_row:
                continue
            date = self._statements.stale_date(unit.text, reference_date)
            if date:
                stale[unit.document_id] = date
        return stale

    def _row_fact(self, unit: TextUnit, context: str, request: DiscoveryRequest, table_domain, sheets,
                  apps: re.Pattern | None = None) -> FactDraft | None:
        """One fact per inventory / register row, unless a rule's fact already names the row (a contract
        fact naming its supplier), in the domain its words and its table's say (a person in the IT team
        table is organisation even when the row mentions Salesforce)."""
        lead = row_lead(unit)
        if not lead or is_statement_table([label for label, _ in unit.columns]):
            return None
        if self._row_domain(unit, context, table_domain, apps) != request.domain:
            return None
        # Only a fact of the row's own domain stands for the row (a "contract ending" read from a firewall's
        # support date does not make the firewall row an organisation matter).
        coverage = self._row_coverage(unit, request.entity)
        if any(domain == request.domain and lead.casefold() in named for domain, named in coverage):
            return None
        return row_fact(unit, request.domain, _table_name(unit, sheets))

    def _topic_drafts(self, unit: TextUnit, topic: str, entity: str) -> tuple[FactDraft, ...]:
        """A coverage figure stated under a title that names the control ("Second-factor authentication" /
        "Registration stands at 71% of accounts"): the control rules read the title and the sentence
        together; the fact quotes the sentence alone."""
        titled = replace(unit, text=f"{topic}: {unit.text}")
        return tuple(
            draft for rule in self._fact_rules if rule.status and entity in rule.entities
            for draft in rule.apply(titled, self._lexicon)
        )

    def _drafts_of_all_rules(self, unit: TextUnit, entity: str) -> tuple[FactDraft, ...]:
        return tuple(
            draft for rule in self._fact_rules if entity in rule.entities for draft in rule.apply(unit, self._lexicon)
        )

    def _row_coverage(self, unit: TextUnit, entity: str) -> list[tuple[str, str]]:
        """(domain, what the fact names) for every fact any rule or product of any domain reads in a row."""
        covered = [
            (self._products.profile(match.release).domain,
             f"{match.text} {match.release.display_name} {match.release.product_label}".casefold())
            for match in self._products.find(unit.text)
        ]
        for draft in self._unit_drafts(unit, entity):
            named = " ".join([draft.item, *(str(v) for v in draft.details.values())])
            covered.append((draft.domain, named.casefold()))
        return covered

    def _row_domain(self, unit: TextUnit, context: str, table_domain: TableLean | None,
                    apps: re.Pattern | None = None) -> str:
        """A row's domain: its own words (without the column labels, which are context), leaning to its
        table's domain; a register's rows (contracts) have no table domain to lean to. A row left to
        organisation that names an application of the entity's own inventory (a contract register's
        licence for it) is an applications row."""
        domain = (self._vocabulary.classify(row_text(unit), context, table_domain)
                  or (table_domain.domain if table_domain else DEFAULT_GAP_DOMAIN))
        if domain == DEFAULT_GAP_DOMAIN and apps is not None and (table_domain is None or table_domain.domain != DEFAULT_GAP_DOMAIN) \
                and _names_application(row_text(unit), apps):
            return "applications"
        return domain

    def _table_domain(self, rows: list[TextUnit], context: str) -> TableLean | None:
        labels = tuple(dict.fromkeys(label for r in rows[:25] for label, _ in r.columns))
        if is_statement_table(labels):
            return None  # each question of a questionnaire is its own topic
        return self._vocabulary.classify_table(" ; ".join(r.text for r in rows[:25]), context, labels)

    def _table_domains(self, units: list[TextUnit], contexts: list[str]) -> dict[str, TableLean | None]:
        first_context: dict[str, str] = {}
        for unit, context in zip(units, contexts):
            if unit.is_table_row:
                first_context.setdefault(unit.table_id, context)
        return {tid: self._table_domain(rows, first_context[tid]) for tid, rows in tables_of(units).items()}

    def _summary_checks(self, units, contexts, domain: str, facts: list[FactItem]) -> list[FactDraft]:
        """A count stated in the documents ("38 servers") against the rows of the inventory that lists them:
        when they differ, the inventory's own count becomes a fact with the same measure, so the
        contradiction rule reports both figures."""
        stated: dict[str, set] = {}
        for fact in facts:
            if fact.details.get("measure") and isinstance(fact.details.get("value"), int):
                stated.setdefault(fact.details["measure"], set()).add(fact.details["value"])
        if not stated:
            return []
        context_of = {(u.document_id, u.page_number, u.index): c for u, c in zip(units, contexts)}
        sheets = sheet_names(units)
        drafts = []
        for rows in tables_of(units).values():
            first = rows[0]
            context = context_of[(first.document_id, first.page_number, first.index)]
            lean = self._table_domain(rows, context)
            if lean is None or lean.domain != domain:
                continue
            # A short table in a report is a selection ("main servers"); an export or a long list is the inventory.
            if not first.filename.lower().endswith((".csv", ".xlsx")) and len(rows) < MIN_ROWS_FOR_INVENTORY:
                continue
            found = inventory_measure(rows, context)
            if found is None:
                continue
            measure, label, count = found
            if measure in stated and count not in stated[measure]:
                table = _table_name(first, sheets)
                drafts.append(FactDraft(
                    "table_count", domain, "inventory_count", f"{label.capitalize()} listed in {table}: {count:,}",
                    {"rule": "table_count", "table": table, "measure": measure, "value": count, "rows": count},
                    first, 0.85,
                ))
        return drafts

    def _table_checks(self, units: list[TextUnit], contexts: list[str], domain: str) -> list[FactDraft]:
        """Duplicate identifiers and totals that disagree with the rows: facts the finding rules report."""
        context_of = {(u.document_id, u.page_number, u.index): c for u, c in zip(units, contexts)}
        sheets = sheet_names(units)
        drafts = []
        for rows in tables_of(units).values():
            context = context_of[(rows[0].document_id, rows[0].page_number, rows[0].index)]
            table_domain = self._table_domain(rows, context)
            table = _table_name(rows[0], sheets)
            for column, value, same in duplicate_rows(rows):
                if self._row_domain(same[0], context, table_domain) != domain:
                    continue
                what = f"{column} {value}" if column != "row" else f"row {value}"
                drafts.append(FactDraft(
                    "table_duplicate", domain, "duplicate_rows", f"{table}: {what} listed {len(same)} times",
                    {"rule": "table_duplicate", "table": table, "column": column, "value": value, "rows": len(same),
                     "subject": f"{what} in {table}"},
                    same[1], 0.9,
                ))
            count = total_row_check(rows)
            if count is not None and (table_domain.domain if table_domain else DEFAULT_GAP_DOMAIN) == domain:
                drafts.append(FactDraft(
                    "table_total", domain, "count_mismatch",
                    f"{table}: total row states {count.stated:,}, the rows add up to {count.listed:,}",
                    {"rule": "table_total", "table": table, "column": count.column, "stated": count.stated,
                     "listed": count.listed, "subject": table},
                    count.total_row, 0.9,
                ))
        return drafts

    @staticmethod
    def _add(by_key: dict[str, FactItem], draft: FactDraft, entity: str) -> None:
        unit = draft.unit
        fact = FactItem(
            entity=entity,
            domain=draft.domain,
            category=draft.category,
            item=draft.item,
            evidence=unit.evidence,
            document_id=unit.document_id,
            pages=[unit.page_number],
            details={**draft.details, **({"columns": dict(unit.columns)} if unit.columns else {}), "source_file": unit.filename},
            confidence=draft.confidence,
        )
        existing = by_key.get(fact.key)
        if (existing is not None and existing.document_id != fact.document_id
                and ("status" in fact.details or fact.details.get("rule") == "eol_catalogue")):
            # A claim about a control ("MFA: in place") or a release in use made by two documents is two
            # statements, each with its own source: the questionnaire's and the overview's, the inventory's
            # and an e-mail's. Merged into one, the document a third one contradicts could lose its side.
            # The item names the later document (deterministic: pages are read in a fixed order), so the
            # first document's fact keeps its key.
            fact = replace(fact, item=f"{fact.item} (per {file_words(unit.filename) or unit.filename})")
            existing = by_key.get(fact.key)
        if existing is None:
            by_key[fact.key] = fact
        else:  # the same fact stated again: keep the first quote, count the repeats
            existing.details["mentions"] = existing.details.get("mentions", 1) + 1

    def _gaps(self, units: list[TextUnit], contexts: list[str], request: DiscoveryRequest) -> list[GapItem]:
        gaps = []
        quoted: set[tuple[int, int, str]] = set()  # statements a checklist gap already quotes
        for status in evaluate_checklist(
            request.domain, request.pages, request.deal.deal_type, entity=request.entity, units=units, rules_dir=self.rules_dir
        ):
            if status.answered:
                continue
            evidence = {}
            if status.placeholder:
                description = (
                    f"{status.title}: answered only with a placeholder ({_quote(status.evidence)}, "
                    f"{status.filename or 'document'} p.{status.page_number})"
                )
                evidence = {"evidence": status.evidence, "document_id": status.document_id, "pages": [status.page_number]}
                quoted.add((status.document_id, status.page_number, status.evidence))
            else:
                description = f"{status.title}: not found in the {request.entity}'s documents"
            gaps.append(
                GapItem(
                    entity=request.entity,
                    domain=request.domain,
                    category=status.topic_id,
                    description=description,
                    importance=status.importance,
                    suggested_sources=list(status.suggested_sources),
                    **evidence,
                )
            )
        gaps.extend(self._stated_gaps(units, contexts, request, quoted))
        gaps.extend(self._table_gaps(units, contexts, request))
        return _unique_gaps(gaps)

    def _stated_gaps(self, units, contexts, request: DiscoveryRequest, quoted) -> list[GapItem]:
        """Gaps a document states itself: "TBD", "available on request", "out of scope", "last updated 2019"."""
        topics = checklist_topics(request.domain, request.deal.deal_type, request.entity, rules_dir=self.rules_dir)
        table_domains = self._table_domains(units, contexts)
        gaps = []
        heading: dict[int, str] = {}
        for unit, context in zip(units, contexts):
            statement = self._statements.find(unit.text, request.deal.reference_date)
            current_heading = heading.get(unit.document_id, "")
            if unit.is_heading and " | " not in unit.text:
                heading[unit.document_id] = unit.text
            if statement is None or (unit.document_id, unit.page_number, unit.evidence) in quoted:
                continue
            if unit.is_table_row:
                domain = self._row_domain(unit, context, table_domains.get(unit.table_id))
            else:
                # "Network: … capacity is to be confirmed": the line's own label says what it is about.
                label = _LEADING_LABEL.match(unit.text)
                domain = ((self._vocabulary.classify(label.group(1)) if label else None)
                          or self._vocabulary.classify(unit.text, context) or DEFAULT_GAP_DOMAIN)
            if domain != request.domain:
                continue
            subject = statement_subject(unit, statement, current_heading)
            # A table cell's topic is its row and column ("Firmware" of a switch), not every word in the row.
            about = f"{subject} {unit.text[statement.start:statement.end]}" if unit.columns else unit.text
            topic = next((t for t in topics if any(k.search(about) for k in t.keywords)), None)
            subject = subject or (topic.title if topic else "")
            kind = statement.kind
            what = kind.label if not statement.stated_date else f"{kind.label} (dated {statement.stated_date})"
            description = f"{subject}: {what}" if subject else what[0].upper() + what[1:]
            gaps.append(GapItem(
                entity=request.entity,
                domain=domain,
                category=topic.id if topic else f"stated_{kind.name}",
                # A table row is quoted by its values (every cell may matter: the question and its answer).
                description=f"{description} ({_quote(row_text(unit), MAX_ROW_QUOTE_IN_GAP) if unit.columns else _quote(unit.evidence, MAX_STATEMENT_QUOTE_IN_GAP)}, {unit.location})",
                importance=topic.importance if topic else kind.importance,
                suggested_sources=list(topic.suggested_sources) if topic else [],
                evidence=unit.evidence,
                document_id=unit.document_id,
                pages=[unit.page_number],
            ))
        return gaps

    def _table_gaps(self, units, contexts, request: DiscoveryRequest) -> list[GapItem]:
        """Cells left blank in a column the other rows fill; rows whose field count differs from the header."""
        context_of = {(u.document_id, u.page_number, u.index): c for u, c in zip(units, contexts)}
        sheets = sheet_names(units)
        gaps = []
        for rows in tables_of(units).values():
            context = context_of[(rows[0].document_id, rows[0].page_number, rows[0].index)]
            table_domain = self._table_domain(rows, context)
            table = _table_name(rows[0], sheets)
            by_column: dict[str, list[TextUnit]] = {}
            for row, column in blank_cells(rows):
                if self._row_domain(row, context, table_domain) == request.domain:
                    by_column.setdefault(column, []).append(row)
            for column, blank_rows in by_column.items():
                if len(blank_rows) > MAX_BLANK_CELL_GAPS_PER_COLUMN:
                    first = blank_rows[0]
                    gaps.append(_row_gap(request, first, "blank_cell",
                                         f"{table}: {column} left blank in {len(blank_rows)} rows (first {_row_name(first)}"
                                         f" {_quote(first.evidence)}, {first.location})"))
                    continue
                for row in blank_rows:
                    gaps.append(_row_gap(request, row, "blank_cell",
                                         f"{_row_name(row)}: {column} left blank in {table} ({_quote(row.evidence)}, {row.location})"))
            for row in mismatched_rows(rows):
                if self._row_domain(row, context, table_domain) != request.domain:
                    continue
                fields, header = row.field_mismatch
                gaps.append(_row_gap(request, row, "ragged_row",
                                     f"{table}: a row has {fields} fields where the header has {header}; its values "
                                     f"cannot be matched to columns ({_quote(row.evidence)}, {row.location})", "important"))
        return gaps

    # -- reasoning ------------------------------------------------------------------------------------

    def reason(self, request: ReasoningRequest) -> ReasoningResult:
        # Sorted so the result does not depend on the order the facts were read from the database.
        facts = sorted(
            (f for f in request.facts if f.domain == request.domain),
            key=lambda f: (f.entity, f.category, f.item, f.key),
        )
        ctx = ReasoningContext(
            deal=request.deal, domain=request.domain, facts=facts, gaps=list(request.gaps), costs=self._costs
        )
        findings = run_rules(ctx, self._finding_rules, self._products)
        known = {f.key for f in facts}
        dropped = 0
        for finding in findings:
            kept = [link for link in finding.links if link.fact_key in known]
            dropped += len(finding.links) - len(kept)
            finding.links = kept
        return ReasoningResult(findings=[f for f in findings if f.links], usage=Usage(model=self.model), dropped_links=dropped)


def _application_names(units: list[TextUnit], table_domains: dict[str, TableLean | None]) -> re.Pattern | None:
    """The names (and vendors) an entity's application inventories list: what makes a contract line about
    "Acme Dispatch" an applications matter even though its words name no domain."""
    names = set()
    for unit in units:
        lean = table_domains.get(unit.table_id) if unit.is_table_row else None
        if lean is None or lean.domain != "applications":
            continue
        for label, value in unit.columns:
            value = value.strip()
            if (_APPLICATION_NAME_HEADER.match(label.strip()) and 4 <= len(value) <= 60 and value[0].isalnum()
                    and not _NOT_A_NAME.match(value) and not value.isdigit()):
                names.add(value.casefold())
    if not names:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))) + r")(?![\w-])", re.I)


def _names_application(text: str, apps: re.Pattern | None) -> bool:
    return apps is not None and apps.search(text) is not None


def _quote(text: str, limit: int = MAX_QUOTE_IN_GAP) -> str:
    quote = re.sub(r"\*\*|__|`", "", text)
    quote = quote if len(quote) <= limit else quote[:limit] + "…"
    return f"“{quote}”"


def _table_name(unit: TextUnit, sheets: dict[tuple[int, int], str]) -> str:
    """What an analyst calls the table: its file (without number prefixes) and sheet."""
    sheet = sheets.get((unit.document_id, unit.page_number), "")
    name = file_words(unit.filename) or unit.filename
    return f"{name} ({sheet})" if sheet and sheet.casefold() != name.casefold() else name


def _row_name(row: TextUnit) -> str:
    values = row_values(row)
    return values[0][1] if values else "A row"


def _row_gap(request: DiscoveryRequest, row: TextUnit, category: str, description: str,
             importance: str = "nice_to_have") -> GapItem:
    return GapItem(
        entity=request.entity, domain=request.domain, category=category, description=description,
        importance=importance, evidence=row.evidence, document_id=row.document_id, pages=[row.page_number],
    )


def _unique_gaps(gaps: list[GapItem]) -> list[GapItem]:
    seen: set[str] = set()
    unique = []
    for gap in gaps:
        if gap.key not in seen:
            seen.add(gap.key)
            unique.append(gap)
    return unique


def _ground_gaps(gaps: list[GapItem], index: PageIndex) -> list[GapItem]:
    """A gap that quotes a statement stands only if the quote is in the pages (pages taken from there)."""
    kept = []
    for gap in gaps:
        if gap.evidence:
            found = index.find_exact(gap.evidence, prefer_document=gap.document_id)
            if found is None:
                continue
            gap.document_id, gap.pages = found.document_id, list(found.pages)
        kept.append(gap)
    return kept


def _drop_uncounted_duplicates(facts: list[FactItem]) -> list[FactItem]:
    """A release named without a count adds nothing when another line gives its count: keep the counted
    fact(s) and record the extra mention, so "Windows Server 2012 R2" does not sit beside "…: 40 servers"."""
    counted = {
        (f.details.get("product"), f.details.get("cycle"))
        for f in facts
        if f.details.get("rule") == "eol_catalogue" and f.details.get("count")
    }
    kept = []
    for fact in facts:
        release = (fact.details.get("product"), fact.details.get("cycle"))
        if (fact.details.get("rule") == "eol_catalogue" and not fact.details.get("count") and release in counted
                and not fact.details.get("lifecycle_claim")):
            first = next(f for f in kept + facts if (f.details.get("product"), f.details.get("cycle")) == release and f.details.get("count"))
            first.details["mentions"] = first.details.get("mentions", 1) + fact.details.get("mentions", 1)
            continue
        kept.append(fact)
    return kept


def fact_records(facts: list[FactItem]) -> list[FactRecord]:
    """FactItems as the reasoning step sees them (what the pipeline builds from saved rows)."""
    return [FactRecord.of(f, ref=f"F{index + 1}") for index, f in enumerate(facts)]


__all__ = ["OfflineEngine", "fact_records"]
