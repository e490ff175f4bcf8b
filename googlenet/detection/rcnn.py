"""An R-CNN-style detector at classroom scale (§8): proposals → crops → GoogLeNet → scores → NMS.

1. `crop_regions`: each proposal becomes the square of side max(w, h) around its centre (plus an optional
   ``context`` margin, as R-CNN's 16 pixels), resized to the classifier's input: a Fashion-MNIST object
   fills its 28×28 square along its longer side, as in training.
2. `classify_regions`: one batched pass per model gives pooled features and class probabilities; several
   models are averaged, §8's "ensemble of 6 ConvNets when classifying each region".
3. Background, which a 10-class classifier cannot say: rank by softmax *confidence*, or R-CNN's answer, a
   `BackgroundHead` over 10 + 1 classes on the frozen features, trained on proposals labelled by IoU
   (≥ 0.5: the object's class, < 0.3: background, between: unused).
4. `to_detections`: every proposal scores every class, then per-class NMS. No bounding-box regression:
   §8 had none ("due to lack of time"), and neither do we."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from ..data import normalization
from .metrics import as_boxes, box_iou, nms

BACKGROUND_IOU = 0.3  # R-CNN: proposals overlapping every object by less than this are background
POSITIVE_IOU = 0.5  # and those with IoU ≥ 0.5 with an object take its class


def square_boxes(boxes, context: float = 0.0) -> Tensor:
    """The square of side max(w, h) × (1 + 2 × context) centred on each box."""
    b = as_boxes(boxes)
    if not isinstance(context, (int, float)) or not 0 <= context < 1:
        raise ValueError(f"context（四周留出的比例）应为 [0, 1) 内的数，收到 {context!r}")
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    half = torch.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]).clamp(min=1) * (1 + 2 * context) / 2
    return torch.stack([cx - half, cy - half, cx + half, cy + half], 1)


def crop_regions(image: Tensor, boxes, size: int, context: float = 0.0) -> Tensor:
    """K×C×size×size crops of ``image`` (C×H×W in [0, 1]), normalised as the classifier's training images."""
    if not isinstance(image, Tensor) or image.dim() != 3 or not image.is_floating_point():
        raise ValueError(f"image 应为 C×H×W 的浮点张量，收到 "
                         f"{tuple(image.shape) if isinstance(image, Tensor) else type(image).__name__}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size 应为正整数（分类器的输入边长），收到 {size!r}")
    squares = square_boxes(boxes, context)
    if len(squares) == 0:
        return image.new_zeros(0, image.shape[0], size, size)
    # Bilinear crop-and-resize of all boxes at once, as in two-stage detectors; outside the canvas reads as 0.
    crops = torchvision.ops.roi_align(image[None].float(), [squares], output_size=(size, size),
                                      spatial_scale=1.0, sampling_ratio=2, aligned=True)
    mean, std = normalization(image.shape[0])
    return (crops - crops.new_tensor(mean).view(1, -1, 1, 1)) / crops.new_tensor(std).view(1, -1, 1, 1)


@dataclass
class RegionOutputs:
    """What the region classifier says about the proposals of one image."""
    boxes: Tensor  # K×4
    probs: list[Tensor]  # per model, K×C class probabilities (softmax of its own classifier)
    features: list[Tensor]  # per model, K×D pooled features

    @property
    def mean_probs(self) -> Tensor:
        """K×C: the ensemble's probabilities, the mean over the models."""
        return torch.stack(self.probs).mean(0)


def _model_outputs(model: nn.Module, x: Tensor) -> tuple[Tensor, Tensor]:
    """(pooled features N×D, logits N×C) from one forward pass of a `googlenet.GoogLeNet`."""
    feats = torch.flatten(model.features(x, until="avgpool"), 1)
    return feats, model.fc(feats)  # dropout between them is the identity in eval mode


@torch.inference_mode()
def classify_regions(models: nn.Module | Sequence[nn.Module], images: Sequence[Tensor], boxes: Sequence,
                     size: int, *, context: float = 0.0, batch_size: int = 256) -> list[RegionOutputs]:
    """One `RegionOutputs` per image: every proposal (``boxes[i]``: K_i×4 on the C×H×W canvas ``images[i]``)
    through the model(s), in batches across images. Models are put in eval mode."""
    models = [models] if isinstance(models, nn.Module) else list(models)
    if not models:
        raise ValueError("models 不能为空：至少需要一个分类器")
    if len(images) != len(boxes):
        raise ValueError(f"images 与 boxes 的图像数应相同，收到 {len(images)} 和 {len(boxes)}")
    if len(images) == 0:
        return []
    boxes = [as_boxes(b) for b in boxes]
    crops = torch.cat([crop_regions(img, b, size, context) for img, b in zip(images, boxes)])
    sizes, feats, probs = [len(b) for b in boxes], [], []
    for model in models:
        model.eval()
        outs = [_model_outputs(model, crops[i:i + batch_size]) for i in range(0, len(crops), batch_size)]
        f, logits = (torch.cat(t) for t in zip(*outs)) if outs else (torch.zeros(0, 0), torch.zeros(0, 0))
        feats.append(f.split(sizes))
        probs.append(F.softmax(logits.float(), 1).split(sizes))
    return [RegionOutputs(b, [p[i] for p in probs], [f[i] for f in feats]) for i, b in enumerate(boxes)]


def class_scores(outputs: RegionOutputs, heads: Sequence[BackgroundHead] | None = None,
                 members: Sequence[int] | None = None) -> Tensor:
    """K×C class scores of one image's regions, averaged over the chosen ensemble ``members``: each model's
    softmax confidence (no background class), or with ``heads`` (one per model) each head's object probabilities."""
    members = list(range(len(outputs.probs))) if members is None else list(members)
    if not members or any(not 0 <= m < len(outputs.probs) for m in members):
        raise ValueError(f"members 应为 0 到 {len(outputs.probs) - 1} 之间的模型编号，收到 {members}")
    if heads is not None and len(heads) != len(outputs.probs):
        raise ValueError(f"heads 应为每个模型一个，共 {len(outputs.probs)} 个，收到 {len(heads)} 个")
    if heads is None:
        return torch.stack([outputs.probs[m] for m in members]).mean(0)
    return torch.stack([heads[m].object_probs(outputs.features[m]) for m in members]).mean(0)


def detect(outputs: Sequence[RegionOutputs], heads: Sequence[BackgroundHead] | None = None,
           members: Sequence[int] | None = None, **kwargs) -> list[dict[str, Tensor]]:
    """Detections (torchvision format) for each image: `class_scores`, then `to_detections` (kwargs go there)."""
    return [to_detections(o.boxes, class_scores(o, heads, members), **kwargs) for o in outputs]


def to_detections(boxes, class_scores: Tensor, *, nms_iou: float = 0.3, min_score: float = 0.01,
                  max_per_image: int = 100) -> dict[str, Tensor]:
    """Detections in torchvision's format from per-proposal class scores (K×C): every (proposal, class)
    pair scoring ≥ ``min_score``, after per-class NMS, at most ``max_per_image``, highest scores first."""
    b = as_boxes(boxes)
    if class_scores.dim() != 2 or len(class_scores) != len(b):
        raise ValueError(f"class_scores 应为 {len(b)}×类别数 的张量，收到形状 {tuple(class_scores.shape)}")
    k, c = class_scores.shape
    scores, labels, rows = class_scores.flatten(), torch.arange(c).repeat(k), torch.arange(k).repeat_interleave(c)
    keep = scores >= min_score
    boxes_all, scores, labels = b[rows[keep]], scores[keep], labels[keep]
    kept = nms(boxes_all, scores, labels, iou_threshold=nms_iou)[:max_per_image]
    return {"boxes": boxes_all[kept], "scores": scores[kept], "labels": labels[kept]}


def region_labels(proposals, gt_boxes, gt_labels, background: int, *, positive_iou: float = POSITIVE_IOU,
                  background_iou: float = BACKGROUND_IOU) -> Tensor:
    """Training label of each proposal: the class of an object it overlaps with IoU ≥ ``positive_iou``,
    ``background`` if it overlaps every object by less than ``background_iou``, −1 (unused) otherwise."""
    p, g = as_boxes(proposals), as_boxes(gt_boxes)
    labels = torch.full((len(p),), background, dtype=torch.long)
    if len(g) == 0 or len(p) == 0:
        return labels
    best, which = box_iou(p, g).max(1)
    labels[best >= background_iou] = -1
    positive = best >= positive_iou
    labels[positive] = torch.as_tensor(gt_labels).long()[which[positive]]
    return labels


class BackgroundHead(nn.Module):
    """A linear classifier over the frozen features: ``num_classes`` objects + 1 background (the last index)."""

    def __init__(self, in_features: int, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.linear = nn.Linear(in_features, num_classes + 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, features: Tensor) -> Tensor:
        return self.linear(features)

    @torch.no_grad()
    def object_probs(self, features: Tensor) -> Tensor:
        """K×num_classes: the probability of each object class (background's share left out)."""
        return F.softmax(self(features), 1)[:, :self.num_classes]


def region_training_set(outputs: Sequence[RegionOutputs], canvases, num_classes: int) -> tuple[list[Tensor], Tensor]:
    """(features per model, labels) of all regions of training canvases, labelled by `region_labels`."""
    labels = torch.cat([region_labels(o.boxes, c.boxes, c.labels, num_classes) for o, c in zip(outputs, canvases)])
    features = [torch.cat([o.features[m] for o in outputs]) for m in range(len(outputs[0].features))]
    return features, labels


def train_background_head(features: Tensor, labels: Tensor, num_classes: int, *, background_ratio: float = 3.0,
                          weight_decay: float = 1e-3, steps: int = 100, seed: int = 0) -> BackgroundHead:
    """Fit a `BackgroundHead` (multinomial logistic regression, full-batch L-BFGS) on labelled regions.
    Regions labelled −1 are left out; background ones are subsampled (seeded) to at most ``background_ratio``
    per object region, as R-CNN's batches held 3 background windows per object."""
    if features.dim() != 2 or len(features) != len(labels):
        raise ValueError(f"features 应为 N×D、labels 应为长度 N，收到 {tuple(features.shape)} 和 {tuple(labels.shape)}")
    labels = labels.long()
    objects = torch.nonzero((labels >= 0) & (labels < num_classes)).flatten()
    background = torch.nonzero(labels == num_classes).flatten()
    if len(objects) == 0 or len(background) == 0:
        raise ValueError(f"训练背景分类头需要既有目标区域又有背景区域，收到 {len(objects)} 个目标、{len(background)} 个背景")
    n_bg = min(len(background), int(background_ratio * len(objects)))
    background = background[torch.randperm(len(background), generator=torch.Generator().manual_seed(seed))[:n_bg]]
    idx = torch.cat([objects, background])
    x, y = features[idx].float(), labels[idx]
    mean, std = x.mean(0), x.std(0).clamp(min=1e-6)
    xs = (x - mean) / std  # standardised for the fit, folded into the head afterwards
    head = BackgroundHead(x.shape[1], num_classes)
    opt = torch.optim.LBFGS(head.parameters(), lr=1, max_iter=steps, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(head(xs), y) + weight_decay * head.linear.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():  # fold the standardisation into the linear layer: the head reads raw features
        w = head.linear.weight / std
        head.linear.bias -= (w * mean).sum(1)
        head.linear.weight.copy_(w)
    return head.eval()
