// YOLO-style letterbox: scale the image to fit a square (or w x h) input keeping its aspect, pad
// the rest with grey 114, and map boxes back to source pixels.
import sharp from "sharp";
import type { RgbImage } from "./rgbImage.ts";
import type { Box } from "./nms.ts";

export interface Letterboxed {
  image: RgbImage;
  scale: number;
  padX: number;
  padY: number;
}

export async function letterbox(img: RgbImage, width: number, height: number): Promise<Letterboxed> {
  const scale = Math.min(width / img.width, height / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const padX = Math.floor((width - w) / 2);
  const padY = Math.floor((height - h) / 2);
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: "fill", kernel: "linear" })
    .extend({ left: padX, right: width - w - padX, top: padY, bottom: height - h - padY, background: { r: 114, g: 114, b: 114 } })
    .raw()
    .toBuffer();
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height }, scale, padX, padY };
}

/** A box in letterboxed input pixels back to source pixels, clipped to the image. */
export function unletterbox(b: Box, lb: Letterboxed, srcW: number, srcH: number): Box {
  const fx = (x: number) => Math.min(Math.max((x - lb.padX) / lb.scale, 0), srcW);
  const fy = (y: number) => Math.min(Math.max((y - lb.padY) / lb.scale, 0), srcH);
  return [fx(b[0]), fy(b[1]), fx(b[2]), fy(b[3])];
}
