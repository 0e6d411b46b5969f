"""What the tests and the benchmarks share: step servers, loads, faults, readers of what landed, template
checks. Nothing in the product imports it (an import contract)."""
