"""Config loading: typed values and one clear error per mistake."""
