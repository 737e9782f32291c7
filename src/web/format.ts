// Numbers as people read them.
export function bytes(n: number | undefined): string {
  if (n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export const ms = (n: number | null | undefined) => (n == null ? "" : n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);

export const perSec = (n: number | null | undefined) => (n == null ? "" : `${n >= 100 ? Math.round(n) : n.toFixed(1)} tok/s`);

/** Model types that chat (the composer's models). */
export const CHAT_TYPES = new Set(["llm", "vlm"]);
