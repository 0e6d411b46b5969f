"""The commands users type, as console scripts (`[project.scripts]` in pyproject.toml): a thin layer over
the local cloud, the cost model and the steps; and the wiring of each step's local world (`worlds`)."""
