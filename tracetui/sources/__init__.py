"""Find, open and follow trace sources; yield raw records in batches."""
