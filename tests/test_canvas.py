"""Detection canvases: reproducible, annotations true to the pixels, sizes and counts as specified."""

import pytest
import torch

from googlenet.detection.canvas import Canvas, CanvasSpec, ground_truths, make_canvas, make_canvases, tight_box
from googlenet.data import ImageDataset, fashion_mnist_subset
from googlenet.detection.metrics import box_iou

CLEAN = CanvasSpec(background=0.0, noise=0.0, distractors=(0, 0))


def rectangles_dataset():
    """Ten 28×28 images, each one bright rectangle (rows 4–23, columns 10–17) of class i."""
    images = torch.zeros(10, 28, 28, dtype=torch.uint8)
    images[:, 4:24, 10:18] = 200
    return ImageDataset(images, torch.arange(10), tuple(f"类{i}" for i in range(10)))


def test_same_seed_same_canvas_and_canvases_are_addressable():
    ds = rectangles_dataset()
    a, b = make_canvas(ds, (3, 1)), make_canvas(ds, (3, 1))
    assert torch.equal(a.image, b.image) and torch.equal(a.boxes, b.boxes) and torch.equal(a.labels, b.labels)
    many = make_canvases(ds, 3, seed=3)
    assert torch.equal(many[1].image, a.image)
    assert not torch.equal(many[0].image, many[1].image)


def test_ground_truth_box_is_the_scaled_rectangle():
    ds = rectangles_dataset()
    for c in make_canvases(ds, 10, seed=0, spec=CLEAN):
        assert len(c.boxes) == len(c.labels) == len(c.sources) == len(c.frames)
        for box, frame in zip(c.boxes.tolist(), c.frames.tolist()):
            side = frame[2] - frame[0]
            # The rectangle occupies 20/28 of the height and 8/28 of the width; bilinear scaling
            # blurs each edge over about one source pixel (side / 28 canvas pixels).
            blur = side / 28 + 1
            assert box[3] - box[1] == pytest.approx(side * 20 / 28, abs=blur)
            assert box[2] - box[0] == pytest.approx(side * 8 / 28, abs=blur)
            assert frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1] and box[3] <= frame[3]


def test_bright_pixels_lie_inside_the_boxes_and_boxes_are_tight():
    ds = rectangles_dataset()
    for c in make_canvases(ds, 10, seed=1, spec=CLEAN):
        inside = torch.zeros(c.image.shape[1:], dtype=torch.bool)
        for x1, y1, x2, y2 in c.boxes.int().tolist():
            inside[y1:y2, x1:x2] = True
            region = c.image[0, y1:y2, x1:x2] > CLEAN.box_threshold
            # every edge row/column of a tight box holds a bright pixel
            assert region[0].any() and region[-1].any() and region[:, 0].any() and region[:, -1].any()
        assert not (c.image[0][~inside] > CLEAN.box_threshold).any()


def test_counts_and_sizes_follow_the_spec():
    ds = rectangles_dataset()
    spec = CanvasSpec(size=160, objects=(2, 3), object_size=(30, 50), gap=2, distractors=(1, 2))
    seen_sides = set()
    for c in make_canvases(ds, 20, seed=2, spec=spec):
        assert c.image.shape == (1, 160, 160)
        assert 0.0 <= c.image.min() and c.image.max() <= 1.0
        assert 2 <= len(c.boxes) <= 3
        sides = (c.frames[:, 2] - c.frames[:, 0]).tolist()
        assert all(30 <= s <= 50 for s in sides)
        seen_sides.update(sides)
        assert torch.equal(c.labels, ds.targets[c.sources])
        f = c.frames
        for i in range(len(f)):  # frames at least `gap` apart
            for j in range(i + 1, len(f)):
                apart = (f[i, 0] >= f[j, 2] + 2) | (f[j, 0] >= f[i, 2] + 2) | (f[i, 1] >= f[j, 3] + 2) | (f[j, 1] >= f[i, 3] + 2)
                assert apart
        if len(c.distractor_boxes):  # distractors never cover an object
            assert box_iou(c.distractor_boxes, c.boxes).max() == 0
    assert len(seen_sides) > 10  # scales really vary


def test_targets_in_torchvision_format():
    c = make_canvas(rectangles_dataset(), 0)
    t = ground_truths([c])[0]
    assert set(t) == {"boxes", "labels"} and t["boxes"].shape == (len(c.labels), 4)
    assert "个目标" in repr(c)
    assert isinstance(c, Canvas)


def test_tight_box():
    img = torch.zeros(10, 12)
    img[2:5, 3:9] = 1.0
    assert tight_box(img, 0.5) == (3, 2, 9, 5)
    assert tight_box(torch.zeros(4, 4), 0.5) is None


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 16}, "size"),
    ({"objects": (3, 2)}, "objects"),
    ({"object_size": (20, 300)}, "超过了画布边长"),
    ({"noise": 1.5}, "noise"),
])
def test_bad_spec_is_refused_in_chinese(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CanvasSpec(**kwargs)


def test_bad_arguments():
    with pytest.raises(TypeError, match="ImageDataset"):
        make_canvas([1, 2, 3], 0)
    with pytest.raises(ValueError, match="画布数"):
        make_canvases(rectangles_dataset(), -1)
    with pytest.raises(TypeError, match="CanvasSpec"):
        make_canvas(rectangles_dataset(), 0, spec={"size": 100})


def test_canvases_from_the_bundled_test_split():
    test = fashion_mnist_subset("test")
    canvases = make_canvases(test, 5, seed=0)
    for c in canvases:
        assert 1 <= len(c.boxes) <= 5
        assert torch.equal(c.labels, test.targets[c.sources])
        w, h = c.boxes[:, 2] - c.boxes[:, 0], c.boxes[:, 3] - c.boxes[:, 1]
        assert (torch.maximum(w, h) >= 20).all()  # every object's longer side nearly fills its frame
    again = make_canvases(test, 5, seed=0)
    assert all(torch.equal(a.image, b.image) for a, b in zip(canvases, again))
