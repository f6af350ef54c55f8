"""Quality results: loading a wave's responses as arrays, design-based overview and trends, response rates, scorecards, exports and the HTML report."""
