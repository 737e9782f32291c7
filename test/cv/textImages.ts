// Known text rendered into images (sharp from SVG), for reading back with OCR: several fonts and
// sizes, a photo-like one (uneven light, noise, blur, JPEG) and an upside-down one.
import sharp from "sharp";

export interface TextSample {
  name: string;
  lines: string[];
  image: Buffer;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface RenderOptions {
  font: string;
  size: number;
  width?: number;
  colour?: string;
  background?: string;
}

/** PNG of the lines, one below the other, left-aligned. */
export async function renderText(lines: string[], o: RenderOptions): Promise<Buffer> {
  const lineH = Math.round(o.size * 1.8);
  const width = o.width ?? Math.round(Math.max(...lines.map((l) => l.length)) * o.size * 0.62 + o.size * 3);
  const height = lineH * lines.length + o.size * 2;
  const texts = lines
    .map(
      (l, i) =>
        `<text x="${o.size}" y="${o.size + lineH * i + o.size}" font-family="${o.font}" font-size="${o.size}" fill="${o.colour ?? "#111"}">${escapeXml(l)}</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${o.background ?? "#fff"}"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Uneven lighting, sensor noise, a little blur and JPEG compression, as a phone photo of a page. */
export async function photoLike(png: Buffer, seed = 1): Promise<Buffer> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const out = Buffer.alloc(data.length);
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const light = 0.75 + 0.25 * (x / info.width) * (1 - y / info.height / 2); // darker at one corner
      for (let c = 0; c < 3; c++) {
        const i = (y * info.width + x) * 3 + c;
        const tint = c === 2 ? 0.92 : 1; // warm paper
        const noise = (rand() + rand() + rand() - 1.5) * 30;
        out[i] = Math.max(0, Math.min(255, Math.round(data[i] * light * tint + noise)));
      }
    }
  }
  return sharp(out, { raw: { width: info.width, height: info.height, channels: 3 } })
    .blur(0.8)
    .jpeg({ quality: 70 })
    .toBuffer();
}

export async function rotated(png: Buffer, degrees: number): Promise<Buffer> {
  return sharp(png).rotate(degrees, { background: "#ffffff" }).png().toBuffer();
}

/** The set the accuracy test reads. */
export async function textSamples(): Promise<TextSample[]> {
  const s: Array<{
    name: string;
    lines: string[];
    font: string;
    size: number;
    colour?: string;
    background?: string;
    make?: (b: Buffer) => Promise<Buffer>;
  }> = [
    {
      name: "DejaVu Sans 28px",
      font: "DejaVu Sans",
      size: 28,
      lines: ["The quick brown fox jumps over the lazy dog", "Invoice 2024-117: total 348.50 EUR"],
    },
    {
      name: "Liberation Serif 32px",
      font: "Liberation Serif",
      size: 32,
      lines: ["Models run on your own machine", "No network, no account, no upload"],
    },
    {
      name: "DejaVu Sans Mono 20px",
      font: "DejaVu Sans Mono",
      size: 20,
      lines: ["npm install hearth && hearth serve", "port 18181, threads 2, batch 512"],
    },
    {
      name: "Liberation Sans 18px",
      font: "Liberation Sans",
      size: 18,
      lines: ["Small print is harder to read than large print", "Call +1 555 0142 before 6 pm"],
    },
    { name: "DejaVu Serif 44px", font: "DejaVu Serif", size: 44, lines: ["Large Heading Text", "Chapter 7"] },
    {
      name: "Liberation Mono 24px, photo-like",
      font: "Liberation Mono",
      size: 24,
      lines: ["Receipt No. 88213", "Coffee 3.20 Bagel 2.75"],
      make: (b) => photoLike(b, 7),
    },
    {
      name: "DejaVu Sans 30px, upside down",
      font: "DejaVu Sans",
      size: 30,
      lines: ["Turned around by the classifier"],
      make: (b) => rotated(b, 180),
    },
    {
      name: "Liberation Sans 26px, tilted 4 degrees",
      font: "Liberation Sans",
      size: 26,
      lines: ["A slightly tilted scan of a page"],
      make: (b) => rotated(b, 4),
    },
    // written after the space heuristic was tuned on the samples above: a check that it generalises
    {
      name: "Liberation Sans Narrow 24px",
      font: "Liberation Sans Narrow",
      size: 24,
      lines: ["Meeting moved to Thursday at 10:30", "Room B-204, second floor"],
    },
    {
      name: "DejaVu Sans 26px, white on dark",
      font: "DejaVu Sans",
      size: 26,
      colour: "#fff",
      background: "#223",
      lines: ["White text on a dark background"],
    },
    {
      name: "Liberation Serif 22px, blue on yellow",
      font: "Liberation Serif",
      size: 22,
      colour: "#1a3fa0",
      background: "#f7e98e",
      lines: ["Blue ink on yellow paper, 50% off"],
    },
    { name: "Liberation Mono 16px", font: "Liberation Mono", size: 16, lines: ["def main(): return 42"] },
    { name: "DejaVu Sans Condensed 36px", font: "DejaVu Sans Condensed", size: 36, lines: ["Condensed type saves space"] },
    {
      name: "Liberation Serif 28px, upside down",
      font: "Liberation Serif",
      size: 28,
      lines: ["Upside down again, with numbers 1234"],
      make: (b) => rotated(b, 180),
    },
    {
      name: "DejaVu Sans 34px, photo-like sign",
      font: "DejaVu Sans",
      size: 34,
      lines: ["Noisy photo of a shop sign", "OPEN 9 AM - 5 PM"],
      make: (b) => photoLike(b, 3),
    },
    // a second unseen set, added after the spacing constants were last changed (code in a monospaced
    // font is the weak spot: the model reads 0 as θ and x as ×, and spaces around operators go)
    {
      name: "DejaVu Sans 22px, order",
      font: "DejaVu Sans",
      size: 22,
      lines: ["Order #4471 shipped on 12/03/2025", "Tracking: ZX-99812-Q"],
    },
    { name: "DejaVu Sans Mono 24px, code", font: "DejaVu Sans Mono", size: 24, lines: ["if (x > 0) { y = x * 2; }"] },
    { name: "Liberation Serif 20px", font: "Liberation Serif", size: 20, lines: ["Please sign and return by Friday."] },
    {
      name: "Liberation Sans 40px, photo-like",
      font: "Liberation Sans",
      size: 40,
      lines: ["SALE ENDS SUNDAY", "Up to 70% off selected items"],
      make: (b) => photoLike(b, 11),
    },
    { name: "DejaVu Serif 18px, contact", font: "DejaVu Serif", size: 18, lines: ["email: help@example.org, phone 020 7946 0958"] },
    {
      name: "DejaVu Sans Condensed 26px, upside down",
      font: "DejaVu Sans Condensed",
      size: 26,
      lines: ["The meeting notes are attached"],
      make: (b) => rotated(b, 180),
    },
  ];
  return Promise.all(
    s.map(async (x) => {
      const png = await renderText(x.lines, { font: x.font, size: x.size, colour: x.colour, background: x.background });
      return { name: x.name, lines: x.lines, image: x.make ? await x.make(png) : png };
    }),
  );
}

/** Levenshtein distance over characters. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = t;
    }
  }
  return prev[b.length];
}
