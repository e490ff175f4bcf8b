"""The first cell of every notebook: installs this package, but only inside Google Colab (which
fetches only the .ipynb; locally `make setup` has installed it). Kept here once, and checked against
every notebook and `_config.yml` by tests/test_notebooks_meta.py; tagged so the book does not show it."""

from .. import REPOSITORY_BRANCH, REPOSITORY_URL

INSTALL_SPEC = f"googlenet-book @ git+{REPOSITORY_URL}@{REPOSITORY_BRANCH}"
INSTALL_CELL = f'''# 只在 Google Colab 中执行：安装本书的 googlenet 包（本地运行时这一格什么也不做）。
import sys

if "google.colab" in sys.modules:
    %pip install -q "{INSTALL_SPEC}"'''

INSTALL_CELL_TAGS = ["remove-cell"]
