"""Disputes and deductions: reason codes, routing, resolution (built by the disputes issue)."""
