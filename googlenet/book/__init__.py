"""What the book's chapters need around the core: figures, widgets, chapter demos, the
reproduction report, saved results and the cached book runs. The core never imports this package."""
