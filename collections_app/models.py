"""The collector's workflow (queue, activities, promises, dunning) — built by later issues."""
