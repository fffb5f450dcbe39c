"""Site settings from `content/site.yaml`, and command-line overrides."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from digest import files, frontmatter, validation
from digest.problems import Problems

DEFAULT_MAX_SCAN_BYTES = 5 * 1024 * 1024
# A worst-case Markdown file (a huge table, deep brackets) of this size renders in about 3 s here.
DEFAULT_MAX_MARKDOWN_BYTES = 128 * 1024
DEFAULT_FEED_LIMIT = 20  # about two and a half years of six-weekly editions: what feed readers fetch comfortably
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")


class Author(BaseModel):
    """The digest's author, as named in the feeds."""

    model_config = ConfigDict(extra="allow")
    name: StrictStr = Field(min_length=1)
    email: StrictStr | None = None


class Settings(BaseModel):
    """What `site.yaml` may say; every field but the title has a default."""

    model_config = ConfigDict(extra="allow")
    title: StrictStr = Field(min_length=1)  # strict: YAML's `!!binary` makes bytes, which would pass unchecked
    description: StrictStr = ""
    base_url: StrictStr = "http://localhost:8000/"
    language: StrictStr = Field(default="en", min_length=1)
    author: Author = Field(default_factory=lambda: Author(name="The editors"))
    cadence_weeks: int = Field(default=6, ge=1, le=52)
    max_scan_bytes: int = Field(default=DEFAULT_MAX_SCAN_BYTES, ge=1)
    max_markdown_bytes: int = Field(default=DEFAULT_MAX_MARKDOWN_BYTES, ge=1)
    allow_html: bool = False
    search: bool = True  # a search page, and the Pagefind index the build makes over the pages before publishing them
    feed_limit: int = Field(default=DEFAULT_FEED_LIMIT, ge=0)  # the newest editions in the feeds; 0 for every edition
    # The host name in feed entry ids, `tag:HOST,DATE:edition` (default: base_url's). A site that moves keeps its old
    # host here, so that feed readers do not show every edition again.
    feed_id_host: StrictStr | None = None

    @field_validator("base_url")
    @classmethod
    def absolute_base_url(cls, value: str) -> str:
        """Require an absolute http(s) URL of a host and a path only (every feed and canonical link starts with it); end it with a slash."""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment or "?" in value or "#" in value:
            raise ValueError("must have no query (`?…`) or fragment (`#…`): every link in the site and the feeds is made by adding to it")
        if any(c.isspace() or not c.isprintable() or c in "\\<>\"'`^{|}" for c in value):
            raise ValueError("must not hold spaces or characters that cannot stand in a URL; percent-encode them")
        try:
            parts.port  # noqa: B018  (reading it checks it)
        except ValueError:
            raise ValueError(f"has a port that is not a number from 0 to 65535 ({parts.netloc!r})") from None
        return value if value.endswith("/") else value + "/"

    @field_validator("feed_id_host")
    @classmethod
    def host_name(cls, value: str | None) -> str | None:
        """Require a host name, as a tag: URI takes it."""
        if value is not None and not HOST.fullmatch(value):
            raise ValueError("must be a host name such as digest.example.org")
        return value

    @property
    def host(self) -> str:
        """The host name in feed entry ids: feed_id_host, else base_url's."""
        return self.feed_id_host or urlsplit(self.base_url).hostname or "localhost"


def load_settings(path: Path, problems: Problems, base_url: str | None = None) -> Settings | None:
    """Read `site.yaml`; apply a `--base-url` override; record problems with lines."""
    if not path.is_file():
        problems.add(path, "site settings file is missing (it needs at least `title:`)")
        return None
    text = files.read_text(path, problems)
    loaded = frontmatter.load_yaml(path, text, problems, first=1, what="") if text is not None else None
    if loaded is None:
        return None
    node, data = loaded
    if base_url is not None:
        data["base_url"] = base_url
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        lines = frontmatter.key_lines(node, first=1)
        validation.report_lines(path, error, problems, lambda key: lines.get(str(key), 1))
        return None
