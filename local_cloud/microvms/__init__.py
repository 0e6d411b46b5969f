"""A local Lambda MicroVMs plane: one process per MicroVM, each behind its own endpoint, with the service's
states, idle policy, maximum duration, lifecycle hooks and tokens.

In the moto split: `models` (MicroVMs and their lifecycle: the state), `responses` (the wire handlers of
the seven runtime operations, in botocore's format from `wire`), `developer_api` (the /_local/ views),
`plane` (MicroVmsLocal, which serves them) and `endpoint` (each MicroVM's own endpoint); `images` (what it
serves: step folders and their image definitions), `inputs` (the operations' checks), `tokens`, `hooks`,
`usage` (what a MicroVM used and would cost).
"""

from .images import Hooks, ImageSpec, folder_image
from .models import STATES, Settings
from .plane import ENDPOINT_VARIABLE, MicroVmsLocal
from .wire import AUTH_HEADER, PORT_HEADER, image_arn

__all__ = [
    "AUTH_HEADER",
    "ENDPOINT_VARIABLE",
    "PORT_HEADER",
    "STATES",
    "Hooks",
    "ImageSpec",
    "MicroVmsLocal",
    "Settings",
    "folder_image",
    "image_arn",
]
