"""Off the reader's path: what the core uses to run anywhere (`device`: device and precision, `checkpoint`:
atomic files and safe loads, `distributed`: torchrun) and what readers who outgrow the notebooks need
(`cli`: ``python -m googlenet``, `pretrained`: ImageNet weights, `downloads`: full Fashion-MNIST and Imagenette)."""
