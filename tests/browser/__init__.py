# This folder is a package on purpose.  Without this file pytest would import
# tests/browser/conftest.py under the bare module name "conftest" and, when
# both folders run together (`pytest tests/integration tests/browser`), the
# integration tests' `from conftest import ...` would get this folder's
# conftest instead of their own.  As a package, this one is
# "browser.conftest" and the two never clash.
