"""Claims: fees drafted from attendance, expense claims with receipts, time-credit awards; their workflow."""
