"""Read a counted IR: stats, summary rows, diff, structure, catalog, feature taps."""
