"""《深入卷积》的配套代码：按论文表 1 搭建的 GoogLeNet，以及全书笔记本共用的工具。

The package behind the book *深入卷积* (a companion to Szegedy et al., 2014).
Start with `googlenet.paper` (the paper's facts) and `googlenet.model` (the network).
"""

from .model import GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, NaiveInception

__version__ = "0.1.0"
REPOSITORY_URL = "https://github.com/deeper-convolutions/googlenet-book"
REPOSITORY_BRANCH = "main"

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "NaiveInception",
           "REPOSITORY_URL", "REPOSITORY_BRANCH"]
