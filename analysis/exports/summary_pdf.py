"""The executive summary as a PDF, drawn with fpdf2 (pure Python: no browser, no system libraries).

A4 portrait: a title band, the run's scope warnings (a run that is not completed over every domain says
so), the key messages, then top risks, Day-1 blockers, TSA exposure, coverage of the analysed domains,
the cost roll-up and the open critical/important document requests. Page numbers in the footer.
The built-in Helvetica covers Latin-1; other characters are replaced by their closest Latin-1 form.
"""
from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

NAVY = (31, 58, 95)
GREY = (110, 110, 110)
AMBER = (255, 236, 179)
STRIPE = (241, 244, 248)
SEVERITY_COLOURS = {"critical": (176, 0, 32), "high": (214, 92, 0), "medium": (191, 144, 0), "low": (70, 120, 70)}

_LATIN1 = str.maketrans({
    "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "→": "->", "•": "-",
    "≥": ">=", "≤": "<=", "\u00a0": " ", "€": "EUR", "✓": "v",
})


def latin1(text) -> str:
    return str(text if text is not None else "").translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


class _SummaryPdf(FPDF):
    def __init__(self, title: str, subtitle: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.title_text, self.subtitle = latin1(title), latin1(subtitle)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(self.title_text)
        self.set_creator("DealIQ")

    def header(self):
        self.set_fill_color(*NAVY)
        self.rect(0, 0, self.w, 24, style="F")
        self.set_xy(15, 6)
        self.set_text_color(255, 255, 255)
        self.set_font("Helvetica", "B", 15)
        self.cell(0, 7, self.title_text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.cell(0, 5, self.subtitle, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_y(30)

    def footer(self):
        self.set_y(-11)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, "Confidential - prepared with DealIQ", align="L")
        self.set_x(15)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # -- building blocks ---------------------------------------------------------------------------

    def heading(self, text: str):
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(*NAVY)
        self.cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*NAVY)
        self.line(15, self.get_y(), self.w - 15, self.get_y())
        self.ln(2)
        self.set_text_color(0, 0, 0)

    def paragraph(self, text: str, size: float = 9.5, style: str = ""):
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, 4.8, latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def warning_box(self, lines: list[str]):
        self.set_fill_color(*AMBER)
        self.set_font("Helvetica", "B", 10)
        self.multi_cell(0, 5.5, latin1("Incomplete picture: " + " ".join(lines)), fill=True, border=0, padding=2, align="L",
                        new_x="LMARGIN", new_y="NEXT")
        self.set_fill_color(255, 255, 255)  # tables fill their unstriped rows with the current colour
        self.ln(1)

    def numbered(self, items: list[str]):
        self.set_font("Helvetica", "", 10)
        for number, text in enumerate(items, 1):
            self.set_font("Helvetica", "B", 10)
            self.cell(7, 5.2, f"{number}.")
            self.set_font("Helvetica", "", 10)
            self.multi_cell(0, 5.2, latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
            self.ln(0.8)

    def grid(self, headings: list[str], rows: list[list], widths: tuple, empty: str = "None.", aligns=None):
        if not rows:
            self.paragraph(empty, style="I")
            return
        self.set_font("Helvetica", "", 8.5)
        style = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)
        with self.table(
            col_widths=widths, headings_style=style, line_height=4.6, cell_fill_color=STRIPE, cell_fill_mode="ROWS",
            text_align=aligns or "LEFT", borders_layout="HORIZONTAL_LINES", padding=1,
        ) as table:
            header = table.row()
            for text in headings:
                header.cell(latin1(text))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(latin1(value))
        self.ln(1)


def _money(low, high, currency: str) -> str:
    if not low and not high:
        return "-"
    return f"{currency} {low:,}" if low == high else f"{currency} {low:,}-{high:,}"


def summary_pdf(deal, run, km, numbers: dict, open_requests: list, documents: int) -> bytes:
    """km: services.key_messages.KeyMessages; numbers: services.dashboard.domain_and_cost_context(run)."""
    completed = f" {run.completed_at:%Y-%m-%d}" if run.completed_at else ""
    subtitle = (
        f"{deal.target_name}{' / ' + deal.buyer_name if deal.buyer_name else ''} - "
        f"{deal.get_deal_type_display()} - run {run.number} ({run.get_status_display().lower()}{completed}) - "
        f"{documents} documents - reference date {deal.reference_date}"
    )
    pdf = _SummaryPdf(f"Executive summary - {deal.name}", subtitle)
    pdf.add_page()
    if km.scope_warnings:
        pdf.warning_box(km.scope_warnings)

    pdf.heading("Key messages")
    pdf.numbered(km.messages)

    currency = numbers["currency"]
    pdf.heading("Top risks")
    pdf.grid(
        ["Severity", "Risk", "Domain", "Phase", "Cost"],
        [[i.values.severity_label, i.title, i.domain_label, i.values.phase_label, i.cost_text or "-"] for i in km.top_risks],
        (17, 73, 28, 20, 42), "No risks identified.",
    )
    pdf.heading("Day-1 blockers")
    pdf.grid(
        ["Severity", "Item", "Domain", "Cost"],
        [[i.values.severity_label, i.title, i.domain_label, i.cost_text or "-"] for i in km.day1_blockers],
        (17, 93, 28, 42), "No Day-1 blockers.",
    )
    pdf.heading("TSA exposure")
    pdf.grid(
        ["Severity", "Service the seller keeps providing", "Domain", "Cost"],
        [[i.values.severity_label, i.title, i.domain_label, i.cost_text or "-"] for i in km.tsa_items],
        (17, 93, 28, 42), "No TSA dependencies identified.",
    )
    pdf.heading("Coverage of the analysed domains")
    pdf.grid(
        ["Domain", "Grade", "Topics answered", "Facts", "Open gaps", "Findings", f"Cost ({currency})"],
        [
            [r.label, r.grade, f"{r.coverage:.0%}" if r.coverage is not None else "-", r.facts, r.gap_total,
             r.finding_total, _money(r.cost_low, r.cost_high, "").strip()]
            for r in km.analysed_rows
        ],
        (38, 16, 28, 16, 20, 20, 42), "No domain was analysed.",
    )
    pdf.heading(f"Cost roll-up by phase ({currency})")
    phases = [[p["label"], f"{p['low']:,}", f"{p['high']:,}"] for p in numbers["phase_costs"]]
    phases.append(["Total", f"{numbers['cost_total_low']:,}", f"{numbers['cost_total_high']:,}"])
    pdf.grid(["Phase", "Low", "High"], phases, (60, 60, 60), aligns=("LEFT", "RIGHT", "RIGHT"))
    pdf.heading("Open document requests (critical and important)")
    pdf.grid(
        ["Priority", "Domain", "Gap"],
        [[g.get_importance_display(), g.get_domain_display(), g.description] for g in open_requests],
        (22, 32, 126), "None open.",
    )
    return bytes(pdf.output())
