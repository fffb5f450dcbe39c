"""The one configured Markdown renderer: the only place where text becomes trusted HTML."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Hashable, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

from digest import files

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_link(url: str) -> bool:
    """Allow relative links and http, https and mailto; drop every other scheme."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in SAFE_SCHEMES or scheme == ""


_SLUG_BYTES = bytes(byte if byte in b"0123456789abcdefghijklmnopqrstuvwxyz" else ord(" ") for byte in range(256))


def slugify(text: str) -> str:
    """A lower-case, ASCII, hyphenated form of text for anchors and URLs: each run of other characters becomes one hyphen."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(text.lower().encode().translate(_SLUG_BYTES).decode().split())  # a byte table: 3 times faster than a pattern


def _heading_anchors(state: StateCore) -> None:
    """Give every heading an id, prefixed by env['anchor_prefix'] and unique in the document."""
    prefix = state.env.get("anchor_prefix", "")
    shift = state.env.get("heading_shift", 0)
    seen: set[str] = set()
    for index, token in enumerate(state.tokens):
        if token.type in ("heading_open", "heading_close") and shift:
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"
        if token.type != "heading_open":
            continue
        base = prefix + (slugify(plain_text(state.tokens[index + 1])) or "section")
        anchor, count = base, 1
        while anchor in seen:
            count += 1
            anchor = f"{base}-{count}"
        seen.add(anchor)
        token.attrSet("id", anchor)


def _clean_text(state: StateCore) -> None:
    """Drop from every token the characters no page or feed can carry, which character references (`&#12;`) can make."""
    if "&#" not in state.src:
        return
    for token in state.tokens:
        for part in [token, *(token.children or [])]:
            part.content = files.clean_text(part.content)


def _resolving(attribute: str) -> Any:
    """A render rule that passes a link attribute through env['resolve'] when set."""

    def render(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        resolve = env.get("resolve")
        original = token.attrGet(attribute)
        if resolve and isinstance(original, str):
            token.attrSet(attribute, resolve(original))
        try:
            if token.type == "image":
                return RendererHTML.image(self, tokens, idx, options, env)
            return self.renderToken(tokens, idx, options, env)
        finally:
            if original is not None:
                token.attrSet(attribute, original)

    return render


def _fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """Fenced code; in bare mode without its `language-` class attribute."""
    token = tokens[idx]
    info = token.info
    if env.get("bare"):
        token.info = ""
    try:
        return RendererHTML.fence(self, tokens, idx, options, env)
    finally:
        token.info = info


def _raw_html(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """Raw HTML that the site allows; in bare mode escaped, as if raw HTML were off."""
    content = tokens[idx].content
    return escapeHtml(content) if env.get("bare") else content


def new_parser(allow_html: bool = False) -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML off unless the site allows it."""
    md = MarkdownIt("commonmark", {"html": allow_html, "maxNesting": 20})
    md.enable(["table", "strikethrough"])
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.core.ruler.push("clean_text", _clean_text)
    md.core.ruler.push("heading_anchors", _heading_anchors)
    md.add_render_rule("link_open", _resolving("href"))
    md.add_render_rule("image", _resolving("src"))
    md.add_render_rule("fence", _fence)
    md.add_render_rule("html_block", _raw_html)
    md.add_render_rule("html_inline", _raw_html)
    return md


class Document:
    """A Markdown body, parsed on first use and rendered on demand with relative or absolute links."""

    def __init__(self, md: MarkdownIt, text: str, anchor_prefix: str = "", heading_shift: int = 0) -> None:
        """Keep the text; anchors get anchor_prefix so several documents can share a page.

        heading_shift moves headings down (a note's `##` becomes `<h4>` under its `<h2>` headline with 2).
        """
        self._md = md
        self._text = text
        self.env: dict[str, Any] = {"anchor_prefix": anchor_prefix, "heading_shift": heading_shift}
        self._tokens: list[Token] | None = None
        self._html: dict[Hashable, Markup] = {}

    @property
    def tokens(self) -> list[Token]:
        """The parsed tokens (parsed once, when first needed)."""
        if self._tokens is None:
            self._tokens = self._md.parse(self._text, self.env)
        return self._tokens

    def html(self, resolve: Callable[[str], str] | None = None, bare: bool = False, key: Hashable = None) -> Markup:
        """The document as HTML, each link and image passed through resolve when given.

        bare leaves out every class attribute and escapes raw HTML, for email. A key that names
        resolve renders the document once per key.
        """
        cached = self._html.get((key, bare)) if key is not None else None
        if cached is None:
            tokens = self.tokens  # parsing fills self.env (link references) before it is copied
            env = dict(self.env, resolve=resolve, bare=bare)
            cached = Markup(self._md.renderer.render(tokens, self._md.options, env))
            if key is not None:
                self._html[key, bare] = cached
        return cached

    def paragraphs(self) -> list[tuple[int, Token]]:
        """Each top-level paragraph's first line (0-based, in the body) and inline token."""
        found = []
        for index, token in enumerate(self.tokens):
            if token.type == "paragraph_open" and token.level == 0 and token.map:
                found.append((token.map[0], self.tokens[index + 1]))
        return found

    def first_paragraph(self) -> str:
        """The plain text of the first paragraph, for summaries."""
        paragraphs = self.paragraphs()
        return plain_text(paragraphs[0][1]) if paragraphs else ""


def plain_text(inline: Token, cite: Callable[[str], str] | None = None) -> str:
    """The text of an inline token, without markup; with cite, each link and image is followed by cite(its URL)."""
    parts = []
    targets: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif cite and child.type == "link_open":
            targets.append(str(child.attrGet("href")))
        elif cite and child.type == "link_close" and targets:
            parts.append(" " + cite(targets.pop()))
        elif cite and child.type == "image":
            parts.append(f"{child.content} {cite(str(child.attrGet('src')))}")
    return "".join(parts).strip()


def link_resolver(source_url: str, site_url: str, root: str | None) -> Callable[[str], str]:
    """Resolve links written relative to source_url; inside the site, make them relative to root.

    With root None every link becomes absolute (feeds, email); otherwise links into the site
    become root + path, so a note reads the same on its edition page and on its paper page.
    """

    def resolve(href: str) -> str:
        absolute = urljoin(source_url, href)
        if root is None or not absolute.startswith(site_url):
            return absolute
        return root + absolute[len(site_url) :] or "./"

    return resolve
