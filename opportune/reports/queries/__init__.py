"""One query module per report (SQL aggregation over the rows the user may see)."""
