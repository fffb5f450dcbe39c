#!/usr/bin/env python3
"""A deterministic synthetic archive of N papers in digest's content format.

    python benchmarks/generate.py --papers 2000 --out /tmp/archive-2000

writes `content/` (site.yaml, one edition of 8 notes every six weeks, an about page) and `scans/`
(one scan per paper, shaped like a real scan-v4 file, about 30 KB each, with varied text lengths).
The same N and seed always give the same bytes. `hugo_site()` and `pelican_site()` write the same
archive for Hugo and Pelican, with the same text on each page, for `run.py --compare`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

PER_EDITION = 8
CADENCE = dt.timedelta(weeks=6)
FIRST_EDITION = dt.date(1900, 1, 4)
WORDS = [
    "model",
    "models",
    "training",
    "fine-tuning",
    "alignment",
    "evaluation",
    "benchmark",
    "dataset",
    "datasets",
    "reward",
    "policy",
    "agents",
    "agent",
    "language",
    "transformer",
    "attention",
    "circuit",
    "circuits",
    "feature",
    "features",
    "sparse",
    "probe",
    "probes",
    "representation",
    "layer",
    "layers",
    "safety",
    "harmful",
    "refusal",
    "jailbreak",
    "robust",
    "robustness",
    "adversarial",
    "attack",
    "defence",
    "classifier",
    "classifiers",
    "judge",
    "judges",
    "scaling",
    "compute",
    "tokens",
    "parameters",
    "loss",
    "gradient",
    "optimisation",
    "generalisation",
    "memorisation",
    "grokking",
    "emergent",
    "behaviour",
    "behaviours",
    "capability",
    "capabilities",
    "reasoning",
    "chain",
    "thought",
    "planning",
    "tool",
    "tools",
    "code",
    "data",
    "human",
    "humans",
    "study",
    "studies",
    "survey",
    "participants",
    "annotators",
    "labels",
    "accuracy",
    "precision",
    "recall",
    "baseline",
    "baselines",
    "ablation",
    "ablations",
    "seed",
    "seeds",
    "variance",
    "interval",
    "intervals",
    "effect",
    "size",
    "significance",
    "hypothesis",
    "results",
    "result",
    "finding",
    "findings",
    "claim",
    "claims",
    "evidence",
    "method",
    "methods",
    "approach",
    "approaches",
    "experiment",
    "experiments",
    "setting",
    "settings",
    "domain",
    "domains",
    "transfer",
    "distribution",
    "shift",
    "contamination",
    "leakage",
    "cutoff",
    "prompt",
    "prompts",
    "prompting",
    "system",
    "interpretability",
    "mechanistic",
    "steering",
    "direction",
    "directions",
    "vector",
    "vectors",
    "persona",
    "personas",
    "deception",
    "honesty",
    "oversight",
    "monitoring",
    "red-teaming",
    "audit",
    "audits",
    "governance",
    "policy",
    "economics",
    "labour",
    "market",
    "creators",
    "images",
    "diffusion",
    "generator",
    "generators",
    "video",
    "speech",
    "vision",
    "multimodal",
    "retrieval",
    "memory",
    "context",
    "window",
    "long",
    "short",
    "small",
    "large",
    "frontier",
    "open",
    "closed",
    "weights",
    "release",
    "released",
    "public",
    "private",
    "internal",
    "external",
    "synthetic",
    "real",
    "narrow",
    "broad",
    "general",
    "specific",
    "strong",
    "weak",
    "moderate",
    "clear",
    "unclear",
    "surprising",
    "expected",
    "novel",
    "prior",
    "recent",
    "careful",
    "limited",
    "partial",
    "full",
    "complete",
    "consistent",
    "inconsistent",
    "stable",
    "unstable",
    "noisy",
    "clean",
    "simple",
    "complex",
]
TAGS = [
    "alignment",
    "fine-tuning",
    "interpretability",
    "evaluation",
    "benchmarks",
    "safety",
    "jailbreaks",
    "scaling",
    "reasoning",
    "agents",
    "economics",
    "measurement",
    "robustness",
    "deception",
    "oversight",
    "data",
    "training",
    "theory",
    "surveys",
    "policy",
    "multimodal",
    "retrieval",
    "generalization",
    "memorization",
    "red-teaming",
    "honesty",
    "steering",
    "sparse-autoencoders",
    "reward-models",
    "rlhf",
    "compute",
    "labour",
    "creativity",
    "contamination",
    "statistics",
    "human-studies",
    "open-weights",
    "tool-use",
    "long-context",
    "privacy",
]
METHODS = [
    "empirical",
    "observational",
    "case-study",
    "experimental",
    "benchmark",
    "simulation",
    "survey",
    "theoretical",
    "qualitative",
    "mixed-methods",
    "ablation",
    "replication",
]
GENERAL = {
    "claims_and_evidence": [
        "abstract_claims_supported",
        "causal_claims_justified",
        "generalization_bounded",
        "alternative_explanations_discussed",
        "proxy_outcome_distinction",
    ],
    "limitations_and_scope": ["limitations_section_present", "threats_to_validity_specific", "scope_boundaries_stated"],
    "conflicts_of_interest": ["funding_disclosed", "affiliations_disclosed", "funder_independent_of_outcome", "financial_interests_declared"],
    "scope_and_framing": ["key_terms_defined", "intended_contribution_clear", "engagement_with_prior_work"],
}
EMPIRICAL = {
    "artifacts": ["code_released", "data_released", "environment_specified", "reproduction_instructions"],
    "statistical_methodology": [
        "confidence_intervals_or_error_bars",
        "significance_tests",
        "effect_sizes_reported",
        "sample_size_justified",
        "variance_reported",
    ],
    "evaluation_design": [
        "baselines_included",
        "baselines_contemporary",
        "ablation_study",
        "multiple_metrics",
        "human_evaluation",
        "held_out_test_set",
        "per_category_breakdown",
        "failure_cases_discussed",
        "negative_results_reported",
    ],
    "setup_transparency": [
        "model_versions_specified",
        "prompts_provided",
        "hyperparameters_reported",
        "scaffolding_described",
        "data_preprocessing_documented",
    ],
    "data_integrity": ["raw_data_available", "data_collection_described", "recruitment_methods_described", "data_pipeline_documented"],
    "contamination": ["training_cutoff_stated", "train_test_overlap_discussed", "benchmark_contamination_addressed"],
    "human_studies": [
        "pre_registered",
        "irb_or_ethics_approval",
        "demographics_reported",
        "inclusion_exclusion_criteria",
        "randomization_described",
        "blinding_described",
        "attrition_reported",
    ],
    "cost_and_practicality": ["inference_cost_reported", "compute_budget_stated"],
    "experimental_rigor": [
        "seed_sensitivity_reported",
        "number_of_runs_stated",
        "hyperparameter_search_budget",
        "best_config_selection_justified",
        "multiple_comparison_correction",
        "self_comparison_bias_addressed",
        "compute_budget_vs_performance",
        "benchmark_construct_validity",
        "scaffold_confound_addressed",
    ],
}
THEORETICAL = {
    "proofs": ["assumptions_stated", "proofs_complete", "bounds_tight", "notation_defined"],
    "connection_to_practice": ["empirical_check", "limitations_of_assumptions", "practical_implications_stated"],
}
ENGAGEMENT = ["practical_relevance", "surprise_contrarian", "fear_safety", "famous_authors", "controversy", "accessibility"]
FIRST_NAMES = [
    "Ana",
    "Bo",
    "Chen",
    "Dana",
    "Eli",
    "Farah",
    "Gus",
    "Hana",
    "Ines",
    "Jon",
    "Kai",
    "Lena",
    "Mo",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Vik",
    "Wen",
    "Xia",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abe",
    "Baker",
    "Cruz",
    "Diaz",
    "Evans",
    "Fox",
    "Garcia",
    "Hill",
    "Ito",
    "Jones",
    "Kim",
    "Lopez",
    "Meyer",
    "Novak",
    "Ortiz",
    "Park",
    "Quint",
    "Rossi",
    "Singh",
    "Tanaka",
    "Ueda",
    "Voss",
    "Wu",
    "Xu",
    "Young",
    "Zhou",
]
SUPPORT = ["strong", "supported", "moderate", "weak", "unsupported"]


class Text:
    """Seeded sentences and paragraphs from a fixed vocabulary."""

    def __init__(self, rng: random.Random) -> None:
        """Pre-make a pool of sentences so that a 300 MB archive is quick to write."""
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(4000)]

    def _sentence(self) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(8, 24))]
        if self.rng.random() < 0.3:
            words.insert(self.rng.randrange(len(words)), f"{self.rng.randint(2, 99)}%")
        return " ".join(words).capitalize() + "."

    def chars(self, low: int, high: int) -> str:
        """Whole sentences adding up to between low and about high characters."""
        target = self.rng.randint(low, high)
        parts: list[str] = []
        size = 0
        while size < target:
            sentence = self.rng.choice(self.sentences)
            parts.append(sentence)
            size += len(sentence) + 1
        return " ".join(parts)

    def words(self, count: int) -> str:
        """About count words, as sentences."""
        return self.chars(count * 6, count * 7)

    def title(self) -> str:
        """A paper title."""
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(5, 11))]
        return " ".join(words).capitalize()


@dataclass
class Paper:
    """One synthetic paper: its id, record, tags, and the scan and note texts."""

    number: int
    id: str
    title: str
    authors: list[str]
    year: int
    tags: list[str]
    headline: str
    scan: dict[str, object] = field(default_factory=dict)
    note: str = ""


@dataclass
class Edition:
    """One synthetic edition: date, intro and its papers."""

    date: dt.date
    number: int
    intro: str
    papers: list[Paper]


@dataclass
class Archive:
    """The whole synthetic archive."""

    editions: list[Edition]
    about: str

    @property
    def papers(self) -> list[Paper]:
        """Every paper, in edition order."""
        return [p for e in self.editions for p in e.papers]


def check_item(text: Text, rng: random.Random) -> dict[str, object]:
    """One checklist answer with a justification of varied length."""
    applies = rng.random() < 0.8
    return {
        "applies": applies,
        "answer": (rng.random() < 0.6) if applies else None,
        "justification": text.chars(40, 300),
        "source": rng.choice(["opus", "sonnet", "gpt"]),
    }


def make_scan(paper: Paper, titles: list[str], text: Text, rng: random.Random) -> dict[str, object]:
    """A scan shaped like scan-v4.example.json, about 30 KB."""
    theoretical = rng.random() < 0.15
    type_groups = THEORETICAL if theoretical else EMPIRICAL
    paper_type = "theoretical" if theoretical else "empirical"
    return {
        "scan_version": 4,
        "paper_type": paper_type,
        "paper": {
            "title": paper.title,
            "authors": paper.authors,
            "year": paper.year,
            "venue": rng.choice(["arXiv", "ICLR", "NeurIPS", "ICML", "ACL"]),
            "arxiv_id": paper.id,
            "doi": None,
        },
        "checklist": {group: {item: check_item(text, rng) for item in items} for group, items in GENERAL.items()},
        "type_checklist": {paper_type: {group: {item: check_item(text, rng) for item in items} for group, items in type_groups.items()}},
        "claims": [
            {"claim": text.chars(80, 300), "evidence": text.chars(60, 300), "supported": rng.choice(SUPPORT)} for _ in range(rng.randint(4, 10))
        ],
        "methodology_tags": rng.sample(METHODS, rng.randint(1, 3)),
        "key_findings": text.chars(400, 1400),
        "red_flags": [{"flag": text.chars(20, 80), "detail": text.chars(100, 400)} for _ in range(rng.randint(1, 8))],
        "cited_papers": [
            {"title": rng.choice(titles) if titles and rng.random() < 0.3 else text.title(), "relevance": text.chars(80, 300)}
            for _ in range(rng.randint(4, 12))
        ],
        "engagement_factors": {
            name: {"score": rng.randint(0, 3), "justification": text.chars(80, 320)} for name in rng.sample(ENGAGEMENT, rng.randint(3, 6))
        },
        "hn_data": hn_data(rng),
    }


def hn_data(rng: random.Random) -> dict[str, object]:
    """Some papers were discussed on Hacker News."""
    if rng.random() < 0.6:
        return {"threads": [], "top_points": 0, "total_points": 0, "total_comments": 0}
    threads = [
        {
            "id": rng.randint(10_000_000, 45_000_000),
            "title": f"Thread {n}",
            "points": rng.randint(1, 900),
            "num_comments": rng.randint(0, 400),
            "created_at": "2026-01-01T00:00:00Z",
        }
        for n in range(rng.randint(1, 3))
    ]
    points = [int(str(t["points"])) for t in threads]
    return {
        "threads": threads,
        "top_points": max(points),
        "total_points": sum(points),
        "total_comments": sum(int(str(t["num_comments"])) for t in threads),
    }


def make_note(text: Text, rng: random.Random) -> str:
    """About 300 words in the house style: the two paragraphs, a list, a closing paragraph."""
    items = "\n".join(f"- **{rng.choice(WORDS).capitalize()}:** {text.words(15)}" for _ in range(rng.randint(3, 4)))
    return (
        f"**What happened:** {text.words(90)}\n\n**What's interesting:** {text.words(80)}\n\n"
        f"{items}\n\n{text.words(60)} Read the paper [on arXiv](https://arxiv.org/abs/).\n"
    )


def make_archive(papers: int, seed: int = 1) -> Archive:
    """The archive of N papers: ceil(N / 8) editions six weeks apart; the same N and seed give the same archive."""
    rng = random.Random(seed)
    text = Text(rng)
    editions: list[Edition] = []
    titles: list[str] = []
    made = 0
    number = 0
    while made < papers:
        number += 1
        date = FIRST_EDITION + CADENCE * (number - 1)
        batch: list[Paper] = []
        for _ in range(min(PER_EDITION, papers - made)):
            made += 1
            authors = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 6))]
            paper = Paper(
                made,
                f"{2000 + made // 99999 % 100:04d}.{made % 99999:05d}",
                f"{text.title()} ({made})",
                authors,
                date.year,
                rng.sample(TAGS, rng.randint(1, 3)),
                text.title(),
            )
            paper.scan = make_scan(paper, titles, text, rng)
            paper.note = make_note(text, rng).replace("https://arxiv.org/abs/)", f"https://arxiv.org/abs/{paper.id})")
            titles.append(paper.title)
            batch.append(paper)
        editions.append(Edition(date, number, f"{text.words(80)}\n\n{text.words(40)}\n", batch))
    return Archive(editions, f"# About\n\n{text.words(150)}\n")


SITE_YAML = """title: Synthetic Digest
description: A synthetic archive for benchmarking digest.
base_url: https://bench.example.org/
language: en
author: {name: The Bench Editors, email: bench@example.org}
cadence_weeks: 6
"""


def digest_site(archive: Archive, root: Path) -> None:
    """Write content/ and scans/ in digest's format."""
    content, scans = root / "content", root / "scans"
    (content / "pages").mkdir(parents=True, exist_ok=True)
    scans.mkdir(parents=True, exist_ok=True)
    (content / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    (content / "pages" / "about.md").write_text(f"---\ntitle: About\n---\n{archive.about}", encoding="utf-8")
    for edition in archive.editions:
        folder = content / "editions" / edition.date.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.md").write_text(
            f'---\ntitle: "Edition {edition.number}: {edition.papers[0].headline}"\n---\n{edition.intro}', encoding="utf-8"
        )
        for position, paper in enumerate(edition.papers, start=1):
            front = f'---\nheadline: "{paper.headline}"\nscan: "{paper.id}"\ntags: [{", ".join(paper.tags)}]\n---\n'
            (folder / f"{position:02d}-paper-{paper.number}.md").write_text(front + paper.note, encoding="utf-8")
            (scans / f"{paper.id}.json").write_text(json.dumps(paper.scan, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def scan_markdown(scan: dict[str, object]) -> str:
    """The full scan as Markdown, for Hugo and Pelican: the same text volume as digest's paper page."""
    lines: list[str] = [f"## The scan\n\n{scan['paper_type']}\n\n### Key findings\n\n{scan['key_findings']}\n\n### Claims\n"]
    lines += [f"- **{c['supported']}** {c['claim']} {c['evidence']}" for c in scan["claims"]]  # type: ignore[attr-defined]
    lines.append("\n### Red flags\n")
    lines += [f"- **{f['flag']}**: {f['detail']}" for f in scan["red_flags"]]  # type: ignore[attr-defined]
    lines.append("\n### Rigor checklist\n")
    groups = list(scan["checklist"].items()) + [g for t in scan["type_checklist"].values() for g in t.items()]  # type: ignore[attr-defined]
    for name, items in groups:
        lines.append(f"\n#### {name}\n")
        lines += [
            f"- **{item}** ({'met' if v['answer'] else 'not met' if v['applies'] else 'n/a'}): {v['justification']}" for item, v in items.items()
        ]
    lines.append("\n### Papers it builds on\n")
    lines += [f"- *{c['title']}*: {c['relevance']}" for c in scan["cited_papers"]]  # type: ignore[attr-defined]
    lines.append("\n### Why people discuss it\n")
    lines += [f"- {name} ({f['score']} of 3): {f['justification']}" for name, f in scan["engagement_factors"].items()]  # type: ignore[attr-defined]
    return "\n".join(lines) + "\n"


def card_markdown(scan: dict[str, object]) -> str:
    """The compact scan card as Markdown, for the edition pages of Hugo and Pelican."""
    claims = "\n".join(f"- {c['supported']}: {c['claim']}" for c in scan["claims"])  # type: ignore[attr-defined]
    flags = "\n".join(f"- {f['flag']}" for f in scan["red_flags"])  # type: ignore[attr-defined]
    return f"\n> {scan['paper_type']}\n\n{claims}\n\n{flags}\n"


def edition_markdown(edition: Edition) -> str:
    """An edition's page text: the intro, then each note with its card."""
    parts = [edition.intro]
    for paper in edition.papers:
        parts.append(
            f"\n## {paper.headline}\n\n*{paper.title}* · {', '.join(paper.authors)} · {paper.year}\n\n{paper.note}{card_markdown(paper.scan)}"
        )
    return "\n".join(parts)


HUGO_CONFIG = """baseURL = "https://bench.example.org/"
buildFuture = true  # large archives run past today; digest and Pelican build every date
title = "Synthetic Digest"
languageCode = "en"
disableKinds = []
[taxonomies]
  tag = "tags"
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML", "RSS"]
  taxonomy = ["HTML", "RSS"]
  term = ["HTML", "RSS"]
[services.rss]
  limit = 20  # the same feed length as digest's default feed_limit
"""
HUGO_BASEOF = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .Permalink }}">{{ end }}
</head><body><header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a>
<nav><a href="{{ "/editions/" | relURL }}">Editions</a> <a href="{{ "/papers/" | relURL }}">Papers</a> <a href="{{ "/tags/" | relURL }}">Tags</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main><footer>{{ .Site.Title }}</footer></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1>{{ .Content }}
{{ with .Params.tags }}<p>{{ range . }}<a href="{{ (printf "/tags/%s/" (. | urlize)) | relURL }}">{{ . }}</a> {{ end }}</p>{{ end }}
{{ with .Site.RegularPages.Related . | first 4 }}<ul>{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
</article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary | plainify | truncate 120 }}</li>{{ end }}</ul>{{ end }}
"""
HUGO_HOME = """{{ define "main" }}{{ with index (where .Site.RegularPages "Section" "editions") 0 }}<article><h1>{{ .Title }}</h1>{{ .Content }}</article>{{ end }}
<ul>{{ range where .Site.RegularPages "Section" "editions" }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
"""


def hugo_site(archive: Archive, root: Path) -> None:
    """The same archive as a Hugo site: edition and paper pages, tag pages, RSS feeds, minimal layouts."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "content" / "editions").mkdir(parents=True)
    (root / "content" / "papers").mkdir(parents=True)
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (root / "layouts" / "_default" / "baseof.html").write_text(HUGO_BASEOF, encoding="utf-8")
    (root / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (root / "layouts" / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    (root / "layouts" / "index.html").write_text(HUGO_HOME, encoding="utf-8")
    (root / "content" / "about.md").write_text(f"---\ntitle: About\n---\n{archive.about}", encoding="utf-8")
    for edition in archive.editions:
        front = f'---\ntitle: "Edition {edition.number}: {edition.papers[0].headline}"\ndate: {edition.date.isoformat()}\n---\n'
        (root / "content" / "editions" / f"{edition.date.isoformat()}.md").write_text(front + edition_markdown(edition), encoding="utf-8")
        for paper in edition.papers:
            tags = ", ".join(f'"{t}"' for t in paper.tags)
            front = f'---\ntitle: "{paper.headline}"\ndate: {edition.date.isoformat()}\ntags: [{tags}]\n---\n'
            body = f"*{paper.title}* · {', '.join(paper.authors)}\n\n{paper.note}\n{scan_markdown(paper.scan)}"
            (root / "content" / "papers" / f"{paper.id.replace('.', '-')}.md").write_text(front + body, encoding="utf-8")


PELICAN_CONF = """AUTHOR = "The Bench Editors"
SITENAME = "Synthetic Digest"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
FEED_DOMAIN = "https://bench.example.org"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/{slug}.tag.atom.xml"
DEFAULT_PAGINATION = False
RELATIVE_URLS = True
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
LOAD_CONTENT_CACHE = False
FEED_MAX_ITEMS = 20  # the same feed length as digest's default feed_limit
"""


def pelican_site(archive: Archive, root: Path) -> None:
    """The same archive as a Pelican project: editions and papers as articles, tags, RSS and Atom feeds."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "content" / "pages").mkdir(parents=True)
    (root / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
    (root / "content" / "pages" / "about.md").write_text(f"Title: About\n\n{archive.about}", encoding="utf-8")
    for edition in archive.editions:
        head = f"Title: Edition {edition.number}: {edition.papers[0].headline}\nDate: {edition.date.isoformat()}\nCategory: editions\n"
        (root / "content" / f"edition-{edition.date.isoformat()}.md").write_text(
            f"{head}Slug: {edition.date.isoformat()}\n\n" + edition_markdown(edition), encoding="utf-8"
        )
        for paper in edition.papers:
            head = (
                f"Title: {paper.headline}\nDate: {edition.date.isoformat()}\nCategory: papers\nTags: {', '.join(paper.tags)}\n"
                f"Slug: {paper.id.replace('.', '-')}\n\n"
            )
            body = f"*{paper.title}* · {', '.join(paper.authors)}\n\n{paper.note}\n{scan_markdown(paper.scan)}"
            (root / "content" / f"paper-{paper.id}.md").write_text(head + body, encoding="utf-8")


def main() -> None:
    """Write an archive for digest (and, with --hugo / --pelican, for the other tools)."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--papers", type=int, default=200, help="number of papers (default: 200)")
    args.add_argument("--seed", type=int, default=1)
    args.add_argument("--out", type=Path, required=True, help="folder to write content/ and scans/ into (replaced)")
    args.add_argument("--hugo", type=Path, help="also write the archive as a Hugo site here")
    args.add_argument("--pelican", type=Path, help="also write the archive as a Pelican project here")
    options = args.parse_args()
    archive = make_archive(options.papers, options.seed)
    shutil.rmtree(options.out, ignore_errors=True)
    digest_site(archive, options.out)
    if options.hugo:
        hugo_site(archive, options.hugo)
    if options.pelican:
        pelican_site(archive, options.pelican)
    print(f"wrote {options.papers} papers in {len(archive.editions)} editions to {options.out}")


if __name__ == "__main__":
    main()
