"""The first cell of every notebook: installs this package, but only inside Google Colab.

Colab fetches only the .ipynb, so the notebook must install `googlenet` itself; locally the
package is already installed (`make setup`) and the cell does nothing. The cell's text is
kept here, once; tests/test_notebooks_meta.py checks that every notebook starts with it and
that its URL agrees with `_config.yml`. The cell is tagged `remove-cell`, so the rendered
book does not show it.
"""

from .. import REPOSITORY_BRANCH, REPOSITORY_URL

INSTALL_SPEC = f"googlenet-book @ git+{REPOSITORY_URL}@{REPOSITORY_BRANCH}"

INSTALL_CELL = f'''# 只在 Google Colab 中执行：安装本书的 googlenet 包（本地运行时这一格什么也不做）。
import sys

if "google.colab" in sys.modules:
    %pip install -q "{INSTALL_SPEC}"'''

INSTALL_CELL_TAGS = ["remove-cell"]
