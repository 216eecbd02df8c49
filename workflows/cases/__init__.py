"""The case core: the step, and every operation that starts, advances or reads a case."""
