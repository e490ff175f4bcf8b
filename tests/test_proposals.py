"""Region proposals: connected components, superpixels, grouping, selective search, objectness windows."""

from collections import deque

import pytest
import torch

from googlenet.detection import proposals as P
from googlenet.detection.metrics import box_iou


def bfs_components(mask: torch.Tensor) -> int:
    """Reference: number of 8-connected pieces, by breadth-first search."""
    h, w = mask.shape
    seen = torch.zeros_like(mask)
    m = mask.tolist()
    count = 0
    for y in range(h):
        for x in range(w):
            if m[y][x] and not seen[y, x]:
                count += 1
                queue = deque([(y, x)])
                seen[y, x] = True
                while queue:
                    cy, cx = queue.popleft()
                    for dy in (-1, 0, 1):
                        for dx in (-1, 0, 1):
                            ny, nx = cy + dy, cx + dx
                            if 0 <= ny < h and 0 <= nx < w and m[ny][nx] and not seen[ny, nx]:
                                seen[ny, nx] = True
                                queue.append((ny, nx))
    return count


def test_connected_components_by_hand():
    mask = torch.zeros(6, 8, dtype=torch.bool)
    mask[0, 0] = mask[1, 1] = True  # diagonal neighbours: one piece (8-connectivity)
    mask[0:2, 4:7] = True  # a block
    mask[4, 2] = True  # a single pixel
    labels = P.connected_components(mask)
    assert labels[0, 0] == labels[1, 1] == 1  # numbered in reading order of first pixel
    assert (labels[0:2, 4:7] == 2).all()
    assert labels[4, 2] == 3
    assert (labels[~mask] == 0).all()
    assert P.connected_components(torch.zeros(3, 3, dtype=torch.bool)).max() == 0


def test_connected_components_on_a_spiral_and_random_masks():
    # A long snake-like path: many pixels apart from end to end, still one piece.
    spiral = torch.zeros(21, 21, dtype=torch.bool)
    spiral[1::4, 1:20] = True
    for k, row in enumerate(range(1, 18, 4)):
        spiral[row:row + 5, 19 if k % 2 == 0 else 1] = True
    assert P.connected_components(spiral).max() == 1
    g = torch.Generator().manual_seed(0)
    for density in (0.3, 0.45, 0.6):
        mask = torch.rand(30, 40, generator=g) < density
        labels = P.connected_components(mask)
        assert int(labels.max()) == bfs_components(mask)
        assert ((labels > 0) == mask).all()


def test_region_boxes_and_stats():
    labels = torch.zeros(10, 10, dtype=torch.long)
    labels[1:3, 2:6] = 1
    labels[5:9, 7] = 2
    boxes, counts = P.region_boxes(labels)
    assert boxes.tolist() == [[2, 1, 6, 3], [7, 5, 8, 9]]
    assert counts.tolist() == [8, 4]
    image = torch.zeros(10, 10)
    image[1:3, 2:6] = 0.5
    image[5:9, 7] = 1.0
    _, _, bright = P.region_stats(labels, image)
    assert bright.tolist() == pytest.approx([0.5, 1.0])


def test_superpixels_cut_a_square_along_the_grid():
    image = torch.zeros(64, 64)
    image[8:40, 8:40] = 0.8  # spans grid cells 0..2 in each direction for 16-pixel cells
    labels = P.superpixels(image, 0.4, 16, smoothing=1)
    assert int(labels.max()) == 9
    assert ((labels > 0) == (image > 0.4)).all()  # every bright pixel belongs to a superpixel
    boxes, _ = P.region_boxes(labels)
    assert (boxes[:, 2] - boxes[:, 0]).max() <= 16 and (boxes[:, 3] - boxes[:, 1]).max() <= 16
    # Twice the superpixel side: the square falls in 2×2 cells (8..32, 32..40).
    assert int(P.superpixels(image, 0.4, 32, smoothing=1).max()) == 4


def test_superpixels_drop_specks():
    image = torch.zeros(32, 32)
    image[5, 5] = 1.0
    image[10:20, 10:20] = 1.0
    labels = P.superpixels(image, 0.5, 64, smoothing=1, min_pixels=4)
    assert int(labels.max()) == 1 and labels[5, 5] == 0


def test_adjacent_pairs():
    labels = torch.tensor([[1, 1, 2, 0],
                           [0, 0, 0, 3],
                           [4, 0, 0, 0]])
    assert P.adjacent_pairs(labels) == {(0, 1), (1, 2)}  # 2–3 touch diagonally; 4 touches nothing


def test_hierarchical_grouping_merges_touching_regions_into_their_union():
    boxes = torch.tensor([[0, 0, 10, 10], [10, 0, 20, 10], [20, 0, 30, 10], [50, 50, 60, 60]], dtype=torch.float)
    sizes = torch.full((4,), 100.0)
    bright = torch.tensor([0.5, 0.5, 0.9, 0.5])
    out = P.hierarchical_grouping(boxes, sizes, bright, {(0, 1), (1, 2)}, 100.0 * 100)
    assert len(out) == 4 + 2  # K initial + one per merge; the lone region never merges
    assert out[:4].tolist() == boxes.tolist()
    # Regions 0 and 1 are alike in brightness: they merge first, then the group takes region 2.
    assert out[4].tolist() == [0, 0, 20, 10] and out[5].tolist() == [0, 0, 30, 10]


def two_objects():
    image = torch.full((96, 96), 0.05)
    image[10:40, 12:30] = 0.9
    image[50:90, 40:85] = 0.6
    image[60:70, 50:70] = 0.2  # a darker patch inside the second object
    return image, torch.tensor([[12, 10, 30, 40], [40, 50, 85, 90]], dtype=torch.float)


def test_selective_search_finds_both_objects_and_bigger_superpixels_give_fewer_proposals():
    image, gt = two_objects()
    fine = P.selective_search(image, P.SelectiveSearchSettings(thresholds=(0.15, 0.3), superpixel_size=8))
    coarse = P.selective_search(image, P.SelectiveSearchSettings(thresholds=(0.15, 0.3), superpixel_size=16))
    for props in (fine, coarse):
        assert box_iou(gt, props).max(1).values.min() > 0.9
    assert len(coarse) < 0.6 * len(fine)
    assert len(P.dedupe(fine)) == len(fine)  # already free of near-duplicates


def test_dedupe_keeps_the_first_of_duplicates():
    boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10.2], [20, 20, 30, 30]], dtype=torch.float)
    assert P.dedupe(boxes).tolist() == [[0, 0, 10, 10], [20, 20, 30, 30]]


def test_objectness_windows_find_a_lone_bright_square():
    image = torch.zeros(96, 96)
    image[30:64, 40:74] = 1.0
    windows = P.objectness_windows(image, top_k=3)
    assert len(windows) == 3
    assert box_iou(windows[:1], torch.tensor([[40.0, 30, 74, 64]])).item() > 0.7
    assert len(P.objectness_windows(image, top_k=0)) == 0


def test_propose_adds_windows():
    image, _ = two_objects()
    base = P.propose(image)
    more = P.propose(image, windows=5)
    assert len(base) < len(more) <= len(base) + 5
    assert torch.equal(more[:len(base)], base)


@pytest.mark.parametrize("call, message", [
    (lambda: P.connected_components(torch.zeros(3, 3)), "布尔"),
    (lambda: P.superpixels(torch.zeros(8, 8), 1.5), "threshold"),
    (lambda: P.superpixels(torch.zeros(8, 8), 0.5, 1), "superpixel_size"),
    (lambda: P.selective_search(torch.zeros(2, 8, 8)), "灰度"),
    (lambda: P.smooth(torch.zeros(8, 8), 0), "size"),
    (lambda: P.objectness_windows(torch.zeros(8, 8), top_k=-1), "top_k"),
])
def test_bad_input_is_refused_in_chinese(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_non_tensor_image_is_a_type_error():
    with pytest.raises(TypeError, match="torch.Tensor"):
        P.selective_search([[0.0]])
