"""What changed between two versions of a paper's scan: checks that flipped, claims whose support changed, flags added or removed."""

from __future__ import annotations

from dataclasses import dataclass

from digest.filters import humanize
from digest.scanfiles import ScanFile
from digest.scans import Scan, checklist_groups


@dataclass(frozen=True)
class Change:
    """What a scan version changed from the one before it."""

    version: int  # the version before
    met: list[str]  # checks met now, not before
    unmet: list[str]  # checks met before, not now
    support: list[tuple[str, str, str]]  # (claim, support before, support now)
    flags_added: list[str]
    flags_removed: list[str]

    def __bool__(self) -> bool:
        """Whether anything a reader sees changed."""
        return bool(self.met or self.unmet or self.support or self.flags_added or self.flags_removed)


def words(text: str) -> str:
    """Text as it is compared across versions: case and spacing aside."""
    return " ".join(text.casefold().split())


def checks_met(scan: Scan) -> dict[str, tuple[str, bool]]:
    """Each check that applies, by its place (section, group, name): its question in words, and whether it is met."""
    return {
        f"{section}/{group}/{name}": (humanize(name), item.met)
        for section, group, items in checklist_groups(scan)
        for name, item in items.items()
        if item.applies
    }


def scan_change(scan: ScanFile, now: Scan) -> Change | None:
    """What the paper's scan (now, as the page already read it) changed from its previous version, if there is one (read again)."""
    if scan.previous is None:
        return None
    before = scan.previous.scan
    old_checks, new_checks = checks_met(before), checks_met(now)
    both = [key for key in new_checks if key in old_checks and old_checks[key][1] != new_checks[key][1]]
    old_claims = {words(claim.claim): claim.support for claim in before.claims}
    support = [(c.claim, old_claims[words(c.claim)], c.support) for c in now.claims if old_claims.get(words(c.claim), c.support) != c.support]
    old_flags, new_flags = {words(f.flag): f.flag for f in before.red_flags}, {words(f.flag): f.flag for f in now.red_flags}
    return Change(
        scan.previous.version,
        [new_checks[key][0] for key in both if new_checks[key][1]],
        [new_checks[key][0] for key in both if not new_checks[key][1]],
        support,
        [flag for key, flag in new_flags.items() if key not in old_flags],
        [flag for key, flag in old_flags.items() if key not in new_flags],
    )
