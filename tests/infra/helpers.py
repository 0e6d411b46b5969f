"""Where the infrastructure tests find the templates and the deliberately broken fixtures."""

from __future__ import annotations

from pathlib import Path

from commands.steps import ROOT

INFRA = ROOT / "infra"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEMPLATES = sorted(INFRA.glob("*.yaml")) + sorted(INFRA.glob("*.json"))
