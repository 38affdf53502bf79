"""Shipped data: the model catalogue and price books, styles, icons, sample characters."""
