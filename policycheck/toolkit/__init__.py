"""The legal team's toolkit: a policy rendered for lawyers; what an amendment changes."""
