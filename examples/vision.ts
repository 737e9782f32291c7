// Vision: ask a question about an image. Images go in a message's content as paths, bytes or data: URIs.
// Run: npx tsx examples/vision.ts [image]   (HEARTH_VLM: a vision model, default smolvlm; HEARTH_MMPROJ for a local projector)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VLM } from "hearth";

const image = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "hello.png");
const vlm = await VLM.load(process.env.HEARTH_VLM ?? "smolvlm", { mmproj: process.env.HEARTH_MMPROJ });
if (!vlm.supports.vision) throw new Error("this model has no vision projector (mmproj)");

const { text, usage } = await vlm.chat(
  [
    {
      role: "user",
      content: [
        { type: "image", image },
        { type: "text", text: "What does this image show?" },
      ],
    },
  ],
  { maxTokens: 96 },
).result;
console.log(text.trim());
console.log(`(${usage.promptTokens} prompt tokens, the image included)`);
await vlm.dispose();
