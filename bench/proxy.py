"""Section 6: the step 5 proxy's own cost per request, with the runtime call stubbed.

To be added when step 5 lands (a small module, same shape as the other sections): build the proxy's
handler once, stub `invoke_agent_runtime` with botocore's Stubber (a StreamingBody response), and time
N calls in-process; do the same for a naive proxy that builds its clients and calls STS
GetCallerIdentity on every request (STS stubbed too, calls counted). Report the median per-request
cost (target <= 2 ms), the number of STS calls of ours (target 0) and the naive/ours ratio.
"""

from __future__ import annotations

from .context import Context
from .report import Section
from .servers import ROOT

TITLE = "6. Step 5 proxy cost per request (runtime call stubbed) vs a naive proxy"


def run(ctx: Context) -> Section:
    if not list(ROOT.glob("5_*")):
        return Section(TITLE, skipped="no 5_* step folder in this tree yet")
    return Section(
        TITLE, skipped="step 5 is present but its measurement is not wired yet (see bench/proxy.py)"
    )
