"""Policy tools: lost trade (ex post), ex-ante simulation of measures, GE counterfactuals.

Public entry points (lazy, via ``belru_trade``): :func:`~belru_trade.policy.lost_trade.lost_trade`,
:class:`~belru_trade.policy.simulate.Measure`, :func:`~belru_trade.policy.simulate.simulate`,
:func:`~belru_trade.policy.ge.ge`.
"""
