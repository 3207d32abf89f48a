"""Difference-in-differences and event studies: the estimator (``estimator``) and the
regression engine behind it (``engine``).
"""
