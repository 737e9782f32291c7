// One face over the two chat classes the CLI drives: LLM (text) and VLM (text with images and
// audio, when --mmproj names a projector). The REPL and the batch runner only see ChatModel.
import { LLM } from "../../sdk/LLM.ts";
import { VLM } from "../../sdk/VLM.ts";
import type { ChatMessage } from "../../model/tasks/text.ts";
import type { GenerateOptions, GenerationStream, LoadModelOptions, ModelHandleInfo } from "../../sdk/types.ts";
import type { ConversationMessage } from "./conversation.ts";
import { extractMediaPaths, type MediaReference } from "./media.ts";

export interface ChatModel {
  readonly info: ModelHandleInfo;
  /** "vlm" models read image and audio paths typed into a prompt */
  readonly multimodal: boolean;
  chat(messages: ConversationMessage[], options: GenerateOptions): GenerationStream;
  /** A typed line as message content: media paths become parts on a multimodal model. */
  userContent(text: string): ConversationMessage["content"];
  /** The media files a typed line names (always none for a text model). */
  mediaIn(text: string): MediaReference[];
  dispose(): Promise<void>;
}

export async function openChatModel(ref: string, options: LoadModelOptions & { mmproj?: string }): Promise<ChatModel> {
  if (options.mmproj) {
    // llama.node prints its own [INFO] lines on stdout (no switch turns them off): a runner
    // process keeps them off ours, and shows them on stderr under --verbose
    const vlm = await VLM.load(ref, { ...options, isolate: true });
    return {
      info: vlm.info,
      multimodal: true,
      chat: (messages, o) => vlm.chat(messages, o),
      userContent: (text) => {
        const e = extractMediaPaths(text);
        return e.media.length > 0 ? e.parts : text;
      },
      mediaIn: (text) => extractMediaPaths(text).media,
      dispose: () => vlm.dispose(),
    };
  }
  const { mmproj: _mmproj, ...loadOptions } = options;
  const llm = await LLM.load(ref, loadOptions);
  return {
    info: llm.info,
    multimodal: false,
    // a text model's conversation holds only strings (userContent never makes parts)
    chat: (messages, o) => llm.chat(messages as ChatMessage[], o),
    userContent: (text) => text,
    mediaIn: () => [],
    dispose: () => llm.dispose(),
  };
}
