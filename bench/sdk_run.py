"""Serve an app with the SDK's own `app.run()`, as `python agent.py` does in a container."""

import importlib
import sys


def main() -> None:
    folder, module, port, loop, http = sys.argv[1:6]
    sys.path.insert(0, folder)
    app = importlib.import_module(module).app
    # loop/http name what uvicorn's "auto" resolves to when only bedrock-agentcore is installed.
    app.run(port=int(port), loop=loop, http=http)


if __name__ == "__main__":
    main()
