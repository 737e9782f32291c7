// toolChoice "required" and { name }: the model must call a tool. node-llama-cpp only calls functions
// when the model starts one by itself, so for a forced call the chat wrapper's rendered state is
// changed to enter function-calling mode at once (its `noPrefixTrigger`), which injects the
// template's own call prefix; the function name and the arguments are then grammar-constrained by
// node-llama-cpp to the offered tools and their JSON schemas.
import {
  LlamaText,
  type ChatWrapper,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
} from "node-llama-cpp";
import { HearthError } from "../../errors/HearthError.ts";

export function forcingToolCall(base: ChatWrapper): ChatWrapper {
  const call = base.settings.functions?.call;
  if (!call) {
    throw new HearthError("unsupported_task", `the model's chat template (${base.wrapperName}) has no tool-call syntax`, {
      hint: 'use a model whose chat template supports tools, or toolChoice "auto"',
    });
  }
  const forced = Object.create(base) as ChatWrapper;
  forced.generateContextState = (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState => {
    const state = base.generateContextState(options);
    return {
      contextText: state.contextText,
      stopGenerationTriggers: state.stopGenerationTriggers,
      prefixTriggers: [],
      noPrefixTrigger: { type: "functionCall", inject: LlamaText(call.prefix) },
      detectFunctionCalls: true,
    };
  };
  return forced;
}
