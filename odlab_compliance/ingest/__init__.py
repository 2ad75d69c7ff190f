"""Reading the official sources and the publishers: fetch, parse, match."""
