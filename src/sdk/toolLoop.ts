// The tool loop agent toolkits run: generate; if the model called tools, run each call's `execute`,
// append the calls and their results to the conversation, and generate again, until the model
// answers without a call, a tool has no `execute` (the caller takes over), or maxSteps is reached.
import type { ChatMessage, GenerationResult, ToolCall } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { isStandardSchema, type TypedSchema } from "./schema.ts";
import type { GenerateOptions, GenerationStream, Tool, ToolCallOutcome, ToolLoopOptions, ToolLoopResult, ToolStep } from "./types.ts";

type Chat = (messages: ChatMessage[], options: GenerateOptions) => GenerationStream;

export async function runToolLoop(chat: Chat, messages: ChatMessage[], options: ToolLoopOptions): Promise<ToolLoopResult> {
  const { tools, maxSteps = 5, toolChoice, ...rest } = options;
  if (!Array.isArray(tools) || tools.length === 0)
    throw new HearthError("bad_input", "runTools needs tools", { hint: "pass tools: [tool({ name, parameters, execute })]" });
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new HearthError("bad_input", `maxSteps must be a whole number of at least 1 (got ${maxSteps})`);
  const byName = new Map(tools.map((t) => [t.name, t]));
  const history = [...messages];
  const steps: ToolStep[] = [];
  const totalUsage = { promptTokens: 0, completionTokens: 0 };
  for (let step = 0; step < maxSteps; step++) {
    const choice = typeof toolChoice === "function" ? toolChoice(step) : toolChoice;
    const result = await chat(history, { ...rest, tools, toolChoice: choice }).result;
    totalUsage.promptTokens += result.usage.promptTokens;
    totalUsage.completionTokens += result.usage.completionTokens;
    const calls = result.toolCalls ?? [];
    const runnable = calls.length > 0 && calls.every((c) => typeof byName.get(c.name)?.execute === "function");
    const toolResults = runnable ? await Promise.all(calls.map((c) => runCall(byName.get(c.name)!, c, options.signal))) : [];
    steps.push({ result, toolResults });
    if (calls.length > 0) history.push({ role: "assistant", content: result.text, toolCalls: calls });
    else history.push({ role: "assistant", content: result.text });
    if (!runnable) break;
    for (const r of toolResults) history.push({ role: "tool", toolCallId: r.call.id, name: r.call.name, content: toolMessage(r) });
    if (options.signal?.aborted) break;
  }
  const last: GenerationResult = steps[steps.length - 1].result;
  return { ...last, steps, messages: history, totalUsage };
}

async function runCall(tool: Tool, call: ToolCall, signal?: AbortSignal): Promise<ToolCallOutcome> {
  let args: unknown;
  try {
    args = call.arguments ? JSON.parse(call.arguments) : {};
  } catch {
    return { call, error: `the arguments are not JSON: ${call.arguments}` };
  }
  if (isStandardSchema(tool.parameters)) {
    const checked = await (tool.parameters as TypedSchema)["~standard"].validate(args);
    if (checked.issues) return { call, args, error: `invalid arguments: ${checked.issues.map((i) => i.message).join("; ")}` };
    args = checked.value;
  }
  try {
    return { call, args, output: await tool.execute!(args as never, { callId: call.id, signal }) };
  } catch (e) {
    return { call, args, error: e instanceof Error ? e.message : String(e) };
  }
}

function toolMessage(r: ToolCallOutcome): string {
  if (r.error !== undefined) return JSON.stringify({ error: r.error });
  return typeof r.output === "string" ? r.output : JSON.stringify(r.output ?? null);
}

/** Declares a tool with its argument type inferred from `parameters` (a Standard Schema such as Zod). */
export function tool<S extends TypedSchema | Record<string, unknown>>(definition: Tool<S>): Tool<S> {
  return definition;
}
