"""Provider clients for Eurostat (Comext, dissemination API) and UN Comtrade.

This package imports nothing from belru_trade or analyses: only the standard library,
requests and pandas.
"""
