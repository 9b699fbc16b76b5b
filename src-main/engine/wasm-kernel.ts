/**
 * The engine's WebAssembly kernels (backends/onnx/kernels/assemble.c, image-io/kernels/lzw.c) are embedded as base64
 * by scripts/build-kernels.mjs, so they load the same way from the sources, the build and the packaged app.
 */
export interface WasmKernel<T> {
  exports: T & { memory: WebAssembly.Memory };
  /** The first byte free for data: the module's stack and static data lie below its initial size. */
  base: number;
}

/** A loader that instantiates the module on first use, once per thread (each thread has its own instance). */
export function lazyKernel<T>(base64: string): () => WasmKernel<T> {
  let kernel: WasmKernel<T> | undefined;
  return () => {
    if (!kernel) {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64'))).exports as unknown as WasmKernel<T>['exports'];
      kernel = { exports, base: exports.memory.buffer.byteLength };
    }
    return kernel;
  };
}
