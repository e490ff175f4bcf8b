"""The book's figures, one module per notebook, with Chinese labels that render everywhere (also in
Colab: `use_chinese_font` registers the CJK font shipped by `mplfonts`). Every function returns a
matplotlib Figure. Notebooks call them as ``plots.<name>``."""

from ._style import CJK_FONT, use_chinese_font
from .compute import plot_budget
from .filters import show_filters, show_maps
from .sparse import plot_widening, plot_sparse_timings
from .inception import plot_stacking, plot_reduction_savings, plot_reduce_sweep, plot_variance_kept
from .training import plot_training_curves, plot_ablation, plot_lr_schedules, show_image_grid, plot_runs
from .multicrop import (plot_top5, plot_crop_grid, plot_crop_boxes, plot_crop_probs, plot_table2,
                        plot_cost_vs_error)
from .detection import (plot_iou, plot_precision_recall, show_detections, show_selective_search,
                        show_region_crops)
