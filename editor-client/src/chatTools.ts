// Tools both ways between VS Code's language-model API and `multicodex/complete`: the
// request's tools and tool mode become function tools and tool_choice; the model's calls
// (tool_call deltas, and function_call items in the result for calls no delta carried)
// become tool-call parts with parsed arguments. Pure: no vscode import.
import type { CompleteParams, CompleteResult, CompletionDelta, FunctionTool } from './protocol';

/** vscode.LanguageModelChatToolMode (Auto = 1, Required = 2). */
export const ToolMode = { Auto: 1, Required: 2 } as const;

export interface ChatToolLike {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema?: object;
}

export interface ChatRequestOptionsLike {
  readonly tools?: readonly ChatToolLike[];
  readonly toolMode?: number;
}

/** A call to report as a vscode.LanguageModelToolCallPart. */
export interface ToolCallReport {
  readonly callId: string;
  readonly name: string;
  readonly input: object;
}

/** The model wrote arguments that are not a JSON object. */
export class ToolArgumentsError extends Error {
  override readonly name = 'ToolArgumentsError';
}

type ToolParams = Pick<CompleteParams, 'tools' | 'tool_choice'>;

/** tools and tool_choice for complete; nothing when the request has no tools. */
export function toolParams(options: ChatRequestOptionsLike): ToolParams {
  const tools = (options.tools ?? []).map(functionTool);
  if (tools.length === 0) {
    return {};
  }
  return { tools, tool_choice: options.toolMode === ToolMode.Required ? 'required' : 'auto' };
}

function functionTool(tool: ChatToolLike): FunctionTool {
  const schema = tool.inputSchema && Object.keys(tool.inputSchema).length > 0 ? tool.inputSchema : undefined;
  return {
    type: 'function',
    name: tool.name,
    description: tool.description ? tool.description : null,
    parameters: (schema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
    strict: false,
  };
}

/** The call a tool_call delta carries; undefined for every other delta. */
export function toolCallOfDelta(delta: CompletionDelta): ToolCallReport | undefined {
  if (delta.kind !== 'tool_call' || !delta.tool_call) {
    return undefined;
  }
  const call = delta.tool_call;
  return { callId: call.call_id, name: call.name, input: parseArguments(call.name, call.arguments) };
}

/** function_call items of a finished completion whose call ids are not in `reported`. */
export function unreportedToolCalls(result: Pick<CompleteResult, 'output_items'>, reported: ReadonlySet<string>): ToolCallReport[] {
  const calls: ToolCallReport[] = [];
  for (const item of result.output_items) {
    if (item.type !== 'function_call') {
      continue;
    }
    const callId = typeof item.call_id === 'string' ? item.call_id : '';
    const name = typeof item.name === 'string' ? item.name : '';
    if (!callId || !name || reported.has(callId)) {
      continue;
    }
    const args = typeof item.arguments === 'string' ? item.arguments : '{}';
    calls.push({ callId, name, input: parseArguments(name, args) });
  }
  return calls;
}

function parseArguments(name: string, text: string): object {
  if (!text.trim()) {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ToolArgumentsError(`The model called ${name} with arguments that are not JSON.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ToolArgumentsError(`The model called ${name} with arguments that are not a JSON object.`);
  }
  return value;
}
