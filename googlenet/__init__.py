"""《深入卷积》的配套代码：按论文表 1 搭建的 GoogLeNet，以及全书笔记本共用的工具。

The package behind the book *深入卷积* (a companion to Szegedy et al., 2014). A reader who
opens the folder finds the paper's GoogLeNet in the flat core, each file one concept, readable
top to bottom; everything else sits in subpackages the core never imports.

The core (the paper, §1-§7):

* `googlenet.paper`: the paper's facts as data (Table 1's rows, Tables 2-5, §5-§7 constants).
* `googlenet.model`: ``ConvBlock``, ``NaiveInception`` (Fig. 2a), ``Inception`` (Fig. 2b),
  ``InceptionAux`` (§5), ``GoogLeNet`` (Table 1; ``heads()``, ``intermediates()``, ``features()``).
* `googlenet.cost`: parameters and multiply-adds per layer; the Table 1 report (``table1_report``).
* `googlenet.data`: the bundled Fashion-MNIST subset (``fashion_mnist_subset``), ``ImageDataset``,
  ``Relabelled``, ``first_per_class``, ``normalization``.
* `googlenet.augment`: §6's training transforms (``train_transform``, ``eval_transform``).
* `googlenet.recipe`: §6's recipe (``TrainConfig``, ``lr_factor``, ``loss_terms``, ``polyak_average``).
* `googlenet.train`: the training loop (``train``), ``evaluate``, ``load_run``, ``load_model``,
  ``evaluate_checkpoint``.
* `googlenet.multicrop`: §7's 1/10/144 views (``crop_layout``, ``views``, ``batch_views``) and their
  evaluation (``evaluate``, ``crop_probabilities``, ``combined_probs``).
* `googlenet.book.stats`: paired tests for the book's own findings (``paired_changes``, ``mcnemar_p``).
* Small helpers: `googlenet.extras.device` (device, precision "auto" by measurement, autocast),
  `googlenet.extras.checkpoint` (atomic files, safe loads), `googlenet.tables` (CJK-aligned text tables).
* ``python -m googlenet``: ``table1``, ``figures``, ``train``, ``evaluate`` (`googlenet.__main__`).

Subpackages:

* `googlenet.detection`: §8 (IoU, AP, NMS in ``metrics``; ``proposals``; ``rcnn``; ``canvas``).
* `googlenet.book`: what the chapters need around the core: figures (``plots``, ``diagrams``),
  ``widgets``, chapter demos (``budget``, ``sparse``, ``reduction``, ``filters``, ``projection``,
  ``walkthrough``, ``images``), our Table 3 (``table3``), the reproduction ``report``, the
  committed ``experiments`` results, saved ``results``, the cached book ``runs`` and their
  shipped fp16 weights (``book_models/``), the Colab install cell (``colab``).
* `googlenet.extras`: for readers who outgrow one CPU: ``distributed`` (torchrun),
  ``pretrained`` (ImageNet weights), ``downloads`` (full Fashion-MNIST, Imagenette).

Authoring tools (notebook skeletons, handouts, runtimes, regenerating the subset) live in
``tools/`` in the repository and are not installed.
"""

from .model import GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, NaiveInception

__version__ = "0.1.0"
REPOSITORY_URL = "https://github.com/deeper-convolutions/googlenet-book"
REPOSITORY_BRANCH = "main"

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "NaiveInception",
           "REPOSITORY_URL", "REPOSITORY_BRANCH"]
