"""The shop's pages as lists of elements, and WebShop's two text renderings of them.

A page is what WebShop's HTML templates show, in order: plain text, buttons, product links
(the asins on a results page) and option values (radio buttons on an item page). The text
modes are WebShop's ``convert_html_to_text``:

- ``text``: the visible strings joined by " [SEP] ";
- ``text_rich``: one string a line, clickables as "[button] X [button_]" (chosen option values
  and visited products as "[clicked button] X [clicked button_]"), and "You have clicked X."
  first for every chosen option.

The browser (``envs.shop.server``) renders the same elements as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# WebShop's button labels; the click argument is the label lower-cased.
BACK_TO_SEARCH = "Back to Search"
NEXT_PAGE = "Next >"
PREV_PAGE = "< Prev"
BUY_NOW = "Buy Now"
SUB_PAGES = ("Description", "Features", "Reviews")
PAGE_SIZE = 10  # WebShop's PRODUCT_WINDOW
OBSERVATION_MODES = ("text", "text_rich")


@dataclass(slots=True)
class Element:
    kind: str  # "text" | "button" | "link" (a product's asin) | "option" (an option value)
    text: str
    clicked: bool = False  # a chosen option, a product already visited
    group: str = ""  # an option's group
    # The click argument that activates it (its text lower-cased); None when not clickable.
    action: str | None = field(init=False)

    def __post_init__(self) -> None:
        clickable = self.kind != "text" and self.text != "Search"  # the search button is search[...]
        self.action = self.text.lower() if clickable else None


@dataclass
class PageState:
    """Where the shopper is. ``results`` are the asins of the last search, best first."""

    page: str = "search"  # "search" | "results" | "item" | "sub" | "done"
    query: str = ""
    results: tuple[str, ...] = ()
    page_no: int = 1
    asin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    sub_page: str = ""
    visited: set[str] = field(default_factory=set)
    score: float | None = None

    def page_results(self) -> list[str]:
        start = (self.page_no - 1) * PAGE_SIZE
        return self.results[start : start + PAGE_SIZE]

    def has_next(self) -> bool:
        return self.page_no * PAGE_SIZE < len(self.results)


def page_elements(state: PageState, instruction: str, catalogue) -> list[Element]:
    T, B = (lambda s: Element("text", s)), (lambda s: Element("button", s))
    if state.page == "search":
        return [T("WebShop"), T("Instruction:"), T(instruction), B("Search")]
    if state.page == "done":
        chosen = ", ".join(f"{k}: {v}" for k, v in state.options.items()) or "none"
        return [
            T("Thank you for shopping with us!"), T("Purchased:"), T(state.asin or ""), T(f"Options: {chosen}"),
            T("Your score (min 0.0, max 1.0)"), T(format_score(state.score or 0.0)),
        ]
    head = [T("Instruction:"), T(instruction), B(BACK_TO_SEARCH)]
    if state.page == "results":
        elements = head + [T(f"Page {state.page_no} (Total results: {len(state.results)})")]
        if state.page_no > 1:
            elements.append(B(PREV_PAGE))
        if state.has_next():
            elements.append(B(NEXT_PAGE))
        for asin in state.page_results():
            product = catalogue.by_asin[asin]
            elements += [Element("link", asin, clicked=asin in state.visited), T(product.title), T(product.price_tag)]
        return elements
    product = catalogue.by_asin[state.asin]
    elements = head + [B(PREV_PAGE)]
    if state.page == "item":
        for group, values in product.options:
            elements.append(T(group))
            elements += [Element("option", v, clicked=state.options.get(group) == v, group=group) for v in values]
        elements += [T(product.title), T(f"Price: {product.price_tag}"), T(f"Rating: {product.rating}")]
        return elements + [B(name) for name in SUB_PAGES] + [B(BUY_NOW)]
    if state.sub_page == "description":
        return elements + [T(product.description)]
    if state.sub_page == "features":
        return elements + [T(b) for b in product.bullets]
    reviews = [T(f"{stars} out of 5 stars: {text}") for stars, text in product.reviews]
    return elements + (reviews or [T("No reviews yet.")])


def format_score(score: float) -> str:
    return f"{score:.4f}".rstrip("0").rstrip(".") if score % 1 else f"{score:.1f}"


def render_text(elements: list[Element]) -> str:
    return " [SEP] ".join(e.text for e in elements)


def render_text_rich(elements: list[Element]) -> str:
    lines, clicked_first = [], []
    for e in elements:
        if e.kind == "text":
            lines.append(e.text)
        elif e.kind == "option":
            mark = "clicked button" if e.clicked else "button"
            lines.append(f"  [{mark}] {e.text} [{mark}_]")
            if e.clicked:
                clicked_first.append(f"You have clicked {e.text}.")
        elif e.kind == "link":
            mark = "clicked button" if e.clicked else "button"
            lines.append(f"\n[{mark}] {e.text} [{mark}_]")
        else:
            lines.append(f"[button] {e.text} [button_]")
    return "\n".join(clicked_first + lines)


def render(elements: list[Element], mode: str) -> str:
    return render_text(elements) if mode == "text" else render_text_rich(elements)
