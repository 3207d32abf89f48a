"""Trade data: the tidy panel schema and its helpers (``panel``), product sectors (``products``)."""
