"""A wave's sample: the frame with its exclusions, the plan preview, the seeded stratified draw and the release of reserve."""
