// Decoded images as raw RGB pixels, the form pre-processing works on. Images are flattened onto
// white (a transparent PNG's hidden pixels are often black, which reads as ink) and turned upright
// by EXIF. Oversized images are refused from the header, before any pixel is decoded, with the
// same limit as the rest of hearth's image handling.
import sharp from "sharp";
import { DEFAULT_IMAGE_MAX_PIXELS, checkImageHeader, unreadableImage } from "../media/image.ts";

export interface RgbImage {
  /** width * height * 3 bytes, row-major RGB */
  data: Uint8Array;
  width: number;
  height: number;
}

export async function decodeRgb(bytes: Uint8Array, maxPixels = DEFAULT_IMAGE_MAX_PIXELS): Promise<RgbImage> {
  await checkImageHeader(bytes, maxPixels);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: "error" })
      .rotate()
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw unreadableImage(e);
  }
}

/** Resizes raw RGB to exactly width x height (bilinear through sharp). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: "fill", kernel: "linear" })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/**
 * Planar float tensor data [3, h, w] from RGB: (v / 255 - mean) / std per channel, in `order`
 * ("bgr" for models trained on OpenCV-loaded images such as PaddleOCR).
 */
export function toChw(
  img: RgbImage,
  mean: [number, number, number],
  std: [number, number, number],
  order: "rgb" | "bgr" = "rgb",
  out?: Float32Array,
  outWidth = img.width,
): Float32Array {
  const { width: w, height: h, data } = img;
  const plane = h * outWidth;
  const t = out ?? new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const src = order === "bgr" ? 2 - c : c;
    const scale = 1 / (255 * std[c]);
    const shift = mean[c] / std[c];
    for (let y = 0; y < h; y++) {
      const row = c * plane + y * outWidth;
      for (let x = 0; x < w; x++) t[row + x] = data[(y * w + x) * 3 + src] * scale - shift;
    }
  }
  return t;
}

/** The image inside margins (pixels per side), filled with the median colour of its border. */
export async function padRgb(img: RgbImage, m: { top: number; right: number; bottom: number; left: number }): Promise<RgbImage> {
  if (!m.top && !m.right && !m.bottom && !m.left) return img;
  const { width: w, height: h, data } = img;
  const border: number[][] = [[], [], []];
  const take = (x: number, y: number) => {
    for (let c = 0; c < 3; c++) border[c].push(data[(y * w + x) * 3 + c]);
  };
  for (let x = 0; x < w; x++) {
    take(x, 0);
    take(x, h - 1);
  }
  for (let y = 0; y < h; y++) {
    take(0, y);
    take(w - 1, y);
  }
  const [r, g, b] = border.map((v) => v.sort((p, q) => p - q)[Math.floor(v.length / 2)]);
  const out = await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .extend({ ...m, background: { r, g, b } })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), width: w + m.left + m.right, height: h + m.top + m.bottom };
}
