"""§8, detection: IoU, AP and NMS (`metrics`, re-exported here: ``det.box_iou(...)``), region proposals
(`proposals`), the R-CNN-style pipeline with GoogLeNet as region classifier (`rcnn`) and the synthetic
canvases of Fashion-MNIST objects it is tried on (`canvas`)."""

from .metrics import (INTERPOLATIONS, DetectionEvaluation, Matching, as_boxes, average_precision,
                      best_overlaps, box_iou, evaluate_detections, greedy_nms, ilsvrc_iou_threshold,
                      image_true_positives, iou, match_detections, nms, precision_recall,
                      proposal_coverage, score_order)

__all__ = ["INTERPOLATIONS", "DetectionEvaluation", "Matching", "as_boxes", "average_precision",
           "best_overlaps", "box_iou", "evaluate_detections", "greedy_nms", "ilsvrc_iou_threshold",
           "image_true_positives", "iou", "match_detections", "nms", "precision_recall",
           "proposal_coverage", "score_order"]
