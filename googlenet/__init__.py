"""《深入卷积》的配套代码：按论文表 1 搭建的 GoogLeNet，以及全书笔记本共用的工具。

The flat core is the paper's GoogLeNet, one concept per file, each readable top to bottom:

* `paper`: the paper's facts as data (Table 1's rows, Tables 2-5, §5-§7 constants).
* `model`: ``ConvBlock``, ``NaiveInception`` (Fig. 2a), ``Inception`` (Fig. 2b), ``InceptionAux``
  (§5), ``GoogLeNet`` (Table 1; ``heads()``, ``intermediates()``, ``features()``).
* `cost`: parameters and multiply-adds per layer, ``network_depth``, ``table1_report``.
* `data`: the bundled Fashion-MNIST subset (``fashion_mnist_subset``), ``ImageDataset``,
  ``Relabelled``, ``first_per_class``, ``normalization``.
* `augment`: §6's image sampling (``train_transform``, ``eval_transform``).
* `recipe`: §6's recipe (``TrainConfig``, ``lr_factor``, ``loss_terms``, ``polyak_average``).
* `train`: the loop (``train``), ``evaluate``, ``load_run``, ``load_model``.
* `crops`: §7's 1/10/144 views (``crop_layout``, ``views``, ``batch_views``, ``distinct_views``).
* `multicrop`: evaluating with them (``evaluate``, ``combine``, ``topk_error``).
* `tables`: CJK-aligned text tables (``format_table``).

Subpackages, which the core never imports (except `extras` for device, checkpoints and torchrun):

* `detection`: §8 (``metrics``: IoU, AP, NMS; ``proposals``; ``rcnn``; ``canvas``).
* `book`: what the chapters need around the core: figures (``plots``, ``diagrams``), ``widgets``,
  chapter demos (``budget``, ``sparse``, ``reduction``, ``filters``, ``projection``,
  ``walkthrough``, ``images``), our Table 3 (``table3``), paired tests (``stats``), the
  reproduction ``report``, committed ``experiments``, saved ``results``, the cached book ``runs``
  and their shipped weights, the Colab install cell (``colab``).
* `extras`: off the reader's path: ``device`` (precision "auto" by measurement), ``checkpoint``,
  ``distributed`` (torchrun), ``cli`` (``python -m googlenet table1|figures|train|evaluate``),
  ``pretrained`` (ImageNet weights), ``downloads`` (full Fashion-MNIST, Imagenette).

Authoring tools (handouts, runtimes, regenerating the subset) live in ``tools/``, not installed.
"""

from .model import GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, NaiveInception

__version__ = "0.1.0"
REPOSITORY_URL = "https://github.com/deeper-convolutions/googlenet-book"
REPOSITORY_BRANCH = "main"

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "NaiveInception",
           "REPOSITORY_URL", "REPOSITORY_BRANCH"]
