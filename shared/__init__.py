"""Shared library of the AgentCore-as-Lambda steps: validation, exact arithmetic, settings, sinks, errors."""
