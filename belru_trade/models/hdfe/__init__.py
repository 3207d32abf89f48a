"""Linear and Poisson regressions with high-dimensional fixed effects.

Modules: ``formula`` (fixest-style formulas), ``absorb`` (fixed-effect projections),
``engine`` (preparation and the PPML IRLS loop), ``separation`` (PPML separation checks),
``vcov`` (covariance estimators), ``results`` (results objects), ``ppml`` and ``ols`` (the
estimators).
"""
