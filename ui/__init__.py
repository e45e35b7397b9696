"""Pieces the pages share: the language catalog, formats, cached loaders, maps, charts, widgets."""
