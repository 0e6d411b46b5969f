"""`microvms-local`: serve the local Lambda MicroVMs plane.

microvms-local --image step1=1_compute_without_model [--port 8082] [--time-scale 60]

boto3 and the AWS CLI reach it with AWS_ENDPOINT_URL_LAMBDA_MICROVMS=http://127.0.0.1:<port>; each MicroVM
answers on its own endpoint (`127.0.0.1:<port>`, plain HTTP) with a token of CreateMicrovmAuthToken.
"""

from __future__ import annotations

import argparse
import sys

from local_cloud.microvms import ImageSpec, MicroVmsLocal, Settings
from local_cloud.processes import START_MODES

from .errors import fail
from .foreground import positive_number, serve_foreground
from .steps import app_folder
from .worlds import step_image

DEFAULT_PORT = 8082


def _parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="microvms-local",
        description="A local Lambda MicroVMs plane: one process per MicroVM, each behind its own endpoint.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--image", action="append", default=[], metavar="NAME=STEP_FOLDER",
        help="serve STEP_FOLDER/agent.py as arn:aws:lambda:<region>:123456789012:microvm-image:NAME "
        "(with STEP_FOLDER/template.yaml's MicroVM image definition, if any)",
    )  # fmt: skip
    parser.add_argument(
        "--time-scale", type=positive_number, default=defaults.time_scale, metavar="N",
        help="divide every idle policy duration, maximum duration and hook timeout by N "
        "(maxIdleDurationSeconds=60 with --time-scale 60: about 1 s)",
    )  # fmt: skip
    parser.add_argument(
        "--token-time-scale", type=positive_number, default=defaults.token_time_scale, metavar="N",
        help="divide token lifetimes (expirationInMinutes) by N",
    )  # fmt: skip
    parser.add_argument(
        "--start-mode", choices=START_MODES, default=defaults.start_mode,
        help="fork (default): each MicroVM forked from its image's pre-imported zygote, as a snapshot "
        "restores; spawn: a fresh interpreter each",
    )  # fmt: skip
    parser.add_argument(
        "--stop-grace",
        type=positive_number,
        default=defaults.stop_grace,
        metavar="S",
        help="SIGTERM, then SIGKILL",
    )
    return parser


def _image(flag: str) -> ImageSpec:
    try:
        name, path = app_folder(flag, "--image")
        return step_image(name, path)
    except ValueError as exc:
        raise SystemExit(fail(str(exc))) from None


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM terminate every MicroVM first)."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    images = [_image(flag) for flag in args.image]
    plane = MicroVmsLocal(
        images,
        port=args.port,
        time_scale=args.time_scale,
        token_time_scale=args.token_time_scale,
        start_mode=args.start_mode,
        stop_grace=args.stop_grace,
    )

    def lines() -> list[str]:
        shown = []
        for image in images:
            hooks = ", ".join(image.hooks.timeouts) if image.hooks else "no hooks"
            shown.append(f"  image {image.arn} <- {image.folder} ({hooks}; {image.memory_mib} MiB)")
        return [*shown, f"Lambda MicroVMs plane at {plane.endpoint_url}"]

    return serve_foreground(plane, args.port, lines)


if __name__ == "__main__":
    raise SystemExit(main())
