"""KernelSolve (to be completed)."""


class KernelSolve:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("not implemented yet")
