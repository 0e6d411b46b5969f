"""Local tooling: the embedded AWS emulator, step servers, the demo and the stager."""
