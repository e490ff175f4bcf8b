"""IoU, the ≥ 50 % rule, precision/recall, AP, mAP and NMS on hand-computed cases."""

import math

import pytest
import torch

from googlenet import detection as det
from googlenet import paper

# Exercise 8.1 of the book: A is the ground truth, B and C two predictions (all 40×40).
A, B, C = (10, 10, 50, 50), (30, 20, 70, 60), (20, 10, 60, 50)


def test_iou_by_hand():
    assert det.iou(A, B) == pytest.approx(600 / 2600)  # 20×30 overlap, union 1600+1600−600
    assert det.iou(A, C) == pytest.approx(1200 / 2000)  # 30×40 overlap
    assert det.iou(A, A) == 1.0
    assert det.iou(A, (50, 50, 60, 60)) == 0.0  # touching corners: no area in common
    assert det.iou((0, 0, 2, 1), (1, 0, 3, 1)) == pytest.approx(1 / 3)


def test_box_iou_is_torchvision_and_agrees_with_the_definition():
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(30, 2, generator=g) * 50
    wh = torch.rand(30, 2, generator=g) * 30 + 1
    boxes = torch.cat([xy, xy + wh], 1)
    m = det.box_iou(boxes[:12], boxes)
    assert m.shape == (12, 30)
    for i in range(12):
        for j in range(30):
            assert m[i, j].item() == pytest.approx(det.iou(boxes[i].tolist(), boxes[j].tolist()), abs=1e-6)
    assert torch.allclose(m.diagonal(), torch.ones(12))


def test_box_iou_empty_and_degenerate():
    assert det.box_iou(torch.zeros(0, 4), [A]).shape == (0, 1)
    assert det.box_iou([(5, 5, 5, 5)], [(5, 5, 5, 5)]).item() == 0.0  # 0/0 becomes 0, not NaN


@pytest.mark.parametrize("bad, message", [
    ([(10, 10, 5, 20)], "右下角"),
    ([(0, 0, 1)], "N×4"),
    ([(0, 0, float("nan"), 1)], "NaN"),
])
def test_bad_boxes_are_refused_in_chinese(bad, message):
    with pytest.raises(ValueError, match=message):
        det.box_iou(bad, [A])


def test_ilsvrc_threshold_is_looser_only_for_small_boxes():
    thr = det.ilsvrc_iou_threshold([(0, 0, 10, 10), (0, 0, 40, 40), (0, 0, 200, 20)])
    assert thr[0].item() == pytest.approx(100 / 400)
    assert thr[1].item() == 0.5  # 1600 / 2500 = 0.64 > 0.5
    assert thr[2].item() == pytest.approx(min(0.5, 4000 / (210 * 30)))


def test_the_50_percent_rule_is_inclusive():
    gt = [(0, 0, 10, 10)]
    exactly_half = (0, 0, 10, 5)  # IoU 50 / 100 = 0.5
    just_under = (0, 0, 10, 4.9)
    m = det.match_detections([exactly_half, just_under], [0.9, 0.8], gt)
    assert m.best_iou.tolist() == pytest.approx([0.5, 0.49])
    assert m.is_tp.tolist() == [True, False]
    assert det.match_detections([just_under], [0.9], gt).is_tp.tolist() == [False]
    assert paper.DETECTION_IOU_THRESHOLD == 0.5


def test_duplicates_are_false_positives_and_the_higher_score_wins():
    gt = [A]
    # C overlaps A at 0.6, A itself at 1.0. Listed low score first: the higher score is matched.
    m = det.match_detections([C, A], [0.3, 0.9], gt)
    assert m.is_tp.tolist() == [False, True]
    assert m.gt_index.tolist() == [-1, 0]


def test_a_detection_takes_the_best_still_unmatched_object():
    gt = [(0, 0, 10, 10), (4, 0, 14, 10)]  # two neighbouring objects, IoU 6/14 with each other
    d1 = (1, 0, 11, 10)  # IoU 9/11 with the first, 7/13 with the second
    d2 = (2, 0, 12, 10)  # IoU 8/12 with the first, 8/12 with the second
    m = det.match_detections([d1, d2], [0.9, 0.8], gt)
    assert m.gt_index.tolist() == [0, 1]  # d2 falls back to the second object (8/12 ≥ 0.5)
    assert m.is_tp.all()


def test_match_with_no_ground_truth_or_no_detection():
    m = det.match_detections([A, B], [0.5, 0.4], torch.zeros(0, 4))
    assert m.is_tp.tolist() == [False, False] and m.gt_index.tolist() == [-1, -1]
    m = det.match_detections(torch.zeros(0, 4), [], [A])
    assert len(m.is_tp) == 0


def test_per_object_thresholds():
    gt = [(0, 0, 10, 10)]
    d = [(0, 0, 10, 3)]  # IoU 0.3: a miss at 0.5, a hit under ILSVRC's 0.25 for a 10×10 object
    assert not det.match_detections(d, [1.0], gt).is_tp.item()
    assert det.match_detections(d, [1.0], gt, det.ilsvrc_iou_threshold(gt)).is_tp.item()
    with pytest.raises(ValueError, match="逐框"):
        det.match_detections(d, [1.0], gt, torch.tensor([0.5, 0.5]))


def test_precision_recall_by_hand():
    # Exercise 8.2: 3 objects; ranked detections right, wrong, right, wrong, right.
    p, r = det.precision_recall([True, False, True, False, True], 3)
    assert p.tolist() == pytest.approx([1, 1 / 2, 2 / 3, 2 / 4, 3 / 5])
    assert r.tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    with pytest.raises(ValueError, match="num_gt"):
        det.precision_recall([True], 0)
    with pytest.raises(ValueError, match="超过"):
        det.precision_recall([True, True], 1)


def test_average_precision_by_hand():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5]
    tp = [True, False, True, False, True]
    # all-point: (1 + 2/3 + 3/5) / 3; 11-point: 4 levels at 1, 3 at 2/3, 4 at 3/5.
    assert det.average_precision(scores, tp, 3) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    assert det.average_precision(scores, tp, 3, "11-point") == pytest.approx((4 + 2 + 4 * 0.6) / 11)
    # The order given does not matter: AP sorts by score.
    perm = [4, 2, 0, 3, 1]
    assert det.average_precision([scores[i] for i in perm], [tp[i] for i in perm], 3) == \
        pytest.approx((1 + 2 / 3 + 3 / 5) / 3)


def test_average_precision_more_cases():
    assert det.average_precision([0.9, 0.8], [True, True], 2) == 1.0
    assert det.average_precision([0.9, 0.8], [False, True], 1) == pytest.approx(0.5)
    # Half the objects never detected: AP can be no more than the final recall.
    assert det.average_precision([0.9, 0.8, 0.7], [True, False, False], 2) == pytest.approx(0.5)
    # The envelope: precision at recall 1/2 is lifted from 1/2 to the 2/3 reached later.
    assert det.average_precision([3, 2, 1], [False, True, True], 2) == pytest.approx(2 / 3)
    assert det.average_precision([], [], 4) == 0.0
    with pytest.raises(ValueError, match="interpolation"):
        det.average_precision([1.0], [True], 1, "101-point")


def test_evaluate_detections_map_by_hand():
    gts = [{"boxes": [A, (100, 100, 140, 140)], "labels": [0, 1]},
           {"boxes": [(0, 0, 20, 20)], "labels": [0]}]
    dets = [
        {"boxes": [C, B, (100, 100, 140, 140)], "scores": [0.9, 0.8, 0.6], "labels": [0, 0, 1]},
        {"boxes": [(0, 0, 20, 20), (60, 60, 80, 80)], "scores": [0.7, 0.95], "labels": [0, 1]},
    ]
    ev = det.evaluate_detections(dets, gts, num_classes=3)
    # Class 0: ranked C (TP, 0.6), B (FP: 0.23), image-2 box (TP) → P 1, 1/2, 2/3 at R 1/2, 1/2, 1.
    assert ev.ap[0] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # Class 1: ranked FP (0.95, wrong image), TP (0.6) → AP = 1/2.
    assert ev.ap[1] == pytest.approx(0.5)
    assert math.isnan(ev.ap[2])  # no object of class 2: left out of the mean
    assert ev.mean_ap == pytest.approx((0.5 + 1 / 3 + 0.5) / 2)
    assert ev.num_gt == [2, 1, 0] and ev.num_detections == [3, 2, 0] and ev.num_tp == [2, 1, 0]
    assert ev.recall == 1.0
    p, r = ev.curves[0]
    assert r.tolist() == pytest.approx([0.5, 0.5, 1.0])


def test_evaluate_detections_refuses_bad_input():
    gts = [{"boxes": [A], "labels": [0]}]
    with pytest.raises(ValueError, match="图像数"):
        det.evaluate_detections([], gts, 2)
    with pytest.raises(ValueError, match="类别编号"):
        det.evaluate_detections([{"boxes": [A], "scores": [1.0], "labels": [5]}], gts, 2)
    with pytest.raises(ValueError, match="字典"):
        det.evaluate_detections([{"boxes": [A]}], gts, 2)
    with pytest.raises(ValueError, match="iou_threshold"):
        det.evaluate_detections([{"boxes": [A], "scores": [1.0], "labels": [0]}], gts, 2, iou_threshold=1.5)


def test_ilsvrc_evaluation_mode():
    gts = [{"boxes": [(0, 0, 10, 10)], "labels": [0]}]
    dets = [{"boxes": [(0, 0, 10, 3)], "scores": [1.0], "labels": [0]}]
    assert det.evaluate_detections(dets, gts, 1).mean_ap == 0.0
    assert det.evaluate_detections(dets, gts, 1, iou_threshold="ilsvrc").mean_ap == 1.0


def test_greedy_nms_by_hand():
    # Exercise 8.3: A 0.9, C 0.8, B 0.7; IoU(A,C)=0.6, IoU(A,B)≈0.23, IoU(C,B)=(30·30)/(2·1600−900).
    boxes, scores = [A, C, B], [0.9, 0.8, 0.7]
    assert det.greedy_nms(boxes, scores, 0.5).tolist() == [0, 2]
    assert det.greedy_nms(boxes, scores, 0.2).tolist() == [0]
    assert det.nms(boxes, scores, iou_threshold=0.5).tolist() == [0, 2]
    assert det.nms(boxes, scores, iou_threshold=0.2).tolist() == [0]
    # Different classes never suppress each other.
    assert det.nms(boxes, scores, labels=[0, 1, 0], iou_threshold=0.2).tolist() == [0, 1]


def test_torchvision_nms_keeps_what_the_textbook_loop_keeps():
    g = torch.Generator().manual_seed(1)
    xy = torch.rand(200, 2, generator=g) * 100
    boxes = torch.cat([xy, xy + torch.rand(200, 2, generator=g) * 40 + 5], 1)
    scores = torch.rand(200, generator=g)
    for thr in (0.3, 0.5, 0.7):
        assert det.nms(boxes, scores, iou_threshold=thr).tolist() == det.greedy_nms(boxes, scores, thr).tolist()


def test_proposal_coverage_by_hand():
    gt = [[A, (100, 100, 140, 140)], [(0, 0, 20, 20)]]
    proposals = [[C, (0, 0, 5, 5)], torch.zeros(0, 4)]
    assert det.best_overlaps(proposals, gt).tolist() == pytest.approx([0.6, 0.0, 0.0])
    assert det.proposal_coverage(proposals, gt) == pytest.approx(1 / 3)
    assert det.proposal_coverage(proposals, gt, iou_threshold=0.7) == 0.0
    with pytest.raises(ValueError, match="图像数"):
        det.proposal_coverage(proposals[:1], gt)


def test_section8_facts_are_consistent_with_the_tables():
    assert paper.DETECTION.ensemble_size == paper.DETECTION_ENSEMBLE_SIZE == 6
    googlenet_row = next(r for r in paper.TABLE4 if r.team == "GoogLeNet")
    assert googlenet_row.map == pytest.approx(paper.DETECTION.ensemble_map * 100)
    assert paper.DETECTION.coverage_after > paper.DETECTION.coverage_before
    assert not paper.DETECTION.bounding_box_regression


def test_image_true_positives_match_per_class():
    gt = {"boxes": [A, (100, 100, 140, 140)], "labels": [0, 1]}
    d = {"boxes": [C, A, (100, 100, 140, 140), (100, 100, 140, 140)], "scores": [0.9, 0.8, 0.7, 0.6],
         "labels": [0, 0, 0, 1]}
    # C takes A (0.6); A itself is then a duplicate; the third has the wrong class; the fourth is right.
    assert det.image_true_positives(d, gt).tolist() == [True, False, False, True]
