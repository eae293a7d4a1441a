import os

pytest_plugins = ["pytester"]

# The suite never reads or writes a result cache in the working directory (test_cache.py turns it on
# explicitly, in a temporary folder): every CLI run in a test verifies its claims.
os.environ["VERIFY_DERIVATIONS_NO_CACHE"] = "1"
