"""The legal team's toolkit: a policy rendered for lawyers, and what an amendment changes."""
