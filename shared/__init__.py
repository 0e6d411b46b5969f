"""The library every step stands on, in three layers; a lower layer never imports a higher one.

- `shared.core`: pure Python: sums, exact JSON and decimals, records, settings, the job model.
- `shared.aws`: boto3 clients, one error translation, DynamoDB helpers, sink writers, the job store,
  Bedrock's settings and errors, the AgentCore runtime client (no AgentCore SDK).
- `shared.agentcore`: the AgentCore SDK glue: entrypoint wrapper, middleware, jobs runner, Lambda adapter.

The layering is an import contract (`[tool.importlinter]` in pyproject.toml), checked by `make lint`.
"""
