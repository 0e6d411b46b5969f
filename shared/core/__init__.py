"""The pure core every slice may use: sums, exact JSON and decimals, records, validation, reading settings,
errors, the Lambda context; no AWS or AgentCore SDK."""
