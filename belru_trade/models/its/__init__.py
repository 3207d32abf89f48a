"""Interrupted time series: design (``design``), GLM fit (``fit``), counterfactuals
(``counterfactual``) and the estimator with its results (``estimator``).
"""
