"""Hype against rigor: how much each paper is discussed against the share of its checks it meets, laid out for an SVG chart."""

from __future__ import annotations

from dataclasses import dataclass

from digest.library import PaperEntry

# The plot's box inside the SVG's viewBox (0 0 WIDTH HEIGHT): room on the left and below for the axes' words.
WIDTH, HEIGHT = 640, 380
LEFT, RIGHT, TOP, BOTTOM = 56, 608, 16, 324
INSET = 10  # the dots keep this far inside the box, so that none sits on its edge


@dataclass(frozen=True)
class Point:
    """A paper on the chart: its figures, and where it is drawn."""

    paper: PaperEntry
    met: int
    applicable: int
    points: int  # Hacker News points
    engagement: int  # engagement scores, summed
    rank: int  # 1 for the most discussed
    x: float
    y: float

    @property
    def percent(self) -> int:
        """Checks met, as a whole percentage of those that apply."""
        return round(100 * self.met / self.applicable) if self.applicable else 0


@dataclass(frozen=True)
class Chart:
    """Every scanned paper placed on the chart, the most discussed first."""

    points: list[Point]
    ticks: list[tuple[int, float]]  # percentages along the x axis, with their positions
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM


def hype_chart(papers: list[PaperEntry]) -> Chart | None:
    """The chart of papers with a scan some of whose checks apply; None for fewer than two (nothing to compare).

    Discussion is ranked, not scaled: papers on Hacker News by their points, then the rest by their
    engagement scores, so one viral paper does not flatten the others against the axis.
    """
    scanned = [(paper, paper.scan.glance) for paper in papers if paper.scan is not None and paper.scan.glance.applicable]
    if len(scanned) < 2:
        return None
    ranked = sorted(scanned, key=lambda pair: (-pair[1].points, -pair[1].engagement, pair[0].citation.title, pair[0].id))
    points = []
    for rank, (paper, glance) in enumerate(ranked, 1):
        share = glance.met / glance.applicable
        x = LEFT + share * (RIGHT - LEFT)
        y = TOP + INSET + (rank - 1) / (len(ranked) - 1) * (BOTTOM - TOP - 2 * INSET)
        points.append(Point(paper, glance.met, glance.applicable, glance.points, glance.engagement, rank, round(x, 1), round(y, 1)))
    ticks = [(percent, LEFT + percent / 100 * (RIGHT - LEFT)) for percent in (0, 25, 50, 75, 100)]
    return Chart(points, ticks)
