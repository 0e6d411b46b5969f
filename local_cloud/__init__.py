"""The local cloud: stand-ins for the AWS services the project runs on, on loopback, without Docker.

- `local_cloud.aws`: the embedded AWS (moto's server in-process) and its patches.
- `local_cloud.agentcore`: the AgentCore Runtime data plane (a process per session).
- `local_cloud.apigw`: API Gateway (REST, Lambda proxy) in front of a handler.
- `local_cloud.processes`: the process machinery the planes share (spawn or fork, suspend, usage).

It never imports the commands, the test harness, the benchmarks or the tests (an import contract).
"""
