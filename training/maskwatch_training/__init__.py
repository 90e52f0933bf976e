"""Training, evaluation and ONNX export for maskwatch's SR network and mask classifier."""
