"""§8, detection: the Jaccard index, average precision and NMS (`metrics`), region proposals
(`proposals`), the R-CNN-style pipeline with GoogLeNet as region classifier (`rcnn`), and the
synthetic canvases of several Fashion-MNIST objects it is tried on (`canvas`).

The metrics are re-exported here: ``from googlenet import detection as det; det.box_iou(...)``.
"""

from .metrics import (INTERPOLATIONS, DetectionEvaluation, Matching, as_boxes, average_precision,
                      best_overlaps, box_iou, evaluate_detections, greedy_nms, ilsvrc_iou_threshold,
                      image_true_positives, iou, match_detections, nms, precision_recall,
                      proposal_coverage, score_order)

__all__ = ["INTERPOLATIONS", "DetectionEvaluation", "Matching", "as_boxes", "average_precision",
           "best_overlaps", "box_iou", "evaluate_detections", "greedy_nms", "ilsvrc_iou_threshold",
           "image_true_positives", "iou", "match_detections", "nms", "precision_recall",
           "proposal_coverage", "score_order"]
