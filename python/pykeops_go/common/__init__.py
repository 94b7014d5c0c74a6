"""Logic shared by the NumPy and torch front ends."""
