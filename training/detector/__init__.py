"""MTCNN detector fine-tuning for maskwatch (P-Net, R-Net, O-Net in PyTorch, exported to NWHC ONNX)."""
