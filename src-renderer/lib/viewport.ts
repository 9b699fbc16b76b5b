/** Zoom and pan arithmetic for the before/after viewer, in CSS pixels. Pure, so it can be tested without a DOM. */
export interface ViewState { zoom: number; x: number; y: number }

export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 32;

/** Zoom that fits an image of `w`×`h` into a viewport, never above 1 image px per device px unless the image is tiny. */
export function fitZoom(w: number, h: number, viewW: number, viewH: number): number {
  if (w <= 0 || h <= 0 || viewW <= 0 || viewH <= 0) return 1;
  return Math.min(viewW / w, viewH / h);
}

/** Offset that centres the image in the viewport at `zoom`. */
export function centred(w: number, h: number, viewW: number, viewH: number, zoom: number): ViewState {
  return { zoom, x: (viewW - w * zoom) / 2, y: (viewH - h * zoom) / 2 };
}

/** Zoom to `zoom` keeping the image point under viewport point (`px`, `py`) where it is. */
export function zoomAt(view: ViewState, zoom: number, px: number, py: number): ViewState {
  const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
  const ix = (px - view.x) / view.zoom;
  const iy = (py - view.y) / view.zoom;
  return { zoom: z, x: px - ix * z, y: py - iy * z };
}

/** Keeps at least `margin` px of the image inside the viewport so it cannot be panned out of sight. */
export function clampPan(view: ViewState, w: number, h: number, viewW: number, viewH: number, margin = 48): ViewState {
  const iw = w * view.zoom;
  const ih = h * view.zoom;
  const x = Math.min(viewW - Math.min(margin, iw), Math.max(Math.min(margin, iw) - iw, view.x));
  const y = Math.min(viewH - Math.min(margin, ih), Math.max(Math.min(margin, ih) - ih, view.y));
  return { zoom: view.zoom, x, y };
}

/**
 * The source size implied by a default (centred) crop: the API centres a crop of at most 256 px, so
 * x = floor((W - w) / 2) gives W within one pixel; an item's exact size wins when known.
 */
export function sourceSizeFromCentredCrop(region: { x: number; y: number; width: number; height: number }): { width: number; height: number } {
  return { width: region.x * 2 + region.width, height: region.y * 2 + region.height };
}

/** A region of `size` centred on source point (`cx`, `cy`), kept inside the source. */
export function regionAround(cx: number, cy: number, size: { width: number; height: number }, source: { width: number; height: number }) {
  const width = Math.min(size.width, source.width);
  const height = Math.min(size.height, source.height);
  const x = Math.round(Math.min(Math.max(0, cx - width / 2), source.width - width));
  const y = Math.round(Math.min(Math.max(0, cy - height / 2), source.height - height));
  return { x, y, width, height };
}
