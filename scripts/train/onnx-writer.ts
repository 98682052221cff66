/**
 * The ONNX writer the training scripts use. It lives in src/platform/onnx so that the
 * sentence-encoder conversion, which runs inside the server too, can share it.
 */
export * from '../../src/platform/onnx/onnx-writer';
