"""Counterfactuals from comparison units (``comparative``: comparative ITS and synthetic
control, with ``lost()``) and the resampling over time behind their intervals
(``resampling``: moving blocks, AR(1) simulation), and several flows bootstrapped jointly
for shares and contrasts (``joint``).
"""
