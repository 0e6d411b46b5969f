"""The machinery both local planes share: a process stands for a microVM (one per AgentCore session, one
per Lambda MicroVM), started fresh or forked from a pre-imported zygote, suspended and resumed by signal,
measured from outside (CPU, peak memory)."""

from .launch import START_MODES, Exit, Launcher, Program, SessionProcess
from .usage import Measured, from_rusage, live

__all__ = ["START_MODES", "Exit", "Launcher", "Measured", "Program", "SessionProcess", "from_rusage", "live"]
