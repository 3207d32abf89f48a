"""Developer scripts that build the packaged data files (not used at run time)."""
