"""Split an entity's pages into batches that fit a token budget, one model call per batch.

Batches are a pure function of the pages (sorted by document id, then page number): the same data
room always gives the same batches. That matters twice: a retried step finds its saved batches under
the same indexes (the sub-checkpoint), and the six domains' calls for a batch send byte-identical
document blocks, so they share one prompt-cache entry.

Whole documents are packed together while they fit; a document larger than the budget is split
between pages; a single page larger than the budget is split at paragraph or line boundaries.
"""
from __future__ import annotations

import math
from dataclasses import replace

from ...schemas import SourcePage

# Local estimate; English prose and inventory tables run ~3.5-4 characters per token. Erring low on
# characters per token keeps batches inside the context window. (messages.count_tokens can check.)
CHARS_PER_TOKEN = 3.5
PAGE_MARKER_TOKENS = 6  # "[page N]" line and separators


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def page_tokens(page: SourcePage) -> int:
    return estimate_tokens(page.text) + PAGE_MARKER_TOKENS


def ordered(pages: list[SourcePage]) -> list[SourcePage]:
    return sorted((p for p in pages if p.text.strip()), key=lambda p: (p.document_id, p.page_number))


def split_text(text: str, max_tokens: int) -> list[str]:
    """Pieces of at most ~max_tokens, cut at a paragraph, else a line, else a space, else anywhere."""
    limit = max(1, int(max_tokens * CHARS_PER_TOKEN))
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = rest.rfind(separator, limit // 2, limit)
            if cut > 0:
                break
        cut = cut if cut > 0 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def plan_batches(pages: list[SourcePage], token_budget: int) -> list[list[SourcePage]]:
    """Batches of pages, each estimated at or under `token_budget` document tokens."""
    by_document: dict[int, list[SourcePage]] = {}
    for page in ordered(pages):
        by_document.setdefault(page.document_id, []).append(page)

    batches: list[list[SourcePage]] = []
    current: list[SourcePage] = []
    used = 0

    def close() -> None:
        nonlocal current, used
        if current:
            batches.append(current)
        current, used = [], 0

    for doc_pages in by_document.values():
        doc_tokens = sum(page_tokens(p) for p in doc_pages)
        if used + doc_tokens <= token_budget:
            current.extend(doc_pages)
            used += doc_tokens
            continue
        close()
        for page in doc_pages:  # too big to join the current batch: pack it page by page
            cost = page_tokens(page)
            if cost > token_budget:
                close()
                for piece in split_text(page.text, token_budget - PAGE_MARKER_TOKENS):
                    batches.append([replace(page, text=piece)])
                continue
            if used + cost > token_budget:
                close()
            current.append(page)
            used += cost
    close()
    return batches


def split_in_two(pages: list[SourcePage]) -> tuple[list[SourcePage], list[SourcePage]] | None:
    """Two halves of similar size (for a response cut by max_tokens), or None if it cannot be split."""
    if len(pages) >= 2:
        total = sum(page_tokens(p) for p in pages)
        running = 0
        for i, page in enumerate(pages[:-1]):
            running += page_tokens(page)
            if running >= total / 2:
                return pages[: i + 1], pages[i + 1 :]
        return pages[:-1], pages[-1:]
    page = pages[0] if pages else None
    if page is None or estimate_tokens(page.text) < 50:
        return None
    pieces = split_text(page.text, estimate_tokens(page.text) // 2 + 1)
    if len(pieces) < 2:
        return None
    first, second = pieces[0], "\n".join(pieces[1:])
    return [replace(page, text=first)], [replace(page, text=second)]
