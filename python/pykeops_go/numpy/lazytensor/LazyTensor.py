"""LazyTensor (to be completed)."""


class LazyTensor:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("not implemented yet")


class ComplexLazyTensor(LazyTensor):
    pass


def Vi(*args, **kwargs):
    return LazyTensor(*args, axis=0, **kwargs)


def Vj(*args, **kwargs):
    return LazyTensor(*args, axis=1, **kwargs)


def Pm(*args, **kwargs):
    return LazyTensor(*args, axis=2, **kwargs)
