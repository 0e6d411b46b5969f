"""A session that shows what it keeps: step 1's a + b, plus the calls counted in memory and in a file,
the process id, and an instance id drawn once per process (or per MicroVM, by its /run hook).

The same code runs as an AgentCore runtime session and as a Lambda MicroVM. The file lives in
SESSION_STORAGE_PATH when it is set (AgentCore's managed session storage: the runtime's environment sets
it to the mount path), else in the temporary directory (the microVM's own disk). On a MicroVM the
lifecycle hooks listen on HOOKS_PORT (the image sets it to its Hooks.Port; unset, as on AgentCore, there
are none): /run draws a new instance id
and keeps the run hook payload, because every MicroVM resumes from one snapshot, so anything drawn at
import is the same in all of them; /suspend and /resume count; /terminate and the build hooks answer.
"""

import json
import os
import secrets
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.agentcore import MIDDLEWARE, endpoint
from shared.agentcore.serving import serve
from shared.core.settings import HOOKS_PORT, SESSION_STORAGE_PATH
from shared.core.validation import checked_sum

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)

COUNTER_FILE = "calls.txt"
HOOK_PREFIX = "/aws/lambda-microvms/runtime/v1/"
_lock = threading.Lock()
# Drawn at import: in a snapshot, so the same in every MicroVM until the /run hook draws its own.
_state = {
    "calls": 0,
    "instance_id": secrets.token_hex(8),
    "instance_from": "import",
    "run_payload": None,
    "suspends": 0,
    "resumes": 0,
}


def storage() -> Path:
    """Where the counter file lives: the session storage mount, else this microVM's temporary directory."""
    return Path(os.environ.get(SESSION_STORAGE_PATH) or tempfile.gettempdir())


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Return a + b with what this session has kept: calls in memory and in its file, its pid."""
    result = checked_sum(payload)
    path = storage() / COUNTER_FILE
    with _lock:
        _state["calls"] += 1
        in_file = (int(path.read_text()) if path.is_file() else 0) + 1
        path.write_text(str(in_file))
        return {
            "result": result,
            "calls_in_memory": _state["calls"],
            "calls_in_file": in_file,
            "pid": os.getpid(),
            "instance_id": _state["instance_id"],
            "instance_from": _state["instance_from"],
            "run_payload": _state["run_payload"],
            "suspends": _state["suspends"],
            "resumes": _state["resumes"],
        }


class Hooks(BaseHTTPRequestHandler):
    """The MicroVM lifecycle hooks: POST /aws/lambda-microvms/runtime/v1/<hook>, 200 when done."""

    def log_message(self, format, *args):
        return

    def do_POST(self):
        """Run the hook named by the path."""
        hook = self.path.removeprefix(HOOK_PREFIX)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        with _lock:
            if hook == "run":
                _state["instance_id"] = secrets.token_hex(8)
                _state["instance_from"] = "run hook"
                _state["run_payload"] = body.get("runHookPayload")
            elif hook in ("suspend", "resume"):
                _state[f"{hook}s"] += 1
            elif hook not in ("terminate", "ready", "validate"):
                self.send_response(404)
                self.end_headers()
                return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve_hooks():
    """Serve the hooks from a thread of their own, so they answer while the app is busy."""
    in_container = os.environ.get("DOCKER_CONTAINER") or os.path.exists("/.dockerenv")
    port = int(os.environ[HOOKS_PORT])
    server = ThreadingHTTPServer(("0.0.0.0" if in_container else "127.0.0.1", port), Hooks)  # noqa: S104
    threading.Thread(target=server.serve_forever, name="microvm-hooks", daemon=True).start()


if __name__ == "__main__":
    if os.environ.get(HOOKS_PORT):
        serve_hooks()
    serve(app)
