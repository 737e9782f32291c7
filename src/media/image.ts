// Image preparation for vision models: decode, orient by EXIF, shrink to a longest side, re-encode
// as PNG. Oversized images are refused from their header, before any pixel is decoded.
import sharp, { type Metadata } from "sharp";
import { HearthError } from "../errors/HearthError.ts";

export interface ImageLimits {
  /** longest side after resizing, in pixels; smaller images are not enlarged (default 1024) */
  maxLength?: number;
  /** refuse images with more pixels than this (default 100 megapixels) */
  maxPixels?: number;
}

export interface PreparedImage {
  /** PNG bytes */
  data: Uint8Array;
  mimeType: "image/png";
  width: number;
  height: number;
  /** size before resizing */
  sourceWidth: number;
  sourceHeight: number;
}

export const DEFAULT_IMAGE_MAX_LENGTH = 1024;
export const DEFAULT_IMAGE_MAX_PIXELS = 100_000_000;

/** The one error for bytes that are no readable image. */
export function unreadableImage(cause: unknown): HearthError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new HearthError("unsupported_media", `cannot read the image: ${why}`, {
    hint: "give a valid PNG, JPEG, WebP, GIF, TIFF or AVIF file",
    cause,
  });
}

/**
 * Reads an image's header and refuses it when it is empty, unreadable or over the pixel limit.
 * metadata() reads the header only, so a 20000x20000 image costs nothing to refuse.
 */
export async function checkImageHeader(bytes: Uint8Array, maxPixels: number): Promise<Metadata & { width: number; height: number }> {
  if (bytes.length === 0) throw unreadableImage("the file is empty");
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw unreadableImage(e);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (!w || !h) throw unreadableImage("no image dimensions in the header");
  if (w * h > maxPixels) {
    throw new HearthError(
      "unsupported_media",
      `the image is ${w}x${h} (${((w * h) / 1e6).toFixed(0)} megapixels), more than the limit of ${(maxPixels / 1e6).toFixed(0)} megapixels`,
      { hint: "downscale it first" },
    );
  }
  return { ...meta, width: w, height: h };
}

export async function prepareImage(bytes: Uint8Array, limits: ImageLimits = {}): Promise<PreparedImage> {
  const maxLength = limits.maxLength ?? DEFAULT_IMAGE_MAX_LENGTH;
  const maxPixels = limits.maxPixels ?? DEFAULT_IMAGE_MAX_PIXELS;
  const meta = await checkImageHeader(bytes, maxPixels);
  const w = meta.width;
  const h = meta.height;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: "error" })
      .rotate() // apply the EXIF orientation
      .resize({ width: maxLength, height: maxLength, fit: "inside", withoutEnlargement: true })
      .removeAlpha()
      .png()
      .toBuffer({ resolveWithObject: true });
    // EXIF orientations 5-8 swap the sides
    const swapped = (meta.orientation ?? 1) >= 5;
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      mimeType: "image/png",
      width: info.width,
      height: info.height,
      sourceWidth: swapped ? h : w,
      sourceHeight: swapped ? w : h,
    };
  } catch (e) {
    throw unreadableImage(e);
  }
}
