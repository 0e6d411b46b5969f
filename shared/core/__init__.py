"""The pure core: sums, exact JSON and decimals, records, settings, the job model; no AWS or AgentCore SDK."""
