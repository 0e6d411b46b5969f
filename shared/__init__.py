"""The library the steps stand on, in slices a step takes alone.

- `shared.core`: pure Python every slice may use: sums, exact JSON and decimals, records, validation,
  reading settings, the error types, the Lambda context.
- `shared.aws`: the AWS base: boto3 clients built once, one error translation, DynamoDB attribute values.
- `shared.agentcore`: the AgentCore glue every step takes: entrypoint wrapper, middleware, serving.
- features, each in its own folder: `shared.sinks` (steps 2-4), `shared.jobs` (step 4's async jobs),
  `shared.runtime` (calling AgentCore Runtime), `shared.apigw` (step 5's front), `shared.model` (step 0).

`make stage STEP=...` copies only the modules a step imports. The slices and their purity are import
contracts (`[tool.importlinter]` in pyproject.toml), checked by `make lint`.
"""
