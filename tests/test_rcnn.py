"""The R-CNN-style pipeline: square crops, batched region classification, detections, background head."""

import pytest
import torch
import torch.nn.functional as F

from googlenet import GoogLeNet
from googlenet.detection import rcnn
from googlenet.augment import eval_transform


def test_square_boxes():
    sq = rcnn.square_boxes([(10, 20, 30, 60)])  # 20 wide, 40 tall, centre (20, 40)
    assert sq.tolist() == [[0, 20, 40, 60]]
    assert rcnn.square_boxes([(10, 20, 30, 60)], context=0.25).tolist() == [[-10, 10, 50, 70]]
    with pytest.raises(ValueError, match="context"):
        rcnn.square_boxes([(0, 0, 1, 1)], context=1.5)


def test_crop_of_a_whole_object_matches_the_classifiers_evaluation_transform():
    torch.manual_seed(0)
    obj = torch.rand(1, 28, 28)
    canvas = torch.zeros(1, 100, 100)
    canvas[:, 30:58, 40:68] = obj
    crop = rcnn.crop_regions(canvas, [(40, 30, 68, 58)], 64)
    reference = eval_transform(64, 1)(obj)
    assert crop.shape == (1, 1, 64, 64)
    # roi_align averages 2×2 bilinear samples per output pixel; eval resizes bilinearly: close, not equal.
    assert (crop[0] - reference).abs().mean() < 0.1
    assert F.cosine_similarity(crop.flatten(), reference.flatten(), 0) > 0.97


def test_crop_of_a_tall_box_is_centred_in_a_square_with_black_sides():
    canvas = torch.zeros(1, 60, 60)
    canvas[:, 10:50, 25:35] = 1.0  # 10 wide, 40 tall
    crop = rcnn.crop_regions(canvas, [(25, 10, 35, 50)], 40)[0, 0]
    raw = crop * 0.3530 + 0.2860  # undo Fashion-MNIST normalisation
    assert raw[:, 18:22].mean() > 0.95  # the object in the middle columns
    assert raw[:, :10].abs().max() < 0.05 and raw[:, -10:].abs().max() < 0.05  # dark sides


def test_crop_regions_refuses_bad_input():
    with pytest.raises(ValueError, match="C×H×W"):
        rcnn.crop_regions(torch.zeros(10, 10), [(0, 0, 5, 5)], 32)
    with pytest.raises(ValueError, match="size"):
        rcnn.crop_regions(torch.zeros(1, 10, 10), [(0, 0, 5, 5)], 0)
    assert rcnn.crop_regions(torch.zeros(1, 10, 10), torch.zeros(0, 4), 32).shape == (0, 1, 32, 32)


@pytest.fixture(scope="module")
def two_models():
    torch.manual_seed(0)
    return [GoogLeNet(num_classes=10, in_channels=1, variant="torchvision", aux_logits=False).eval()
            for _ in range(2)]


def test_classify_regions_batches_across_images_and_averages_the_ensemble(two_models):
    g = torch.Generator().manual_seed(1)
    images = [torch.rand(1, 80, 80, generator=g) for _ in range(3)]
    boxes = [torch.tensor([[0, 0, 40, 40], [20, 10, 70, 50]], dtype=torch.float), torch.zeros(0, 4),
             torch.tensor([[5, 5, 75, 75]], dtype=torch.float)]
    out = rcnn.classify_regions(two_models, images, boxes, 64, batch_size=2)
    assert [len(o.boxes) for o in out] == [2, 0, 1]
    assert out[0].probs[0].shape == (2, 10) and len(out[0].features) == 2 and out[0].features[0].shape == (2, 1024)
    # Same answers one image at a time and one model at a time; the ensemble is the mean softmax.
    with torch.no_grad():
        for m_i, model in enumerate(two_models):
            alone = rcnn.classify_regions(model, images[2:], boxes[2:], 64)[0]
            assert torch.allclose(alone.features[0], out[2].features[m_i], atol=1e-4)
        crops = rcnn.crop_regions(images[0], boxes[0], 64)
        mean = sum(F.softmax(m(crops), 1) for m in two_models) / 2
        first = F.softmax(two_models[0](crops), 1)
    assert torch.allclose(out[0].mean_probs, mean, atol=1e-5)
    assert torch.allclose(rcnn.class_scores(out[0]), mean, atol=1e-5)
    assert torch.allclose(rcnn.class_scores(out[0], members=[0]), first, atol=1e-5)
    assert torch.allclose(out[0].mean_probs.sum(1), torch.ones(2))
    with pytest.raises(ValueError, match="members"):
        rcnn.class_scores(out[0], members=[2])


def test_classify_regions_refuses_bad_input(two_models):
    with pytest.raises(ValueError, match="models"):
        rcnn.classify_regions([], [torch.zeros(1, 64, 64)], [torch.zeros(0, 4)], 64)
    with pytest.raises(ValueError, match="图像数"):
        rcnn.classify_regions(two_models, [torch.zeros(1, 64, 64)], [], 64)


def test_classify_regions_of_no_images_is_an_empty_list(two_models):
    assert rcnn.classify_regions(two_models, [], [], 64) == []


def test_to_detections_scores_every_class_and_suppresses_per_class():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=torch.float)
    scores = torch.tensor([[0.7, 0.3, 0.0],
                           [0.9, 0.1, 0.0],
                           [0.005, 0.2, 0.795]])
    d = rcnn.to_detections(boxes, scores, nms_iou=0.3, min_score=0.01)
    got = sorted(zip(d["labels"].tolist(), d["boxes"].tolist(), d["scores"].tolist()), key=lambda t: -t[2])
    assert [(lab, box) for lab, box, _ in got] == [
        (0, [1, 0, 11, 10]),  # 0.9 beats the overlapping 0.7 of the same class
        (2, [50, 50, 60, 60]),
        (1, [0, 0, 10, 10]),  # class 1: 0.3 beats 0.1; its boxes do not suppress class 0's
        (1, [50, 50, 60, 60]),
    ]
    assert d["scores"].tolist() == sorted(d["scores"].tolist(), reverse=True)
    assert len(rcnn.to_detections(boxes, scores, max_per_image=2)["boxes"]) == 2
    with pytest.raises(ValueError, match="class_scores"):
        rcnn.to_detections(boxes, scores[:2])


def test_region_labels_follow_rcnn_thresholds():
    gt = torch.tensor([[0, 0, 10, 10], [50, 50, 60, 60]], dtype=torch.float)
    proposals = torch.tensor([[0, 0, 10, 6],  # IoU 0.6 with the first → its class
                              [0, 0, 10, 4],  # IoU 0.4 → neither: unused
                              [0, 0, 10, 2],  # IoU 0.2 → background
                              [100, 100, 110, 110],  # nothing → background
                              [50, 50, 60, 60]], dtype=torch.float)
    labels = rcnn.region_labels(proposals, gt, torch.tensor([3, 7]), background=10)
    assert labels.tolist() == [3, -1, 10, 10, 7]
    assert rcnn.region_labels(proposals, torch.zeros(0, 4), torch.zeros(0), background=10).tolist() == [10] * 5


def test_background_head_learns_separable_classes_and_reads_raw_features():
    g = torch.Generator().manual_seed(0)
    # 8 informative features far from zero, 8 of pure noise at a 100× larger scale: the head
    # must standardise internally and fold that into its weights to read raw features.
    centres = torch.randn(4, 8, generator=g) * 3 + 50
    labels = torch.arange(4).repeat_interleave(50)  # class 3 plays background for num_classes=3
    features = torch.cat([centres[labels] + torch.randn(200, 8, generator=g),
                          torch.randn(200, 8, generator=g) * 100], 1)
    head = rcnn.train_background_head(features, labels, num_classes=3, background_ratio=1.0)
    pred = head(features).argmax(1)
    objects = labels < 3
    assert (pred[objects] == labels[objects]).float().mean() > 0.95
    probs = head.object_probs(features)
    assert probs.shape == (200, 3)
    assert probs[labels == 3].sum(1).mean() < 0.2  # background regions get little object probability


def test_background_head_needs_both_kinds_of_regions():
    with pytest.raises(ValueError, match="背景"):
        rcnn.train_background_head(torch.randn(5, 4), torch.zeros(5, dtype=torch.long), num_classes=3)


def test_detect_with_background_heads(two_models):
    g = torch.Generator().manual_seed(2)
    images = [torch.rand(1, 80, 80, generator=g)]
    boxes = [torch.tensor([[0, 0, 40, 40], [20, 10, 70, 50]], dtype=torch.float)]
    out = rcnn.classify_regions(two_models, images, boxes, 64)
    heads = [rcnn.BackgroundHead(1024, 10) for _ in two_models]  # zero weights: uniform over 11
    scores = rcnn.class_scores(out[0], heads)
    assert torch.allclose(scores, torch.full((2, 10), 1 / 11))
    dets = rcnn.detect(out, heads, nms_iou=0.3)
    assert len(dets) == 1 and set(dets[0]) == {"boxes", "scores", "labels"}
    with pytest.raises(ValueError, match="heads"):
        rcnn.class_scores(out[0], heads[:1])
