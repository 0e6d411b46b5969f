"""`python -m local_cloud.apigw`: a handler behind the local API Gateway, in this process."""

import sys

from .process import main

sys.exit(main())
