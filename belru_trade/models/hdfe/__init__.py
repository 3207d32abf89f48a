"""Linear and Poisson regressions with high-dimensional fixed effects.

Modules: ``formula`` (fixest-style formulas), ``absorb`` (fixed-effect projections),
``_kernels`` (their compiled loops and those of the IRLS step),
``prepare`` (formula and data to arrays), ``projection`` (partialled columns, weighted least
squares), ``collinearity`` (absorbed and collinear regressors), ``irls`` (the PPML IRLS
loop), ``separation`` (PPML separation checks),
``vcov`` (covariance estimators), ``results`` (results objects), ``ppml`` and ``ols`` (the
estimators).
"""
