"""The paper's facts as data: the single place code, tests and notebooks read them from.

Transcribed from *Going deeper with convolutions* (arXiv:1409.4842v1): Table 1 row by row (printed params/ops, typos
and all), §5's auxiliary classifier, Tables 2-5, and the constants of §6 and §7. Nothing here is computed;
`googlenet.cost` recomputes what can be and sets it beside these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

ARXIV_ID = "1409.4842"
TITLE = "Going deeper with convolutions"


@dataclass(frozen=True)
class Table1Row:
    """One row of Table 1, with the printed params/ops kept as printed ("2.7K", "34M")."""
    name: str  # our identifier; also the module name in `googlenet.model.GoogLeNet`
    type: str  # "convolution", "max pool", "inception", "avg pool", "dropout", "linear", "softmax"
    output: tuple[int, int, int]  # (height, width, channels) for a 224×224 input
    depth: int
    patch: int | None = None  # patch size (k for k×k)
    stride: int | None = None
    n1x1: int | None = None
    n3x3red: int | None = None
    n3x3: int | None = None
    n5x5red: int | None = None
    n5x5: int | None = None
    pool_proj: int | None = None
    params: str | None = None  # as printed
    ops: str | None = None  # as printed
    dropout: float | None = None  # the "dropout (40%)" row

    @property
    def label(self) -> str:
        """The row's name as the paper prints it, e.g. "inception (3a)"."""
        if self.type == "inception":
            return f"inception ({self.name[-2:]})"
        if self.type == "dropout":
            return f"dropout ({round(self.dropout * 100)}%)"
        return self.type

    @property
    def inception_args(self) -> tuple[int, int, int, int, int, int]:
        """(#1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj) for an inception row."""
        if self.type != "inception":
            raise ValueError(f"第 {self.name!r} 行不是 Inception 模块（类型为 {self.type!r}）")
        return (self.n1x1, self.n3x3red, self.n3x3, self.n5x5red, self.n5x5, self.pool_proj)


def _inception(name, out, n1, r3, n3, r5, n5, pp, params, ops):
    return Table1Row(name, "inception", out, 2, None, None, n1, r3, n3, r5, n5, pp, params, ops)


# Table 1: GoogLeNet incarnation of the Inception architecture. The "convolution 3×3/1" row is
# the 1×1 reduction (64) followed by the 3×3 convolution (192), hence depth 2.
TABLE1: tuple[Table1Row, ...] = (
    Table1Row("conv1", "convolution", (112, 112, 64), 1, 7, 2, params="2.7K", ops="34M"),
    Table1Row("maxpool1", "max pool", (56, 56, 64), 0, 3, 2),
    Table1Row("conv2", "convolution", (56, 56, 192), 2, 3, 1, n3x3red=64, n3x3=192,
              params="112K", ops="360M"),
    Table1Row("maxpool2", "max pool", (28, 28, 192), 0, 3, 2),
    _inception("inception3a", (28, 28, 256), 64, 96, 128, 16, 32, 32, "159K", "128M"),
    _inception("inception3b", (28, 28, 480), 128, 128, 192, 32, 96, 64, "380K", "304M"),
    Table1Row("maxpool3", "max pool", (14, 14, 480), 0, 3, 2),
    _inception("inception4a", (14, 14, 512), 192, 96, 208, 16, 48, 64, "364K", "73M"),
    _inception("inception4b", (14, 14, 512), 160, 112, 224, 24, 64, 64, "437K", "88M"),
    _inception("inception4c", (14, 14, 512), 128, 128, 256, 24, 64, 64, "463K", "100M"),
    _inception("inception4d", (14, 14, 528), 112, 144, 288, 32, 64, 64, "580K", "119M"),
    _inception("inception4e", (14, 14, 832), 256, 160, 320, 32, 128, 128, "840K", "170M"),
    Table1Row("maxpool4", "max pool", (7, 7, 832), 0, 3, 2),
    _inception("inception5a", (7, 7, 832), 256, 160, 320, 32, 128, 128, "1072K", "54M"),
    _inception("inception5b", (7, 7, 1024), 384, 192, 384, 48, 128, 128, "1388K", "71M"),
    Table1Row("avgpool", "avg pool", (1, 1, 1024), 0, 7, 1),
    Table1Row("dropout", "dropout", (1, 1, 1024), 0, dropout=0.4),
    Table1Row("fc", "linear", (1, 1, 1000), 1, params="1000K", ops="1M"),
    Table1Row("softmax", "softmax", (1, 1, 1000), 0),
)


def table1_row(name: str) -> Table1Row:
    """The Table 1 row called `name` (e.g. "inception4a")."""
    for row in TABLE1:
        if row.name == name:
            return row
    names = ", ".join(r.name for r in TABLE1)
    raise KeyError(f"表 1 中没有名为 {name!r} 的行；可用的行：{names}")


def inception_rows() -> tuple[Table1Row, ...]:
    """The nine Inception rows, 3a to 5b, in order."""
    return tuple(r for r in TABLE1 if r.type == "inception")


INPUT_SIZE = 224  # "The size of the receptive field in our network is 224×224 taking RGB"
INPUT_CHANNELS = 3
NUM_CLASSES = 1000
DEPTH_WITH_PARAMETERS = 22  # §5: "22 layers deep when counting only layers with parameters"
DEPTH_WITH_POOLING = 27  # "(or 27 layers if we also count pooling)"
INFERENCE_BUDGET_MULTIPLY_ADDS = 1.5e9  # §1: "a computational budget of 1.5 billion multiply-adds"
FEWER_PARAMETERS_THAN_ALEXNET = 12  # §1: "12× fewer parameters than ... Krizhevsky et al [9]"

# Figure 3 has LocalRespNorm after the first max pool and after the stem's 3×3 convolution; Table 1 does not list
# them. Named by *module* (`googlenet.model.GoogLeNet`): Table 1's row "conv2" is the 1×1 reduce `conv2` and the 3×3
# `conv3`, and LRN follows the second. Hyper-parameters from the BVLC Caffe reference model (the paper gives none).
LRN_AFTER_MODULES = ("maxpool1", "conv3")
LRN = {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0}


class AuxClassifierSpec(NamedTuple):
    """§5: the extra network on the side (one on 4a, one on 4d)."""
    attached_to: tuple[str, str] = ("inception4a", "inception4d")
    pool_kernel: int = 5  # "average pooling layer with 5×5 filter size and stride 3"
    pool_stride: int = 3
    pool_output: int = 4  # "resulting in an 4×4×512 output for the (4a), and 4×4×528 for the (4d)"
    conv_channels: int = 128  # "1×1 convolution with 128 filters for dimension reduction"
    fc_units: int = 1024  # "fully connected layer with 1024 units"
    dropout: float = 0.7  # "dropout layer with 70% ratio of dropped outputs"
    loss_weight: float = 0.3  # "the losses of the auxiliary classifiers were weighted by 0.3"


AUX = AuxClassifierSpec()


class Training(NamedTuple):
    """§6 constants (what the paper states; BVLC's solver supplies what it does not)."""
    momentum: float = 0.9  # "asynchronous stochastic gradient descent with 0.9 momentum"
    lr_decay: float = 0.96  # "decreasing the learning rate by 4% every 8 epochs"
    lr_decay_every_epochs: int = 8
    crop_area: tuple[float, float] = (0.08, 1.0)  # "between 8% and 100% of the image area"
    crop_aspect: tuple[float, float] = (3 / 4, 4 / 3)  # "aspect ratio ... between 3/4 and 4/3"
    interpolations: tuple[str, ...] = ("bilinear", "area", "nearest", "bicubic")  # "equal probability"
    main_dropout: float = table1_row("dropout").dropout  # Table 1's "dropout (40%)" row
    # Not in the paper, from BVLC's quick_solver for bvlc_googlenet: base lr and weight decay.
    bvlc_base_lr: float = 0.01
    bvlc_weight_decay: float = 2e-4


TRAINING = Training()


class Testing(NamedTuple):
    """§7 test-time constants."""
    scales: tuple[int, ...] = (256, 288, 320, 352)  # shorter side of the resized image
    crop_size: int = 224
    squares: int = 3  # left/centre/right (top/centre/bottom for portrait images)
    crops_per_square: int = 6  # 4 corners + centre + the whole square resized
    mirrors: int = 2
    ensemble_size: int = 7

    @property
    def crops_per_image(self) -> int:
        return len(self.scales) * self.squares * self.crops_per_square * self.mirrors


TESTING = Testing()


class Table2Row(NamedTuple):
    team: str
    year: int
    place: str
    top5_error: float  # percent
    external_data: str


# Table 2: Classification performance
TABLE2 = (
    Table2Row("SuperVision", 2012, "1st", 16.4, "no"),
    Table2Row("SuperVision", 2012, "1st", 15.3, "Imagenet 22k"),
    Table2Row("Clarifai", 2013, "1st", 11.7, "no"),
    Table2Row("Clarifai", 2013, "1st", 11.2, "Imagenet 22k"),
    Table2Row("MSRA", 2014, "3rd", 7.35, "no"),
    Table2Row("VGG", 2014, "2nd", 7.32, "no"),
    Table2Row("GoogLeNet", 2014, "1st", 6.67, "no"),
)


class Table3Row(NamedTuple):
    models: int
    crops: int
    cost: int
    top5_error: float  # percent
    vs_base: float | None  # percentage points as printed; None for the base row


# Table 3: GoogLeNet classification performance break down
TABLE3 = (
    Table3Row(1, 1, 1, 10.07, None),
    Table3Row(1, 10, 10, 9.15, -0.92),
    Table3Row(1, 144, 144, 7.89, -2.18),
    Table3Row(7, 1, 7, 8.09, -1.98),
    Table3Row(7, 10, 70, 7.62, -2.45),
    Table3Row(7, 144, 1008, 6.67, -3.45),
)


class Table4Row(NamedTuple):
    team: str
    year: int
    place: str
    map: float  # percent
    external_data: str
    ensemble: str  # "?" where the paper prints "?"
    approach: str


# Table 4: Detection performance
TABLE4 = (
    Table4Row("UvA-Euvision", 2013, "1st", 22.6, "none", "?", "Fisher vectors"),
    Table4Row("Deep Insight", 2014, "3rd", 40.5, "ImageNet 1k", "3", "CNN"),
    Table4Row("CUHK DeepID-Net", 2014, "2nd", 40.7, "ImageNet 1k", "?", "CNN"),
    Table4Row("GoogLeNet", 2014, "1st", 43.9, "ImageNet 1k", "6", "CNN"),
)


class Table5Row(NamedTuple):
    team: str
    map: float  # percent
    contextual_model: str
    bbox_regression: str


# Table 5: Single model performance for detection
TABLE5 = (
    Table5Row("Trimps-Soushen", 31.6, "no", "?"),
    Table5Row("Berkeley Vision", 34.5, "no", "yes"),
    Table5Row("UvA-Euvision", 35.4, "?", "?"),
    Table5Row("CUHK DeepID-Net2", 37.7, "no", "?"),
    Table5Row("GoogLeNet", 38.02, "no", "no"),
    Table5Row("Deep Insight", 40.2, "yes", "yes"),
)

# §8 constants
DETECTION_IOU_THRESHOLD = 0.5  # "bounding boxes overlap by at least 50% (using the Jaccard index)"
DETECTION_ENSEMBLE_SIZE = 6
DETECTION_CLASSES = 200


class Detection(NamedTuple):
    """What §8 says about GoogLeNet's detection entry, beyond Tables 4 and 5."""
    superpixel_scale: float = 2.0  # "the superpixel size was increased by 2×"
    selective_search_fraction: float = 0.5  # "This halves the proposals coming from the selective search"
    multibox_added: int = 200  # "We added back 200 region proposals coming from multi-box"
    proposals_vs_rcnn: float = 0.60  # "in total, in about 60% of the proposals used by [6]"
    coverage_before: float = 0.92  # "while increasing the coverage from 92% to 93%"
    coverage_after: float = 0.93
    single_model_map_gain: float = 0.01  # "a 1% improvement of the mean average precision"
    single_model_map: float = 0.40  # "improves results from 40% to 43.9% accuracy"
    ensemble_map: float = 0.439
    ensemble_size: int = DETECTION_ENSEMBLE_SIZE
    bounding_box_regression: bool = False  # "we did not use bounding box regression due to lack of time"


DETECTION = Detection()


def parse_printed(value: str) -> float:
    """A printed params/ops figure as a number of units: "2.7K" → 2.7e3, "34M" → 34e6.
    The paper does not say what K means; `googlenet.cost` shows the params column matches exact counts far better
    with K = 1024 (the final linear layer's 1024×1000 = 1,024,000 weights are printed "1000K"): callers choose."""
    units = {"K": 1e3, "M": 1e6, "G": 1e9}
    if not value or value[-1] not in units:
        raise ValueError(f"无法解析表中的数值 {value!r}：应为数字加 K/M/G 后缀，例如 '2.7K'")
    return float(value[:-1]) * units[value[-1]]
