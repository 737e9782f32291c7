// Cuts a text box out of the image as an upright strip: the quad is mapped onto a width x height
// rectangle by bilinear interpolation of its corners (exact for the rectangles DB detection gives)
// and sampled bilinearly, edges replicated.
import type { Quad } from "../model/tasks/cv.ts";
import { quadSize } from "./geometry.ts";
import type { RgbImage } from "./rgbImage.ts";

export function cropQuad(img: RgbImage, q: Quad): RgbImage {
  const size = quadSize(q);
  const width = Math.max(1, Math.round(size.width));
  const height = Math.max(1, Math.round(size.height));
  const out = new Uint8Array(width * height * 3);
  const [tl, tr, br, bl] = q;
  const { data, width: W, height: H } = img;
  for (let y = 0; y < height; y++) {
    const v = (y + 0.5) / height;
    // left and right edges at this row
    const lx = tl[0] + (bl[0] - tl[0]) * v,
      ly = tl[1] + (bl[1] - tl[1]) * v;
    const rx = tr[0] + (br[0] - tr[0]) * v,
      ry = tr[1] + (br[1] - tr[1]) * v;
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width;
      const sx = Math.min(Math.max(lx + (rx - lx) * u - 0.5, 0), W - 1);
      const sy = Math.min(Math.max(ly + (ry - ly) * u - 0.5, 0), H - 1);
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, W - 1),
        y1 = Math.min(y0 + 1, H - 1);
      const fx = sx - x0,
        fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * W + x0) * 3 + c],
          b = data[(y0 * W + x1) * 3 + c];
        const d = data[(y1 * W + x0) * 3 + c],
          e = data[(y1 * W + x1) * 3 + c];
        out[(y * width + x) * 3 + c] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy);
      }
    }
  }
  return { data: out, width, height };
}

/** Quarter turn counter-clockwise (a tall strip of vertical text becomes a line). */
export function rotate90(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const nx = y,
        ny = w - 1 - x; // new width h, new height w
      out.set(data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3), (ny * h + nx) * 3);
    }
  }
  return { data: out, width: h, height: w };
}

/** Half turn: what the angle classifier undoes. */
export function rotate180(img: RgbImage): RgbImage {
  const { data } = img;
  const out = new Uint8Array(data.length);
  const n = data.length / 3;
  for (let i = 0; i < n; i++) out.set(data.subarray(i * 3, i * 3 + 3), (n - 1 - i) * 3);
  return { ...img, data: out };
}
