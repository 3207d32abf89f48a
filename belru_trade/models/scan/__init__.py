"""Scan many series for breaks at an event: the estimator (``estimator``) and the vectorised
core (``core``).
"""
