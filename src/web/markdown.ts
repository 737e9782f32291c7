// Markdown to safe HTML: marked parses, highlight.js colours code blocks (a few common languages,
// to keep the bundle small), DOMPurify strips anything that could run script or reach another
// origin (no raw HTML survives that could, no images, no inline styles: the CSP forbids them).
import { Marked } from "marked";
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

for (const [name, lang] of Object.entries({ bash, c, cpp, css, go, javascript, json, python, rust, sql, typescript, xml, yaml }))
  hljs.registerLanguage(name, lang);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    code({ text, lang }) {
      const language = lang && hljs.getLanguage(lang) ? lang : undefined;
      const html = language ? hljs.highlight(text, { language }).value : escapeHtml(text);
      return `<pre><code class="hljs${language ? ` language-${escapeHtml(language)}` : ""}">${html}</code></pre>`;
    },
    // raw HTML in a model's answer is shown, not obeyed
    html({ text }) {
      return escapeHtml(text);
    },
  },
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false }) as string;
  return DOMPurify.sanitize(html, { FORBID_TAGS: ["img", "style", "form", "input", "iframe"], FORBID_ATTR: ["style"] });
}

/** Splits `<think>...</think>` out of an answer (an unclosed block is reasoning still streaming). */
export function splitThink(text: string): { reasoning: string; answer: string } {
  const open = text.indexOf("<think>");
  if (open < 0) return { reasoning: "", answer: text };
  const close = text.indexOf("</think>", open);
  if (close < 0) return { reasoning: text.slice(open + 7), answer: text.slice(0, open) };
  return { reasoning: text.slice(open + 7, close), answer: text.slice(0, open) + text.slice(close + 8) };
}
