"""Bundled analyses of Belgium-Russia trade under sanctions.

Each module answers one question, imports only public names of :mod:`belru_trade`, and
exposes ``run(panel, config) -> AnalysisResult``. Modules never import each other.
"""
