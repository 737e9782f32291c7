// A stream whose result is trimmed at the end (node-llama-cpp's JSON grammars ask for it) must not
// stream that whitespace either: it is held back until more text follows, and dropped if none does.

/** Wraps `emit` so that whitespace at the end of the text so far waits for the text after it. */
export function holdTrailingWhitespace(emit: (piece: string) => void): (piece: string) => void {
  let held = "";
  return (piece) => {
    const text = held + piece;
    const end = text.trimEnd().length;
    held = text.slice(end);
    if (end > 0) emit(text.slice(0, end));
  };
}
