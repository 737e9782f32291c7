// Opens an HTML file in headless Chromium (Debian's `chromium`) and returns the DOM after its
// scripts ran: how the tests see what a person would see in a report.
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";

export function chromiumDom(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "chromium",
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--virtual-time-budget=5000",
        "--dump-dom",
        pathToFileURL(file).href,
      ],
      { timeout: 60_000, maxBuffer: 32 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`chromium failed: ${err.message} ${stderr.slice(-500)}`)) : resolve(stdout)),
    );
  });
}

/** The attributes of every <figure> holding a chart, by chart id. */
export function chartFigures(dom: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const m of dom.matchAll(/<figure id="figure-([a-z]+)"([^>]*)>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2].matchAll(/([a-z-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    out.set(m[1], attrs);
  }
  return out;
}
