"""Optional features for readers who outgrow one CPU: multi-process training under torchrun
(`distributed`), ImageNet weights (`pretrained`), full-dataset downloads (`downloads`)."""
