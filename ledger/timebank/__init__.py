"""The time bank: credits earned by giving time, spent at partner organisations or given to others."""
