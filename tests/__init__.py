"""netverify tests; shared builders live in tests/builders.py."""
